#!/usr/bin/env bash
# test/t/demo_keep.sh — `make demo` in keep mode (LAKEFS_DEMO_KEEP=1) on its own
# ports and directory: what it prints is usable as printed. The psql command
# connects to the database that holds the repository, the S3 endpoint answers,
# and the stop command stops PostgreSQL, also when run as root.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"
if [ -z "${LAKEFS_S3_ENDPOINT:-}" ]; then
    echo "# skip: no S3 test server (LAKEFS_S3_ENDPOINT unset)"
    echo "1..0"; exit 0
fi
DIR=$ROOT/tmp_check/demo-keep
OUT=$ROOT/tmp_check/demo-keep.out
# ports next to the harness's own (LAKEFS_PGPORT and LAKEFS_S3_PORT are ours)
PGP=$((${LAKEFS_PGPORT:-55432} + 7))
S3P=$((${LAKEFS_S3_PORT:-18580} + 7))
if env -u PGHOST -u PGPORT -u PGDATABASE LAKEFS_DEMO_KEEP=1 LAKEFS_SKIP_DEPS=1 LAKEFS_DEMO_DIR="$DIR" \
    LAKEFS_PGPORT=$PGP LAKEFS_S3_PORT=$S3P "$ROOT/examples/run-demo.sh" >"$OUT" 2>&1; then
    ok "make demo in keep mode runs"
else
    nok "make demo in keep mode runs" "$(tail -20 "$OUT")"
fi
grep -q "CHECK FAILED" "$OUT" && nok "the demo's checks pass" "$(grep 'CHECK FAILED' "$OUT")" ||
    ok "the demo's checks pass"

connect=$(sed -n 's/^  PostgreSQL  //p' "$OUT")
got=$(eval "$connect -XAtc \"SELECT count(*) FROM lakefs_repositories WHERE name = 'lakefs-minio-demo'\"" 2>&1)
is "the printed psql command reaches the database with the repository" "$got" "1"

endpoint=$(sed -n 's/^  S3          endpoint \([^,]*\),.*/\1/p' "$OUT")
code=$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/" 2>/dev/null)
[ -n "$endpoint" ] && [ "$code" != "000" ] && ok "the printed endpoint answers (HTTP $code)" ||
    nok "the printed endpoint answers" "endpoint '$endpoint', HTTP $code"
envfile=$(sed -n 's/^              (all exported by: \. \(.*\))$/\1/p' "$OUT")
[ -f "$envfile" ] && grep -q "LAKEFS_S3_SECRET_KEY" "$envfile" &&
    ok "the printed env file exports the keys" || nok "the printed env file exports the keys" "'$envfile'"

stop=$(sed -n 's/^  Stop        //p' "$OUT")
[ "$(id -u)" -ne 0 ] || echo "$stop" | grep -q '^runuser -u postgres -- ' &&
    ok "as root, the stop command runs pg_ctl as postgres" || nok "as root, the stop command runs pg_ctl as postgres" "$stop"
(cd "$ROOT" && eval "$stop") >"$DIR.stop.log" 2>&1 &&
    ok "the printed stop command works" || nok "the printed stop command works" "$(cat "$DIR.stop.log")"
[ ! -f "$DIR/pg/data/postmaster.pid" ] && ok "PostgreSQL is stopped" ||
    { nok "PostgreSQL is stopped"
      pgctl=$(find "$DIR/install" -path '*/bin/pg_ctl' | head -1)
      runuser -u postgres -- "$pgctl" -D "$DIR/pg/data" -m immediate stop >/dev/null 2>&1; }
"$ROOT/test/s3server/stop.sh" "$DIR/s3" >/dev/null 2>&1
tap_done
