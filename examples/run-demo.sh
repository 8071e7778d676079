#!/usr/bin/env bash
# examples/run-demo.sh — `make demo`: the parallel-experiments workflow on a
# throwaway PostgreSQL and a throwaway S3 server (Ceph RGW), one command.
#
# Installs the packages it needs (as root), builds, installs the extension into
# tmp_install/, starts both servers on loopback, runs examples/demo.py and
# stops everything. LAKEFS_DEMO_KEEP=1 leaves the servers running and prints
# how to connect.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
: "${LAKEFS_PGPORT:=55480}"
: "${LAKEFS_S3_PORT:=18580}"
export LAKEFS_PGPORT LAKEFS_S3_PORT
. test/lib/pgcluster.sh
[ -n "${LAKEFS_SKIP_DEPS:-}" ] || test/install-deps.sh
make -s >/dev/null
tmp_install "$ROOT/tmp_install"
WORK=$ROOT/tmp_check/demo
cluster_start "$WORK/pg"
test/s3server/start.sh "$WORK/s3" >/dev/null
. "$WORK/s3/env.sh"
stop_all() {
    cluster_stop
    test/s3server/stop.sh "$WORK/s3" >/dev/null 2>&1 || true
}
if [ -z "${LAKEFS_DEMO_KEEP:-}" ]; then
    trap stop_all EXIT
fi
echo "PostgreSQL on $PGHOST port $PGPORT; S3 (Ceph RGW) on $LAKEFS_S3_ENDPOINT"
echo
/usr/bin/python3 examples/demo.py
if [ -n "${LAKEFS_DEMO_KEEP:-}" ]; then
    echo
    echo "Servers left running. Connect with: psql -h $PGHOST -p $PGPORT -U postgres"
    echo "Stop them with: $PGBIN/pg_ctl -D $WORK/pg/data stop; test/s3server/stop.sh $WORK/s3"
fi
