#!/usr/bin/env bash
# test/t/namespace.sh — one namespace, one repository, across the databases
# of one cluster: the _lakefs/ marker a repository writes makes the namespace
# taken for every other database (local:// and, with the S3 test server, s3://);
# within one database sql/experiments.sql covers overlaps. And a local://
# repository needs pg_lakefs.local_root when it is created, not later.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"

LROOT=$ROOT/tmp_check/namespace-root
rm -rf "$LROOT"; mkdir -p "$LROOT"
[ "$(id -u)" -eq 0 ] && chown postgres: "$LROOT"

tap_db lakefs_t_namespace_b || { echo "not ok 1 - create database"; exit 1; }
DB_B=$TEST_DB
tap_db lakefs_t_namespace_a || { echo "not ok 1 - create database"; exit 1; }
DB_A=$TEST_DB
sql_error "a local:// repository while pg_lakefs.local_root is unset is refused at once" \
    "SELECT lakefs_create_repository('early', 'local://early')" 55000 'local blockstore is not configured'
sql_is "and leaves nothing behind" "SELECT count(*) FROM lakefs_repositories" "0"
for db in "$DB_A" "$DB_B"; do
    TEST_DB=$db q -c "ALTER DATABASE $db SET pg_lakefs.local_root = '$LROOT'" >/dev/null
done

TEST_DB=$DB_A
sql_is "database a creates a local:// repository" \
    "SELECT length(lakefs_create_repository('first', 'local://shared/ns'))" "64"
TEST_DB=$DB_B
sql_error "database b cannot create one on the same namespace" \
    "SELECT lakefs_create_repository('second', 'local://shared/ns')" 42710 'holds another repository'
echo "$LAST_ERROR" | grep -q 'HINT:  Another repository' &&
    ok "the hint says another repository uses it" || nok "the hint says another repository uses it" "$LAST_ERROR"
sql_error "nor with a trailing slash" \
    "SELECT lakefs_create_repository('second', 'local://shared/ns/')" 42710 'holds another repository'
sql_is "the refused call left nothing behind" "SELECT count(*) FROM lakefs_repositories" "0"
sql_is "a namespace next to it is fine" \
    "SELECT length(lakefs_create_repository('second', 'local://shared/ns2'))" "64"
TEST_DB=$DB_A
sql_error "and within database a the overlap names the repository" \
    "SELECT lakefs_create_repository('third', 'local://shared')" 42710 'overlaps'
echo "$LAST_ERROR" | grep -q 'HINT:  Repository "first" uses it' &&
    ok "the hint names it" || nok "the hint names it" "$LAST_ERROR"

if [ -n "${LAKEFS_S3_ENDPOINT:-}" ]; then
    for db in "$DB_A" "$DB_B"; do
        TEST_DB=$db q <<SQL >/dev/null
CREATE SERVER rgw FOREIGN DATA WRAPPER lakefs_s3
    OPTIONS (endpoint '$LAKEFS_S3_ENDPOINT', region '$LAKEFS_S3_REGION', url_style 'path');
CREATE USER MAPPING FOR PUBLIC SERVER rgw
    OPTIONS (access_key_id '$LAKEFS_S3_ACCESS_KEY', secret_access_key '$LAKEFS_S3_SECRET_KEY');
SQL
    done
    TEST_DB=$DB_A
    q -c "SELECT lakefs_s3_create_bucket('rgw', 'ns-test')" >/dev/null 2>&1
    sql_is "database a creates an s3:// repository" \
        "SELECT length(lakefs_create_repository('s3-first', 's3://ns-test/repo', server => 'rgw'))" "64"
    TEST_DB=$DB_B
    sql_error "database b cannot create one on the same s3:// namespace" \
        "SELECT lakefs_create_repository('s3-second', 's3://ns-test/repo', server => 'rgw')" \
        42710 'holds another repository'
    sql_is "database b can use another prefix of the bucket" \
        "SELECT length(lakefs_create_repository('s3-second', 's3://ns-test/repo-2', server => 'rgw'))" "64"
fi

for db in "$DB_A" "$DB_B"; do
    psql -XAtq -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
done
tap_done
