#!/usr/bin/env bash
# test/t/standby.sh — read-only functions on a hot standby: a streaming replica
# of the test cluster answers lakefs_ls, lakefs_log, lakefs_stat, lakefs_diff
# and the views with the primary's data, and refuses writes (25006).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"
. "$ROOT/test/lib/pgcluster.sh"
PGOPTIONS="-c client_min_messages=warning" tap_db lakefs_t_standby || { echo "not ok 1 - create database"; exit 1; }

q <<'SQL' >/dev/null
SELECT lakefs_create_repository('replicated', 's3://bucket/replicated');
SELECT lakefs_stage_objects('replicated', 'main', $$SELECT 'data/' || g AS path, 'data/x' || g AS physical_address, g AS size, 'c' AS checksum FROM generate_series(1, 5000) g$$);
SELECT lakefs_commit('replicated', 'main', 'first', '{"accuracy": "0.9"}');
SELECT lakefs_create_branch('replicated', 'exp', 'main');
SELECT lakefs_stage_object('replicated', 'exp', 'model.pkl', 'data/m', 7, 'm');
SELECT lakefs_commit('replicated', 'exp', 'train');
SELECT lakefs_create_tag('replicated', 'v1', 'exp');
SQL

SB=$ROOT/tmp_check/standby
SBPORT=$((PGPORT + 1))
rm -rf "$SB"; mkdir -p "$SB"
[ "$(id -u)" -eq 0 ] && chown postgres: "$SB"
if ! pg_as_owner "$PGBIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$SB/data" -R -X stream -c fast >"$SB.log" 2>&1; then
    nok "base backup of the primary" "$(cat "$SB.log")"; tap_done; exit 1
fi
cat >>"$SB/data/postgresql.conf" <<CONF
port = $SBPORT
hot_standby = on
CONF
if ! pg_as_owner "$PGBIN/pg_ctl" -D "$SB/data" -l "$SB/server.log" -w -t 60 start >/dev/null; then
    nok "start the standby" "$(tail -20 "$SB/server.log")"; tap_done; exit 1
fi
trap 'pg_as_owner "$PGBIN/pg_ctl" -D "$SB/data" -m fast -w stop >/dev/null 2>&1' EXIT
sq() { psql -XAtq -p "$SBPORT" -d "$TEST_DB" "$@"; }

is "the standby is in recovery" "$(sq -c 'SELECT pg_is_in_recovery()')" "t"
# a change on the primary after the base backup streams over
q -c "SELECT lakefs_stage_object('replicated', 'main', 'late.txt', 'data/late', 1, 'l')" >/dev/null
q -c "SELECT lakefs_commit('replicated', 'main', 'after the backup')" >/dev/null
for _ in $(seq 100); do
    [ "$(sq -c "SELECT count(*) FROM lakefs_log('replicated', 'main')" 2>/dev/null)" = 3 ] && break
    sleep 0.1
done
is "a commit made after the backup replays" "$(sq -c "SELECT message FROM lakefs_log('replicated', 'main', 1)")" "after the backup"
is "lakefs_ls" "$(sq -c "SELECT count(*), sum(size) FROM lakefs_ls('replicated', 'main')")" \
    "$(q -c "SELECT count(*), sum(size) FROM lakefs_ls('replicated', 'main')")"
is "lakefs_ls with a delimiter" "$(sq -c "SELECT string_agg(path, ',') FROM lakefs_ls('replicated', 'exp', '', '/')")" "data/,model.pkl"
is "lakefs_stat by tag" "$(sq -c "SELECT size FROM lakefs_stat('replicated', 'v1', 'model.pkl')")" "7"
is "lakefs_log and ref expressions" "$(sq -c "SELECT message FROM lakefs_log('replicated', 'exp~1', 1)")" "first"
is "lakefs_diff" "$(sq -c "SELECT change || ' ' || path FROM lakefs_diff('replicated', 'main~1', 'exp')")" "added model.pkl"
is "the views" "$(sq -c "SELECT string_agg(branch || '=' || head_message, ',' ORDER BY branch) FROM lakefs_branches WHERE repository = 'replicated'")" "exp=train,main=after the backup"
is "lakefs_resolve_ref" "$(sq -c "SELECT lakefs_resolve_ref('replicated', 'v1') = lakefs_resolve_ref('replicated', 'exp')")" "t"
out=$(sq -v VERBOSITY=verbose -c "SELECT lakefs_commit('replicated', 'exp', 'x', allow_empty => true)" 2>&1)
if echo "$out" | grep -q "ERROR:  25006"; then ok "writes are refused (25006)"; else nok "writes are refused (25006)" "$out"; fi
tap_done
