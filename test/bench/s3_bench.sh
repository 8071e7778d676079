#!/usr/bin/env bash
# test/bench/s3_bench.sh — object I/O throughput of pg_lakefs against plain curl on
# the same objects and server, and the listing rate.
#
#   test/bench/s3_bench.sh [SIZE_MIB] [ROUNDS]
#
# Builds and installs into tmp_install/, starts a throwaway cluster (port
# LAKEFS_PGPORT, default 55432) and the RGW test server (LAKEFS_S3_PORT), runs, and
# stops both. Figures: MiB/s for big GET/PUT (best of ROUNDS), small GET latency
# over keep-alive, listing rate. Both sides compute the payload SHA-256 for PUT.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. test/lib/pgcluster.sh
SIZE_MIB=${1:-64}
ROUNDS=${2:-3}
SMALL=1000
NLIST=10000
PAR=16
WORK=$ROOT/tmp_check/bench
mkdir -p "$WORK"
make -s >/dev/null || exit 1
tmp_install "$ROOT/tmp_install" || exit 1
cluster_start "$WORK/pg" || exit 1
cleanup() { cluster_stop; test/s3server/stop.sh "$WORK/s3" >/dev/null 2>&1; }
trap cleanup EXIT
test/s3server/start.sh "$WORK/s3" || exit 1
. "$WORK/s3/env.sh"

q() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }
ms() { date +%s%3N; }
rate() { echo "scale=1; $1 * 1000 / $2" | bc; }   # units per second from (units, ms)
SIG=(--aws-sigv4 "aws:amz:$LAKEFS_S3_REGION:s3" --user "$LAKEFS_S3_ACCESS_KEY:$LAKEFS_S3_SECRET_KEY")
EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

q -c "CREATE EXTENSION pg_lakefs" >/dev/null
q <<SQL >/dev/null
CREATE SERVER rgw FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint '$LAKEFS_S3_ENDPOINT');
CREATE USER MAPPING FOR PUBLIC SERVER rgw
    OPTIONS (access_key_id '$LAKEFS_S3_ACCESS_KEY', secret_access_key '$LAKEFS_S3_SECRET_KEY');
SELECT lakefs_s3_create_bucket('rgw', 'bench');
SQL

# the payload, readable by the server
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$WORK/blob"
chmod 644 "$WORK/blob"; chmod 755 "$WORK"
q -c "CREATE TABLE blob AS SELECT pg_read_binary_file('$WORK/blob') AS b" >/dev/null
MIB=$SIZE_MIB

best() { sort -n | head -1; }

# lk_ms SQL: milliseconds SQL takes in a session that has already loaded the
# library and opened its S3 connection (psql's \timing).
lk_ms() {
    psql -Xq -v ON_ERROR_STOP=1 -c "SELECT lakefs_s3_stat('rgw', 's3://bench/warm')" \
        -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9]*\)\..*/\1/p' | tail -1
}
q -c "SELECT lakefs_s3_put('rgw', 's3://bench/warm', 'w')" >/dev/null

# --- PUT
lk_put() {  # $1: multipart threshold
    lk_ms "SET pg_lakefs.multipart_threshold = '$1'; SELECT size FROM blob, lakefs_s3_put('rgw', 's3://bench/lk-put', b)"
}
curl_put() {
    local t0 t1 h
    t0=$(ms)
    h=$(sha256sum "$WORK/blob" | cut -c1-64)
    curl -sf "${SIG[@]}" -H "x-amz-content-sha256: $h" -T "$WORK/blob" \
        "$LAKEFS_S3_ENDPOINT/bench/curl-put" -o /dev/null || echo "curl PUT failed" >&2
    t1=$(ms); echo $((t1 - t0))
}
lk_put_single=$(for i in $(seq "$ROUNDS"); do lk_put 1GB; done | best)
lk_put_multi=$(for i in $(seq "$ROUNDS"); do lk_put 16MB; done | best)
curl_put_ms=$(for i in $(seq "$ROUNDS"); do curl_put; done | best)

# --- GET (the same object for both)
lk_get() {
    lk_ms "SELECT length(lakefs_s3_get('rgw', 's3://bench/curl-put'))"
}
curl_get() {
    local t0 t1
    t0=$(ms)
    curl -sf "${SIG[@]}" -H "x-amz-content-sha256: $EMPTY" "$LAKEFS_S3_ENDPOINT/bench/curl-put" -o /dev/null
    t1=$(ms); echo $((t1 - t0))
}
lk_get_ms=$(for i in $(seq "$ROUNDS"); do lk_get; done | best)
curl_get_ms=$(for i in $(seq "$ROUNDS"); do curl_get; done | best)

# --- small GETs over one connection
pids=()
for w in $(seq 0 $((PAR - 1))); do
    q -c "SELECT count(*) FROM generate_series(1, $NLIST) i, lakefs_s3_put('rgw', 's3://bench/small/' || i, decode(repeat('ab', 1024), 'hex')) WHERE i % $PAR = $w" >/dev/null &
    pids+=($!)
done
t0=$(ms)
for p in "${pids[@]}"; do wait "$p"; done
t1=$(ms); put_small_ms=$((t1 - t0))
lk_small_ms=$(lk_ms "SELECT sum(length(lakefs_s3_get('rgw', 's3://bench/small/' || i))) FROM generate_series(1, $SMALL) i")
: >"$WORK/curl.cfg"
for i in $(seq "$SMALL"); do
    printf 'url = "%s/bench/small/%d"\noutput = "/dev/null"\n' "$LAKEFS_S3_ENDPOINT" "$i" >>"$WORK/curl.cfg"
done
t0=$(ms)
curl -sf "${SIG[@]}" -H "x-amz-content-sha256: $EMPTY" -K "$WORK/curl.cfg"
t1=$(ms); curl_small_ms=$((t1 - t0))

# --- listing
n=$(q -c "SELECT count(*) FROM lakefs_list_objects('rgw', 's3://bench/small/')")
list_ms=$(for i in $(seq "$ROUNDS"); do lk_ms "SELECT count(*) FROM lakefs_list_objects('rgw', 's3://bench/small/')"; done | best)
list100_ms=$(for i in $(seq "$ROUNDS"); do lk_ms "SET pg_lakefs.list_page_size = 100; SELECT count(*) FROM lakefs_list_objects('rgw', 's3://bench/small/')"; done | best)


echo
echo "pg_lakefs object I/O against curl $(curl --version | head -1 | cut -d' ' -f2), RGW on loopback, ${MIB} MiB object, best of $ROUNDS"
printf '%-34s %10s %10s %8s\n' "" "pg_lakefs" "curl" "ratio"
printf '%-34s %7s MiB/s %5s MiB/s %7.2f\n' "GET ${MIB} MiB" "$(rate "$MIB" "$lk_get_ms")" "$(rate "$MIB" "$curl_get_ms")" "$(echo "scale=3; $curl_get_ms / $lk_get_ms" | bc)"
printf '%-34s %7s MiB/s %5s MiB/s %7.2f\n' "PUT ${MIB} MiB, single PUT" "$(rate "$MIB" "$lk_put_single")" "$(rate "$MIB" "$curl_put_ms")" "$(echo "scale=3; $curl_put_ms / $lk_put_single" | bc)"
printf '%-34s %7s MiB/s %5s MiB/s %7.2f\n' "PUT ${MIB} MiB, multipart 8 MiB parts" "$(rate "$MIB" "$lk_put_multi")" "$(rate "$MIB" "$curl_put_ms")" "$(echo "scale=3; $curl_put_ms / $lk_put_multi" | bc)"
printf '%-34s %7s req/s %5s req/s %7.2f\n' "GET 2 KiB x $SMALL, keep-alive" "$(rate "$SMALL" "$lk_small_ms")" "$(rate "$SMALL" "$curl_small_ms")" "$(echo "scale=3; $curl_small_ms / $lk_small_ms" | bc)"
printf '%-34s %7s obj/s\n' "list $n objects, 1000/page" "$(rate "$n" "$list_ms")"
printf '%-34s %7s obj/s\n' "list $n objects, 100/page" "$(rate "$n" "$list100_ms")"
printf '%-34s %7s obj/s (%d sessions)\n' "PUT 2 KiB objects" "$(rate "$NLIST" "$put_small_ms")" "$PAR"
echo "(ratio = pg_lakefs throughput / curl throughput; pg_lakefs timed by psql \\timing in a warm"
echo " session; curl timed as a process, one connection per command, no curl listing:
 its --aws-sigv4 does not canonicalise the query, which ListObjectsV2 needs)"
