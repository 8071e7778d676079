#!/usr/bin/env bash
# examples/run-demo.sh — `make demo`: the parallel-experiments workflow on a
# throwaway PostgreSQL and a throwaway S3 server (Ceph RGW), one command.
#
# Installs the packages it needs (as root), builds, installs the extension into
# tmp_install/, starts both servers on loopback, runs examples/demo.py and
# stops everything. LAKEFS_DEMO_KEEP=1 leaves the servers running and prints
# how to connect, what exists, how to open the notebook and how to stop them
# (test/t/demo_keep.sh runs that stop command).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
: "${LAKEFS_PGPORT:=55480}"
: "${LAKEFS_S3_PORT:=18580}"
export LAKEFS_PGPORT LAKEFS_S3_PORT
. test/lib/pgcluster.sh
[ -n "${LAKEFS_SKIP_DEPS:-}" ] || test/install-deps.sh
make -s >/dev/null
# its own directory (LAKEFS_DEMO_DIR) and installation: a test run may use tmp_install/
WORK=${LAKEFS_DEMO_DIR:-$ROOT/tmp_check/demo}
tmp_install "$WORK/install"
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
DB=lakefs_demo
"$PGBIN/psql" -X -q -d postgres -c "CREATE DATABASE $DB" >/dev/null
echo "PostgreSQL on $PGHOST port $PGPORT (database $DB); S3 (Ceph RGW) on $LAKEFS_S3_ENDPOINT"
echo
LAKEFS_DEMO_DSN="dbname=$DB" /usr/bin/python3 examples/demo.py
if [ -n "${LAKEFS_DEMO_KEEP:-}" ]; then
    # the cluster belongs to postgres when we are root: pg_ctl refuses root
    stop="$PGBIN/pg_ctl -D $WORK/pg/data -m fast stop"
    [ "$(id -u)" -eq 0 ] && stop="runuser -u postgres -- $stop"
    cat <<EOF

Servers left running.
  PostgreSQL  psql -h $PGHOST -p $PGPORT -U postgres -d $DB
              (database $DB holds: extension pg_lakefs, foreign server minio with a
              PUBLIC user mapping for the S3 server, repository lakefs-minio-demo)
              Do not create another user mapping for minio in $DB: one for your own
              user would shadow the PUBLIC one. For your own work: CREATE DATABASE.
  S3          endpoint $LAKEFS_S3_ENDPOINT, region $LAKEFS_S3_REGION,
              access key $LAKEFS_S3_ACCESS_KEY, secret key $LAKEFS_S3_SECRET_KEY
              (all exported by: . $WORK/s3/env.sh)
  Notebook    psql -h $PGHOST -p $PGPORT -U postgres -d postgres -c 'CREATE DATABASE lakefs_notebook'
              . $WORK/s3/env.sh
              PATH=/usr/bin:\$PATH PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=postgres \\
                LAKEFS_NOTEBOOK_DSN=dbname=lakefs_notebook jupyter notebook examples/parallel-experiments.ipynb
  Stop        $stop; test/s3server/stop.sh $WORK/s3
EOF
fi
