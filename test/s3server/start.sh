#!/usr/bin/env bash
# test/s3server/start.sh DIR — start a throwaway single-node Ceph RGW for the tests.
#
# One monitor, one memstore OSD and radosgw (beast frontend with tcp_nodelay=1)
# on 127.0.0.1:${LAKEFS_S3_PORT:-18480}; the monitor on the next port
# (${LAKEFS_S3_MON_PORT:-S3 port + 1}). Every file (config, data, pid files, admin
# sockets, logs) lives under DIR, which is wiped first. Authentication inside the
# cluster is off; S3 itself verifies SigV4 with the fixed test keys below, which
# DIR/env.sh exports (LAKEFS_S3_ENDPOINT, LAKEFS_S3_ACCESS_KEY,
# LAKEFS_S3_SECRET_KEY, LAKEFS_S3_REGION). Nothing survives test/s3server/stop.sh.
#
# Exit status 0 once S3 answers and the user exists; otherwise the daemons started
# are stopped, the logs printed and the status is non-zero.
set -u
DIR=${1:?usage: start.sh DIR}
PORT=${LAKEFS_S3_PORT:-18480}
MONPORT=${LAKEFS_S3_MON_PORT:-$((PORT + 1))}
ACCESS_KEY=${LAKEFS_S3_TEST_ACCESS_KEY:-LAKEFSTESTACCESSKEY1}
SECRET_KEY=${LAKEFS_S3_TEST_SECRET_KEY:-lakefsTestSecretKey0000000000000000000000}
REGION=us-east-1
START_TIMEOUT=${LAKEFS_S3_START_TIMEOUT:-60}
T0=$(date +%s.%N)

[ "$(id -u)" -eq 0 ] || { echo "start.sh: must run as root (ceph daemons)" >&2; exit 1; }
for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool uuidgen curl; do
    command -v "$b" >/dev/null || { echo "start.sh: $b not found; install ceph-mon ceph-osd radosgw" >&2; exit 1; }
done

# Stop whatever an earlier run left in DIR, then start clean.
[ -x "$(dirname "$0")/stop.sh" ] && [ -d "$DIR" ] && "$(dirname "$0")/stop.sh" "$DIR" >/dev/null 2>&1
rm -rf "$DIR"
mkdir -p "$DIR"/{run,log,crash,mon,osd,rgw,tmp} || exit 1
DIR=$(cd "$DIR" && pwd)
CONF=$DIR/ceph.conf
FSID=$(uuidgen)

fail() {
    echo "start.sh: $*" >&2
    "$(dirname "$0")/stop.sh" "$DIR" >/dev/null 2>&1
    for f in "$DIR"/log/*.log "$DIR"/*.out; do
        [ -s "$f" ] || continue
        echo "---- $f (last 40 lines)" >&2
        tail -n 40 "$f" >&2
    done
    exit 1
}

# Refuse to start when the port is taken: another server would answer our tests.
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    fail "127.0.0.1:$PORT is already in use (set LAKEFS_S3_PORT)"
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$MONPORT") 2>/dev/null; then
    fail "127.0.0.1:$MONPORT (monitor) is already in use (set LAKEFS_S3_MON_PORT)"
fi

cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MONPORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind port min = $((PORT + 2))
ms bind port max = $((PORT + 60))
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
ms mon client mode = crc
ms client mode = crc
ms service mode = crc
ms cluster mode = crc
ms mon service mode = crc
ms mon cluster mode = crc
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
mon cluster log file = $DIR/log/cluster.log
crash dir = $DIR/crash
log to stderr = false
err to stderr = true
debug ms = 0
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon max pg per osd = 1000
paxos propose interval = 0.05
paxos min wait = 0.01
mon data = $DIR/mon/\$cluster-\$id
osd data = $DIR/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = ${LAKEFS_S3_MEM_BYTES:-8589934592}
osd max object name len = 460
osd max object namespace len = 64

[client.rgw.test]
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $DIR/rgw
rgw enable usage log = false
rgw enable ops log = false
debug rgw = 1
CONF

# Monitor.
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MONPORT]" "$DIR/monmap" \
    >"$DIR/tmp/monmaptool.out" 2>&1 || fail "monmaptool failed"
ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' \
    >"$DIR/tmp/authtool.out" 2>&1 || fail "ceph-authtool failed"
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring" \
    >"$DIR/mon-mkfs.out" 2>&1 || fail "ceph-mon --mkfs failed"
ceph-mon -c "$CONF" -i a >"$DIR/mon.out" 2>&1 || fail "ceph-mon failed to start"

# OSD (memstore): register it, make its store, start it.
OSD_UUID=$(uuidgen)
OSD_ID=$(timeout 30 ceph -c "$CONF" --connect-timeout 20 osd new "$OSD_UUID" 2>"$DIR/osd-new.out") ||
    fail "ceph osd new failed (monitor not answering?)"
mkdir -p "$DIR/osd/ceph-$OSD_ID"
ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >"$DIR/osd-mkfs.out" 2>&1 ||
    fail "ceph-osd --mkfs failed"
ceph-osd -c "$CONF" -i "$OSD_ID" >"$DIR/osd.out" 2>&1 || fail "ceph-osd failed to start"

# RGW: creates its pools on first start.
radosgw -c "$CONF" -n client.rgw.test >"$DIR/rgw.out" 2>&1 || fail "radosgw failed to start"

deadline=$(( $(date +%s) + START_TIMEOUT ))
until curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "S3 did not answer on 127.0.0.1:$PORT within ${START_TIMEOUT}s"
    for p in "$DIR"/run/*.pid; do
        kill -0 "$(cat "$p")" 2>/dev/null || fail "$(basename "$p" .pid) exited"
    done
    sleep 0.1
done

radosgw-admin -c "$CONF" -n client.rgw.test user create --uid=lakefs-test \
    --display-name="pg_lakefs tests" --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" \
    >"$DIR/user-create.out" 2>&1 || fail "radosgw-admin user create failed"

cat >"$DIR/env.sh" <<ENV
export LAKEFS_S3_ENDPOINT=http://127.0.0.1:$PORT
export LAKEFS_S3_ACCESS_KEY=$ACCESS_KEY
export LAKEFS_S3_SECRET_KEY=$SECRET_KEY
export LAKEFS_S3_REGION=$REGION
export LAKEFS_S3_DIR=$DIR
ENV
T1=$(date +%s.%N)
printf 'S3 test server up on http://127.0.0.1:%s in %.1fs (data in %s)\n' "$PORT" \
    "$(echo "$T1 - $T0" | bc)" "$DIR"
