#!/usr/bin/env bash
# test/bench/run.sh — run a benchmark against a throwaway cluster.
#
#   test/bench/run.sh core [N ...]     versioning core (default N: 1000000)
#
# Builds, installs into tmp_install/, starts a cluster (as test/run does) and
# runs test/bench/<name>_bench.py, which prints figures and ratios.
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
trap cluster_stop EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), PostgreSQL $($PGBIN/postgres -V | awk '{print $3}')"
/usr/bin/python3 "test/bench/${name}_bench.py" "$@"
