#!/usr/bin/env bash
# test/bench/run.sh — run a benchmark against a throwaway cluster.
#
#   test/bench/run.sh core [N ...]     versioning core (default N: 1000000)
#   test/bench/run.sh import [N ...]   zero-copy import (default N: 10000 100000)
#
# Builds, installs into tmp_install/, starts a cluster (as test/run does), and
# for import the S3 test server, then runs test/bench/<name>_bench.py, which
# prints figures and ratios.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. test/lib/pgcluster.sh
name=${1:?usage: test/bench/run.sh NAME [ARGS...]}
shift
: "${LAKEFS_PGPORT:=55499}"
make -s >/dev/null
tmp_install "$ROOT/tmp_install"
cluster_start "$ROOT/tmp_check/bench"
S3DIR=$ROOT/tmp_check/bench-s3
stop_all() {
    cluster_stop
    [ -f "$S3DIR/env.sh" ] && test/s3server/stop.sh "$S3DIR" >/dev/null 2>&1
    return 0
}
trap stop_all EXIT
if [ "$name" = import ]; then
    export LAKEFS_S3_PORT=${LAKEFS_S3_PORT:-18680}
    test/s3server/start.sh "$S3DIR" >/dev/null
    . "$S3DIR/env.sh"
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), PostgreSQL $($PGBIN/postgres -V | awk '{print $3}')"
/usr/bin/python3 "test/bench/${name}_bench.py" "$@"
