#!/usr/bin/env bash
# test/bench/gateway_bench.sh — the S3 gateway against the object store it fronts.
#
#   test/bench/gateway_bench.sh [SIZE_MIB] [ROUNDS]
#
# Builds and installs into tmp_install/, starts a throwaway cluster (LAKEFS_PGPORT),
# the RGW test server (LAKEFS_S3_PORT) and pg_lakefs_gateway (LAKEFS_GATEWAY_PORT,
# default 17480), then runs test/bench/gateway_bench.py: the same boto3 calls once
# through the gateway and once straight to RGW, on the same objects. Prints GET and
# PUT of SIZE_MIB (default 64) MiB in MiB/s, small GETs/s, LIST objects/s, 16
# parallel clients, each with the gateway/direct ratio. Not a test: it prints
# figures and asserts nothing.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. test/lib/pgcluster.sh
WORK=$ROOT/tmp_check/gateway-bench
mkdir -p "$WORK"
make -s >/dev/null || exit 1
tmp_install "$ROOT/tmp_install" || exit 1
cluster_start "$WORK/pg" || exit 1
cleanup() { cluster_stop; test/s3server/stop.sh "$WORK/s3" >/dev/null 2>&1; }
trap cleanup EXIT
test/s3server/start.sh "$WORK/s3" >/dev/null || exit 1
. "$WORK/s3/env.sh"
GATEWAY_LOG=$WORK/gateway.log /usr/bin/python3 test/bench/gateway_bench.py "${1:-64}" "${2:-3}"
