#!/usr/bin/env bash
# test/t/local_blockstore.sh — local:// addresses under pg_lakefs.local_root:
# the same put/get/stat/list behaviour as s3://, and no way out of the root.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"
tap_db lakefs_t_local || { echo "not ok 1 - create database"; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
LROOT=$TMP/root
mkdir -p "$LROOT" "$TMP/outside"
echo "secret outside" >"$TMP/outside/file"
ln -s "$TMP/outside" "$LROOT/escape"
ln -s "$TMP/outside/file" "$LROOT/escape-file"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$TMP"
chmod 755 "$TMP"

sql_error "unconfigured: a clear error" \
    "SELECT lakefs_s3_get(NULL, 'local://x/y')" 55000 "local blockstore is not configured"
export PGOPTIONS="-c pg_lakefs.local_root=$LROOT"

sql_is "put returns the MD5 etag and size" \
    "SELECT etag = md5('local bytes'), size FROM lakefs_s3_put(NULL, 'local://repo/data/a.txt', 'local bytes')" "t|11"
[ -f "$LROOT/repo/data/a.txt" ] && ok "stored as a file under the root" || nok "stored as a file under the root"
sql_is "get" "SELECT convert_from(lakefs_s3_get(NULL, 'local://repo/data/a.txt'), 'UTF8')" "local bytes"
sql_is "range get" "SELECT convert_from(lakefs_s3_get(NULL, 'local://repo/data/a.txt', 6, 3), 'UTF8')" "byt"
sql_is "range past the end is empty" "SELECT length(lakefs_s3_get(NULL, 'local://repo/data/a.txt', 50))" "0"
sql_is "stat" \
    "SELECT size, etag = md5('local bytes'), last_modified > now() - interval '1 hour' FROM lakefs_s3_stat(NULL, 'local://repo/data/a.txt')" "11|t|t"
sql_is "overwrite" \
    "SELECT (lakefs_s3_put(NULL, 'local://repo/data/a.txt', 'v2')).size, convert_from(lakefs_s3_get(NULL, 'local://repo/data/a.txt'), 'UTF8')" "2|v2"
q -c "SELECT count(*) FROM unnest(ARRAY['repo/data/b/1', 'repo/data/b/2', 'repo/data/c/x/1', 'repo/data-other', 'repo/data/a-z']) k, lakefs_s3_put(NULL, 'local://' || k, k::bytea)" >/dev/null
sql_is "list recursive, in key order (S3 order: '-' before '/')" \
    "SELECT string_agg(key, ',') FROM lakefs_list_objects(NULL, 'local://repo/data')" \
    "repo/data-other,repo/data/a-z,repo/data/a.txt,repo/data/b/1,repo/data/b/2,repo/data/c/x/1"
sql_is "list with delimiter: common prefixes" \
    "SELECT string_agg(key || ':' || coalesce(size::text, 'prefix'), ',') FROM lakefs_list_objects(NULL, 'local://repo/data/', '/')" \
    "repo/data/a-z:13,repo/data/a.txt:2,repo/data/b/:prefix,repo/data/c/:prefix"
sql_is "list in small pages" \
    "SET pg_lakefs.list_page_size = 2; SELECT count(*), count(DISTINCT key) FROM lakefs_list_objects(NULL, 'local://repo/')" "6|6"
sql_is "list a missing directory" "SELECT count(*) FROM lakefs_list_objects(NULL, 'local://nothing/here/')" "0"
sql_is "list checksums match stat" \
    "SELECT bool_and(l.etag = s.etag AND l.size = s.size) FROM lakefs_list_objects(NULL, 'local://repo/') l, lakefs_s3_stat(NULL, 'local://' || l.key) s" "t"
sql_error "missing object: undefined object" \
    "SELECT lakefs_s3_get(NULL, 'local://repo/data/nope')" 42704 'object "local://repo/data/nope" does not exist'
sql_error "a directory is not an object" \
    "SELECT * FROM lakefs_s3_stat(NULL, 'local://repo/data')" 42704
sql_is "delete" \
    "SELECT lakefs_s3_delete(NULL, 'local://repo/data/b/2'); SELECT count(*) FROM lakefs_list_objects(NULL, 'local://repo/data/b/')" "
1"
sql_is "a 20 MiB object round trip" \
    "SELECT (lakefs_s3_put(NULL, 'local://repo/big', decode(repeat('0123456789abcdef', 1310720), 'hex'))).size, md5(lakefs_s3_get(NULL, 'local://repo/big')) = md5(decode(repeat('0123456789abcdef', 1310720), 'hex'))" \
    "10485760|t"
sql_error "presign is s3 only" \
    "SELECT lakefs_s3_presign(NULL, 'GET', 'local://repo/big', '1 minute')" 0A000

# --- no escape from the root
for bad in "../x" "repo/../../x" "repo/./x" "repo//x" "/etc/passwd" "repo/.lakefs-tmp-1" "repo/x/"; do
    sql_error "refused: local://$bad" \
        "SELECT lakefs_s3_put(NULL, 'local://$bad', 'x')" 22023 "invalid local object path"
done
sql_error "refused: reading ../ paths" "SELECT lakefs_s3_get(NULL, 'local://../outside/file')" 22023
sql_error "refused: listing ../" "SELECT * FROM lakefs_list_objects(NULL, 'local://../')" 22023
sql_error "refused: a symlinked directory leading outside (write)" \
    "SELECT lakefs_s3_put(NULL, 'local://escape/new', 'x')" 42501 "leads outside"
sql_error "refused: a symlinked directory leading outside (read)" \
    "SELECT lakefs_s3_get(NULL, 'local://escape/file')" 42501 "leads outside"
sql_error "refused: a symlinked file leading outside" \
    "SELECT lakefs_s3_get(NULL, 'local://escape-file')" 42501
sql_error "refused: listing through a symlink" \
    "SELECT * FROM lakefs_list_objects(NULL, 'local://escape/')" 42501
sql_is "listing the root skips symlinks" \
    "SELECT count(*) FROM lakefs_list_objects(NULL, 'local://') WHERE key LIKE 'escape%'" "0"
[ ! -e "$TMP/outside/new" ] && ok "nothing was written outside" || nok "nothing was written outside"

# --- only a superuser sets the root
q -c "DROP ROLE IF EXISTS lakefs_local_user; CREATE ROLE lakefs_local_user LOGIN" >/dev/null 2>&1
unset PGOPTIONS
got=$(psql -XAtq -v VERBOSITY=verbose -U lakefs_local_user -d "$TEST_DB" \
    -c "SELECT lakefs_version()" -c "SET pg_lakefs.local_root = '/'" 2>&1)
echo "$got" | grep -q "ERROR:  42501: permission denied to set parameter \"pg_lakefs.local_root\"" &&
    ok "a non-superuser cannot set pg_lakefs.local_root" || nok "a non-superuser cannot set pg_lakefs.local_root" "$got"
sql_error "a relative root is refused" \
    "SET pg_lakefs.local_root = 'relative/dir'; SELECT lakefs_s3_get(NULL, 'local://x')" 22023 "absolute"

tap_done
