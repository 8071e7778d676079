#!/usr/bin/env bash
# test/t/local_repo.sh — the embedded local:// blockstore end to end, with no
# object store: a repository on local://, zero-copy import of a local://
# prefix and of one local:// object, put/get through the repository, and the
# namespace checks.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"
tap_db lakefs_t_local_repo || { echo "not ok 1 - create database"; exit 1; }
LROOT=$ROOT/tmp_check/local-root
rm -rf "$LROOT"; mkdir -p "$LROOT"
[ "$(id -u)" -eq 0 ] && chown postgres: "$LROOT"
q -c "ALTER DATABASE $TEST_DB SET pg_lakefs.local_root = '$LROOT'" >/dev/null

q <<'SQL' >/dev/null
SELECT lakefs_s3_put(NULL, 'local://sets/digits/images/0/a.png', 'aaa');
SELECT lakefs_s3_put(NULL, 'local://sets/digits/images/1/b.png', 'bb');
SELECT lakefs_s3_put(NULL, 'local://sets/digits/labels.csv', 'x,y');
SQL
sql_is "a local:// repository writes its namespace marker" \
    "SELECT length(lakefs_create_repository('localrepo', 'local://repos/localrepo')); SELECT count(*) FROM lakefs_list_objects(NULL, 'local://repos/localrepo/_lakefs/')" "64
1"
sql_is "import of a local:// prefix keeps the original addresses" \
    "SELECT length(lakefs_import('localrepo', 'main', ARRAY['local://sets/digits/'], 'raw/')); SELECT string_agg(path || '=' || physical_address, ',') FROM lakefs_ls('localrepo', 'main')" \
    "64
raw/images/0/a.png=local://sets/digits/images/0/a.png,raw/images/1/b.png=local://sets/digits/images/1/b.png,raw/labels.csv=local://sets/digits/labels.csv"
sql_is "an import is a move of the head in the reflog" \
    "SELECT string_agg(operation, ',') FROM lakefs_reflog('localrepo', 'main')" "import,create"
sql_is "imported objects read through the repository" \
    "SELECT convert_from(lakefs_get_object('localrepo', 'main', 'raw/images/1/b.png'), 'UTF8')" "bb"
sql_is "put writes under the namespace's data/ and reads back after commit" \
    "SELECT (lakefs_put_object('localrepo', 'main', 'model.pkl', 'model')).physical_address LIKE 'local://repos/localrepo/data/%'; SELECT lakefs_commit('localrepo', 'main', 'm') IS NOT NULL; SELECT convert_from(lakefs_get_object('localrepo', 'main', 'model.pkl'), 'UTF8')" "t
t
model"
sql_is "the import copied nothing" "SELECT count(*) FROM lakefs_list_objects(NULL, 'local://sets/')" "3"
sql_is "a local:// object source imports one file to one path" \
    "SELECT length(lakefs_import('localrepo', 'main', '[{\"path\": \"local://sets/digits/labels.csv\", \"destination\": \"meta/labels.csv\", \"type\": \"object\"}]'::jsonb)); SELECT string_agg(path || '=' || physical_address || ' ' || size, ',') FROM lakefs_ls('localrepo', 'main', 'meta/')" \
    "64
meta/labels.csv=local://sets/digits/labels.csv 3"
sql_error "a local:// prefix containing the namespace is refused" \
    "SELECT lakefs_import('localrepo', 'main', ARRAY['local://repos/'])" 22023 'contains'
mkdir -p "$LROOT/latin1" && printf 'x' >"$LROOT/latin1/caf$(printf '\351').txt"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$LROOT"
sql_error "a file name that is not valid UTF-8 is refused, not imported" \
    "SELECT lakefs_import('localrepo', 'main', ARRAY['local://latin1/'], 'l/')" 22023 'not valid UTF8'
sql_is "  and nothing was imported" "SELECT count(*) FROM lakefs_ls('localrepo', 'main', 'l/')" "0"
sql_error "a source inside the namespace is refused" \
    "SELECT lakefs_import('localrepo', 'main', ARRAY['local://repos/localrepo/data'])" 22023
sql_error "a path escaping the root is refused" \
    "SELECT lakefs_import('localrepo', 'main', ARRAY['local://../etc/'])" 22023 'has a "\." or "\.\." segment'
tap_done
