#!/usr/bin/env bash
# test/t/upgrade.sh — an existing database updates with nothing lost.
#
# Installs the frozen 0.1.0, fills a repository (branches, tags, a merge, staged
# rows and a bulk run, an import-style full address), records every ref, every
# commit's tree, the log and the staged changes, runs ALTER EXTENSION pg_lakefs
# UPDATE, and checks that all of it reads the same. Then checks that the updated
# database and a fresh install of the default version end with the same
# extension objects (as pg_stat_statements' oldextversions does).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"
export PGOPTIONS="-c client_min_messages=warning"

TEST_DB=lakefs_t_upgrade
psql -XAtq -d postgres -c "DROP DATABASE IF EXISTS $TEST_DB" -c "CREATE DATABASE $TEST_DB" >/dev/null ||
    { echo "not ok 1 - create database"; exit 1; }
q -c "CREATE EXTENSION pg_lakefs VERSION '0.1.0'" >/dev/null
is "0.1.0 installs" "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_lakefs'")" "0.1.0"

fill=$(q 2>&1 >/dev/null <<'SQL'
-- small ranges and index nodes: trees of several levels, which a 0.1.0 schema
-- (no lakefs.index_nodes) must get in format 1
SET pg_lakefs.range_size_bits = 2;
SET pg_lakefs.index_node_size_bits = 1;
SELECT lakefs_create_repository('upgrade-me', 's3://bucket/upgrade-me');
SELECT lakefs_stage_object('upgrade-me', 'main', 'data/' || i || '.csv', 'data/obj' || i, i, 'md5-' || i)
  FROM generate_series(1, 50) i;
SELECT lakefs_commit('upgrade-me', 'main', 'fifty files', '{"accuracy": 0.5}');
SELECT lakefs_create_branch('upgrade-me', 'exp', 'main');
SELECT lakefs_delete_object('upgrade-me', 'exp', 'data/7.csv');
SELECT lakefs_stage_object('upgrade-me', 'exp', 'model.pkl', 's3://other/model.pkl', 4096, 'etag-m');
SELECT lakefs_commit('upgrade-me', 'exp', 'train', '{"accuracy": 0.9}');
SELECT lakefs_create_tag('upgrade-me', 'v1', 'exp');
SELECT lakefs_stage_object('upgrade-me', 'main', 'notes.txt', 'data/notes', 3, 'n');
SELECT lakefs_commit('upgrade-me', 'main', 'notes');
SELECT lakefs_merge('upgrade-me', 'exp', 'main', fast_forward => false, message => 'promote');
SELECT lakefs_create_branch('upgrade-me', 'dirty', 'main');
SELECT lakefs_stage_object('upgrade-me', 'dirty', 'staged/row', 'data/row', 1, 'r');
SELECT lakefs_stage_objects('upgrade-me', 'dirty', $$SELECT 'bulk/' || i AS path, 'data/b' || i AS physical_address,
       i::bigint AS size, 'c' || i AS checksum FROM generate_series(1, 20) i$$);
SQL
)
is "the 0.1.0 repository fills without an error" "$fill" ""

# a role set up as 0.1.0's README said: privileges on every catalog table
psql -XAtq -d "$TEST_DB" -c "DROP OWNED BY lk_upgrade_user" >/dev/null 2>&1
psql -XAtq -d postgres -c "DROP ROLE IF EXISTS lk_upgrade_user" >/dev/null 2>&1
q <<'SQL' >/dev/null
CREATE ROLE lk_upgrade_user LOGIN;
GRANT USAGE ON SCHEMA lakefs TO lk_upgrade_user;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA lakefs TO lk_upgrade_user;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA lakefs TO lk_upgrade_user;
GRANT SELECT ON lakefs_repositories, lakefs_branches, lakefs_tags, lakefs_commits,
	lakefs_staged_changes TO lk_upgrade_user;
SQL

# snapshot: everything a user reads, in a stable order
snapshot() {
    q <<'SQL'
SELECT 'branch', branch, head_commit, has_staged_changes FROM lakefs_branches WHERE repository = 'upgrade-me' ORDER BY branch;
SELECT 'tag', tag, commit_id FROM lakefs_tags WHERE repository = 'upgrade-me' ORDER BY tag;
SELECT 'log', c.id, c.message, c.metadata, c.parents FROM lakefs_log('upgrade-me', 'main') c;
SELECT 'tree', c.id, e.path, e.physical_address, e.size, e.checksum
  FROM lakefs_commits c, lakefs_ls('upgrade-me', c.id) e WHERE c.repository = 'upgrade-me' ORDER BY c.id, e.path;
SELECT 'ls-dirty', path, size FROM lakefs_ls('upgrade-me', 'dirty') ORDER BY path;
SELECT 'staged', branch, path, change FROM lakefs_staged_changes WHERE repository = 'upgrade-me' ORDER BY 2, 3;
SELECT 'diff', change, path FROM lakefs_diff('upgrade-me', 'v1~1', 'main') ORDER BY path;
SQL
}
before=$(snapshot 2>&1)
[ "$(echo "$before" | grep -c '^tree|')" -gt 100 ] && ! echo "$before" | grep -q ERROR && ok "the 0.1.0 repository is filled" ||
    nok "the 0.1.0 repository is filled" "$before"

out=$(q -c "ALTER EXTENSION pg_lakefs UPDATE" 2>&1)
is "ALTER EXTENSION pg_lakefs UPDATE succeeds" "$out" ""
is "it is now the default version" \
    "$(q -c "SELECT e.extversion = a.default_version FROM pg_extension e JOIN pg_available_extensions a ON a.name = e.extname WHERE e.extname = 'pg_lakefs'")" "t"
after=$(snapshot 2>&1)
if [ "$before" = "$after" ]; then ok "every ref, tree, log, staged change and diff reads the same"
else nok "every ref, tree, log, staged change and diff reads the same" "$(diff <(echo "$before") <(echo "$after") | head -20)"; fi
out=$(q -c "SELECT lakefs_commit('upgrade-me', 'dirty', 'after update')" -c "SELECT count(*) FROM lakefs_ls('upgrade-me', 'dirty')" 2>&1)
is "work goes on after the update: the staged rows and run commit" "$(echo "$out" | tail -1)" "72"
out=$(PGUSER=lk_upgrade_user q -c "SELECT lakefs_create_branch('upgrade-me', 'by-user', 'main') IS NOT NULL" \
        -c "SELECT lakefs_stage_object('upgrade-me', 'by-user', 'u.txt', 'data/u', 1, 'u')" \
        -c "SELECT length(lakefs_commit('upgrade-me', 'by-user', 'after update'))" 2>&1)
is "a role with 0.1.0's table grants keeps working, through the functions (write on every repository)" \
    "$(echo "$out" | tr '\n' ' ' | sed 's/ *$//')" "t  64"
out=$(PGUSER=lk_upgrade_user q -c "DELETE FROM lakefs.tags" 2>&1)
echo "$out" | grep -q "permission denied" && ok "but its table privileges are gone (one door)" ||
    nok "but its table privileges are gone (one door)" "$out"

# the updated database and a fresh install have the same extension objects
objects() {
    psql -XAtq -d "$1" <<'SQL'
SELECT pg_describe_object(classid, objid, 0) FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_lakefs') ORDER BY 1;
SELECT p.oid::regprocedure, p.proisstrict, p.provolatile, pg_get_function_result(p.oid),
       pg_get_function_arguments(p.oid), obj_description(p.oid, 'pg_proc') IS NOT NULL
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.proname LIKE 'lakefs%' AND n.nspname IN ('public', 'lakefs') ORDER BY 1;
SELECT c.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'lakefs' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2;
SELECT conrelid::regclass, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE connamespace = 'lakefs'::regnamespace ORDER BY 1, 2;
SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'lakefs' ORDER BY 1, 2;
SELECT c.relname, c.relacl FROM pg_class c WHERE c.relnamespace = 'lakefs'::regnamespace ORDER BY 1;
SQL
}
psql -XAtq -d postgres -c "DROP DATABASE IF EXISTS lakefs_t_upgrade_fresh" -c "CREATE DATABASE lakefs_t_upgrade_fresh" >/dev/null
psql -XAtq -d lakefs_t_upgrade_fresh -c "CREATE EXTENSION pg_lakefs" >/dev/null
a=$(objects "$TEST_DB" 2>&1); b=$(objects lakefs_t_upgrade_fresh 2>&1)
if [ "$a" = "$b" ] && [ -n "$a" ]; then ok "an updated database and a fresh install have the same objects"
else nok "an updated database and a fresh install have the same objects" "$(diff <(echo "$a") <(echo "$b") | head -20)"; fi
psql -XAtq -d postgres -c "DROP DATABASE lakefs_t_upgrade_fresh" >/dev/null
psql -XAtq -d "$TEST_DB" -c "DROP OWNED BY lk_upgrade_user" >/dev/null 2>&1
psql -XAtq -d postgres -c "DROP ROLE IF EXISTS lk_upgrade_user" >/dev/null 2>&1
tap_done
