#!/usr/bin/env bash
# test/t/privileges.sh — who may use the catalog: a role without grants is
# refused (42501) and changes nothing; a role given the grants the README
# documents can run the versioning workflow; a role without USAGE on the
# foreign server cannot reach the object store.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"
PGOPTIONS="-c client_min_messages=warning" tap_db lakefs_t_privileges || { echo "not ok 1 - create database"; exit 1; }

PGOPTIONS='-c client_min_messages=warning' q <<'SQL' >/dev/null
DROP ROLE IF EXISTS lk_analyst; DROP ROLE IF EXISTS lk_outsider;
CREATE ROLE lk_analyst LOGIN; CREATE ROLE lk_outsider LOGIN;
SELECT lakefs_create_repository('shared', 's3://bucket/shared');
-- the grants documented in the README
GRANT USAGE ON SCHEMA lakefs TO lk_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA lakefs TO lk_analyst;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA lakefs TO lk_analyst;
GRANT SELECT ON lakefs_repositories, lakefs_branches, lakefs_tags, lakefs_commits,
	lakefs_staged_changes TO lk_analyst;
CREATE SERVER priv_s3 FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint 'http://127.0.0.1:9', region 'us-east-1');
CREATE USER MAPPING FOR PUBLIC SERVER priv_s3 OPTIONS (access_key_id 'k', secret_access_key 's');
SQL

as() { local role=$1; shift; PGUSER=$role q "$@"; }
# sql_as_error DESC ROLE SQL SQLSTATE: SQL run by ROLE fails with SQLSTATE
sql_as_error() {
    PGUSER=$2 sql_error "$1" "$3" "$4"
}

sql_as_error "a role without grants cannot read the catalog" lk_outsider \
    "SELECT * FROM lakefs_ls('shared', 'main')" 42501
sql_as_error "nor create repositories" lk_outsider \
    "SELECT lakefs_create_repository('mine', 's3://bucket/mine')" 42501
sql_as_error "nor read the views" lk_outsider "SELECT * FROM lakefs_branches" 42501
is "and changed nothing" "$(q -c "SELECT count(*) FROM lakefs_repositories")" "1"

out=$(as lk_analyst -c "SELECT lakefs_create_branch('shared', 'exp', 'main') IS NOT NULL" \
        -c "SELECT lakefs_stage_object('shared', 'exp', 'a', 'data/a', 1, 'c')" \
        -c "SELECT length(lakefs_commit('shared', 'exp', 'by analyst'))" \
        -c "SELECT committer FROM lakefs_log('shared', 'exp', 1)" 2>&1)
is "a granted role runs branch, stage, commit; it is the committer" "$(echo "$out" | tr '\n' ' ' | sed 's/ *$//')" "t  64 lk_analyst"
sql_as_error "without USAGE on the server, no network call" lk_analyst \
    "SELECT count(*) FROM lakefs_list_objects('priv_s3', 's3://bucket/')" 42501
tap_done
