#!/usr/bin/env bash
# test/t/privileges.sh — who may do what, with several roles: the catalog
# tables are behind one door (no role but the extension owner touches them);
# per-repository read/write/admin grants, write limited by branch patterns;
# views show only readable repositories; hooks and the bulk staging query run
# with the caller's rights; catalog statements ignore the caller's
# search_path; every head move is announced on lakefs_events; against the S3
# test server (RGW with two S3 users) each role uses its own user mapping.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"
PGOPTIONS="-c client_min_messages=warning" tap_db lakefs_t_privileges || { echo "not ok 1 - create database"; exit 1; }
export PGOPTIONS="-c client_min_messages=warning"

ROLES="lk_stranger lk_reader lk_writer lk_repo_admin lk_ops lk_s3a lk_s3b"
for r in $ROLES; do
    psql -XAtq -d "$TEST_DB" -c "DROP OWNED BY $r" >/dev/null 2>&1
    psql -XAtq -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1
done
q <<'SQL' >/dev/null
CREATE ROLE lk_stranger LOGIN; CREATE ROLE lk_reader LOGIN; CREATE ROLE lk_writer LOGIN;
CREATE ROLE lk_repo_admin LOGIN; CREATE ROLE lk_ops LOGIN IN ROLE lakefs_admin;
SELECT lakefs_create_repository('shared', 's3://bucket/shared');
SELECT lakefs_stage_object('shared', 'main', 'a.csv', 'data/a', 1, 'ca');
SELECT lakefs_commit('shared', 'main', 'first');
SELECT lakefs_create_tag('shared', 'v1', 'main');
SELECT lakefs_grant('shared', 'lk_reader', 'read');
SELECT lakefs_grant('shared', 'lk_writer', 'write', branches => 'exp-*');
SELECT lakefs_grant('shared', 'lk_repo_admin', 'admin');
CREATE TABLE owner_only (x int);
CREATE TABLE secret (path text);
INSERT INTO secret VALUES ('s.csv');
CREATE FUNCTION audit(event jsonb) RETURNS void LANGUAGE sql
    AS $$ INSERT INTO owner_only VALUES (1) $$;
SQL

as() { local role=$1; shift; PGUSER=$role q "$@"; }
sql_as_error() { PGUSER=$2 sql_error "$1" "$3" "$4" "${5:-}"; }

# ---- the stranger: sees nothing, may do nothing
is "a stranger sees no repository, branch, tag, commit, staged change, grant, rule or hook" \
    "$(as lk_stranger -c "SELECT (SELECT count(*) FROM lakefs_repositories) + (SELECT count(*) FROM lakefs_branches)
        + (SELECT count(*) FROM lakefs_tags) + (SELECT count(*) FROM lakefs_commits)
        + (SELECT count(*) FROM lakefs_staged_changes) + (SELECT count(*) FROM lakefs_grants)
        + (SELECT count(*) FROM lakefs_branch_protection) + (SELECT count(*) FROM lakefs_hooks)" 2>&1)" "0"

# every function that names a repository, found in pg_proc (so functions added
# later are covered), called with plausible arguments: each must answer 42501
out=$(as lk_stranger 2>&1 <<'SQL'
CREATE TEMP TABLE answers (fn text, state text);
DO $$
DECLARE
    f record;
    call text;
    st text;
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS sig, p.proname,
                    (SELECT string_agg(CASE
                        WHEN n = 'repository' THEN quote_literal('shared')
                        WHEN n IN ('branch', 'dest_branch') THEN quote_literal('main')
                        WHEN n LIKE '%ref' THEN quote_literal('main')
                        WHEN n = 'tag' THEN quote_literal('v2')
                        WHEN n = 'path' THEN quote_literal('a.csv')
                        WHEN n = 'role' THEN quote_literal('lk_stranger')
                        WHEN n = 'privilege' THEN quote_literal('read')
                        WHEN n = 'event' THEN quote_literal('pre-commit')
                        WHEN n IN ('pattern', 'branches') AND t <> 'jsonb'::regtype THEN quote_literal('*')
                        WHEN n = 'query' THEN quote_literal('SELECT 1')
                        WHEN n = 'strategy' THEN quote_literal('source-wins')
                        WHEN t = 'timestamptz'::regtype THEN 'now()'
                        WHEN t = 'regprocedure'::regtype THEN quote_literal('lakefs_version()')
                        WHEN t = 'bytea'::regtype THEN quote_literal('\x00')
                        WHEN t = 'jsonb'::regtype THEN quote_literal('{}')
                        WHEN t = 'text[]'::regtype THEN quote_literal('{s3://bucket/x/}')
                        WHEN t IN ('integer'::regtype, 'bigint'::regtype, 'double precision'::regtype) THEN '1'
                        WHEN t = 'boolean'::regtype THEN 'false'
                        WHEN t = 'interval'::regtype THEN quote_literal('1 minute')
                        ELSE quote_literal('x') END || '::' || format_type(t, NULL), ', ' ORDER BY i)
                       FROM unnest(p.proargnames[1:p.pronargs], p.proargtypes::regtype[]) WITH ORDINALITY a(n, t, i)) AS args
               FROM pg_proc p
              WHERE p.proname LIKE 'lakefs%' AND p.proargnames[1] = 'repository'
                AND p.pronargs >= 1 AND p.proname <> 'lakefs_has_privilege'
    LOOP
        call := format('SELECT * FROM %I(%s)', f.proname, f.args);
        BEGIN
            EXECUTE call;
            st := 'ok';
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
        END;
        INSERT INTO answers VALUES (f.sig::text, st);
    END LOOP;
END $$;
SELECT count(*) FROM answers;
SELECT fn || ' -> ' || state FROM answers WHERE state <> '42501' ORDER BY 1;
SQL
)
n=$(echo "$out" | head -1)
[ "$n" -ge 30 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] &&
    ok "a stranger gets 42501 from every function that names a repository ($n)" ||
    nok "a stranger gets 42501 from every function that names a repository" "$out"
is "lakefs_has_privilege answers the stranger: no" \
    "$(as lk_stranger -c "SELECT lakefs_has_privilege('shared', 'read')")" "f"
sql_as_error "a stranger's error names the missing grant" lk_stranger \
    "SELECT * FROM lakefs_ls('shared', 'main')" 42501 "lakefs_grant\('shared', 'lk_stranger', 'read'\)"

# ---- one door: no role but the owner touches the tables
for t in repositories branches commits tags ranges metaranges staging staging_runs grants branch_protection hooks; do
    sql_as_error "direct DELETE on lakefs.$t by a writer fails" lk_writer "DELETE FROM lakefs.$t" 42501
done
sql_as_error "direct UPDATE of a branch head fails" lk_repo_admin \
    "UPDATE lakefs.branches SET head = head" 42501
sql_as_error "direct INSERT of a grant fails" lk_reader \
    "INSERT INTO lakefs.grants VALUES (1, 'lk_reader', 'admin', '*', 'lk_reader')" 42501
sql_as_error "nor the staging sequence" lk_reader "SELECT nextval('lakefs.staging_seq')" 42501

# ---- the reader
is "a reader sees the repository, its branch, tag and commits" \
    "$(as lk_reader -c "SELECT (SELECT count(*) FROM lakefs_repositories), (SELECT count(*) FROM lakefs_branches),
        (SELECT count(*) FROM lakefs_tags), (SELECT count(*) FROM lakefs_commits)")" "1|1|1|2"
is "a reader lists, logs and diffs" \
    "$(as lk_reader -c "SELECT string_agg(path, ',') FROM lakefs_ls('shared', 'main')" \
        -c "SELECT count(*) FROM lakefs_log('shared', 'main')" \
        -c "SELECT count(*) FROM lakefs_diff('shared', 'main~1', 'main')" | tr '\n' ' ')" "a.csv 2 1 "
sql_as_error "a reader cannot stage" lk_reader \
    "SELECT lakefs_stage_object('shared', 'main', 'b.csv', 'data/b', 1, 'cb')" 42501 'write branch "main"'
sql_as_error "a reader cannot create a branch" lk_reader \
    "SELECT lakefs_create_branch('shared', 'exp-r', 'main')" 42501
sql_as_error "a reader cannot tag" lk_reader "SELECT lakefs_create_tag('shared', 'v2', 'main')" 42501
sql_as_error "a reader cannot ask for an upload URL" lk_reader \
    "SELECT * FROM lakefs_upload_url('shared', 'main', 'u.csv')" 42501
sql_as_error "a reader cannot grant" lk_reader "SELECT lakefs_grant('shared', 'lk_stranger', 'read')" 42501

# ---- the writer limited to exp-*
out=$(as lk_writer -c "SELECT lakefs_create_branch('shared', 'exp-1', 'main') IS NOT NULL" \
        -c "SELECT lakefs_stage_object('shared', 'exp-1', 'b.csv', 'data/b', 1, 'cb')" \
        -c "SELECT length(lakefs_commit('shared', 'exp-1', 'by writer'))" \
        -c "SELECT committer FROM lakefs_log('shared', 'exp-1', 1)" 2>&1)
is "a writer on exp-* branches, stages and commits there; it is the committer" \
    "$(echo "$out" | tr '\n' ' ' | sed 's/ *$//')" "t  64 lk_writer"
sql_as_error "a writer on exp-* cannot commit to main" lk_writer \
    "SELECT lakefs_commit('shared', 'main', 'no', allow_empty => true)" 42501 "branches => 'main'"
sql_as_error "nor merge into main" lk_writer "SELECT lakefs_merge('shared', 'exp-1', 'main')" 42501
sql_as_error "nor create a branch outside exp-*" lk_writer \
    "SELECT lakefs_create_branch('shared', 'other', 'main')" 42501
sql_as_error "nor delete the repository" lk_writer "SELECT lakefs_delete_repository('shared')" 42501
sql_as_error "nor protect a branch" lk_writer "SELECT lakefs_protect_branch('shared', 'main')" 42501
sql_as_error "the bulk staging query runs with the writer's rights" lk_writer \
    "SELECT lakefs_stage_objects('shared', 'exp-1', \$\$SELECT path, 'data/s' AS physical_address, 1 AS size, 'c' AS checksum FROM secret\$\$)" \
    42501 "permission denied for table secret"
is "a writer sees has_privilege as it is" \
    "$(as lk_writer -c "SELECT lakefs_has_privilege('shared', 'write', 'exp-9'), lakefs_has_privilege('shared', 'write', 'main'), lakefs_has_privilege('shared', 'admin')")" "t|f|f"

# catalog statements ignore the caller's search_path
q <<'SQL' >/dev/null
CREATE SCHEMA evil;
CREATE FUNCTION evil.nextval(regclass) RETURNS bigint LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'hijacked'; END $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = texteq);
GRANT USAGE ON SCHEMA evil TO PUBLIC;
SQL
is "a caller's search_path (evil, pg_catalog) reaches no catalog statement" \
    "$(PGOPTIONS="$PGOPTIONS -c search_path=evil,pg_catalog,public" as lk_writer \
        -c "SELECT lakefs_stage_objects('shared', 'exp-1', \$\$SELECT 'e.csv' AS path, 'data/e' AS physical_address, 1 AS size, 'c' AS checksum\$\$)" 2>&1)" "1"

# ---- the repository admin
as lk_repo_admin -c "SELECT lakefs_grant('shared', 'lk_stranger', 'read')" >/dev/null
is "an admin grants: the stranger now sees the repository" \
    "$(as lk_stranger -c "SELECT count(*) FROM lakefs_repositories" 2>&1)" "1"
out=$(as lk_repo_admin -c "SELECT lakefs_revoke('shared', 'lk_stranger', 'read')" \
        -c "SELECT lakefs_protect_branch('shared', 'main')" \
        -c "SELECT role || ':' || privilege || ':' || branches FROM lakefs_grants ORDER BY 1" 2>&1)
is "an admin revokes and protects; the grants are listed" "$(echo "$out" | tail -3 | tr '\n' ' ' | sed 's/ *$//')" \
    "lk_reader:read:* lk_repo_admin:admin:* lk_writer:write:exp-*"
is "revoked: the stranger sees nothing again" "$(as lk_stranger -c "SELECT count(*) FROM lakefs_repositories")" "0"
as lk_repo_admin -c "SELECT lakefs_add_hook('shared', 'pre-create-tag', 'audit(jsonb)')" >/dev/null
sql_as_error "a hook runs with the caller's rights, not the owner's" lk_repo_admin \
    "SELECT lakefs_create_tag('shared', 'v3', 'main')" \
    42501 "permission denied for table owner_only"
is "and its operation left nothing" "$(q -c "SELECT count(*) FROM lakefs_tags WHERE tag = 'v3'")|$(q -c "SELECT count(*) FROM owner_only")" "0|0"
is "the same operation by the owner runs the hook" \
    "$(q -c "SELECT lakefs_create_tag('shared', 'v3', 'main') IS NOT NULL" -c "SELECT count(*) FROM owner_only" | tr '\n' ' ')" "t 1 "

# ---- lakefs_admin members and the creator
is "a member of lakefs_admin may do anything, e.g. fsck every repository" \
    "$(as lk_ops -c "SELECT count(*) FROM lakefs_fsck()" -c "SELECT lakefs_has_privilege('shared', 'admin')" | tr '\n' ' ')" "0 t "
is "a role's own repository is its own: the creator is its admin" \
    "$(as lk_stranger -c "SELECT lakefs_create_repository('strangers', 's3://bucket/strangers') IS NOT NULL" \
        -c "SELECT lakefs_has_privilege('strangers', 'admin')" -c "SELECT owner FROM lakefs_repositories" | tr '\n' ' ')" "t t lk_stranger "
sql_as_error "granting to a role that does not exist" lk_stranger \
    "SELECT lakefs_grant('strangers', 'lk_nobody', 'read')" 42704
sql_as_error "an unknown privilege" lk_stranger \
    "SELECT lakefs_grant('strangers', 'lk_reader', 'owner')" 22023

# ---- every head move is announced
out=$(as lk_writer -c "LISTEN lakefs_events" \
        -c "SELECT lakefs_stage_object('shared', 'exp-1', 'n.csv', 'data/n', 1, 'cn')" \
        -c "SELECT lakefs_commit('shared', 'exp-1', 'notify') IS NOT NULL" 2>&1)
echo "$out" | grep -q 'Asynchronous notification "lakefs_events" with payload "{"event": "head-moved", "repository": "shared", "repository_id": [0-9]*, "branch": "exp-1", "head": "[0-9a-f]\{64\}"}"' &&
    ok "a commit notifies lakefs_events with the branch and its new head" || nok "a commit notifies lakefs_events" "$out"
out=$(as lk_writer -c "LISTEN lakefs_events" -c "SELECT lakefs_create_branch('shared', 'exp-n', 'main') IS NOT NULL" \
        -c "SELECT lakefs_delete_branch('shared', 'exp-n')" 2>&1)
echo "$out" | grep -q '"event": "branch-created".*"branch": "exp-n"' && echo "$out" | grep -q '"event": "branch-deleted".*"head": null' &&
    ok "creating and deleting a branch notify" || nok "creating and deleting a branch notify" "$out"

# ---- object-store keys per role (RGW with two S3 users)
if [ -z "${LAKEFS_S3_ENDPOINT:-}" ] || [ -z "${LAKEFS_S3_DIR:-}" ]; then
    echo "# skip: no S3 test server for the two-user checks"
else
    KEY2=LAKEFSTESTACCESSKEY2; SECRET2=lakefsTestSecretKey2222222222222222222222
    radosgw-admin -c "$LAKEFS_S3_DIR/ceph.conf" -n client.rgw.test user create --uid=lakefs-test2 \
        --display-name="pg_lakefs tests, second user" --access-key="$KEY2" --secret-key="$SECRET2" >/dev/null 2>&1 ||
        radosgw-admin -c "$LAKEFS_S3_DIR/ceph.conf" -n client.rgw.test user info --uid=lakefs-test2 >/dev/null 2>&1 ||
        nok "radosgw-admin creates a second S3 user"
    q <<SQL >/dev/null
CREATE ROLE lk_s3a LOGIN; CREATE ROLE lk_s3b LOGIN;
CREATE SERVER rgw_priv FOREIGN DATA WRAPPER lakefs_s3
    OPTIONS (endpoint '$LAKEFS_S3_ENDPOINT', region '$LAKEFS_S3_REGION', url_style 'path', max_retries '0');
GRANT USAGE ON FOREIGN SERVER rgw_priv TO lk_s3a, lk_s3b, lk_reader;
CREATE USER MAPPING FOR lk_s3a SERVER rgw_priv
    OPTIONS (access_key_id '$LAKEFS_S3_ACCESS_KEY', secret_access_key '$LAKEFS_S3_SECRET_KEY');
CREATE USER MAPPING FOR lk_s3b SERVER rgw_priv
    OPTIONS (access_key_id '$KEY2', secret_access_key '$SECRET2');
SQL
    out=$(as lk_s3a -c "SELECT lakefs_s3_create_bucket('rgw_priv', 'priv-keys-a')" \
            -c "SELECT lakefs_create_repository('keys-a', 's3://priv-keys-a/repo', server => 'rgw_priv') IS NOT NULL" \
            -c "SELECT size FROM lakefs_put_object('keys-a', 'main', 'f.txt', 'secret bytes')" \
            -c "SELECT lakefs_commit('keys-a', 'main', 'f') IS NOT NULL" \
            -c "SELECT lakefs_grant('keys-a', 'lk_s3b', 'read')" \
            -c "SELECT lakefs_grant('keys-a', 'lk_reader', 'read')" \
            -c "SELECT convert_from(lakefs_get_object('keys-a', 'main', 'f.txt'), 'UTF8')" 2>&1)
    is "role A (first S3 user) creates a bucket and a repository, writes and reads back" \
        "$(echo "$out" | tr '\n' ' ' | sed 's/ *$//')" " t 12 t   secret bytes"
    sql_as_error "role B, granted read, reads with its own keys: the second S3 user may not read A's bucket" lk_s3b \
        "SELECT lakefs_get_object('keys-a', 'main', 'f.txt')" 42501 "AccessDenied|denied"
    is "role B, a reader, presigns: the URL carries its own access key, not A's" \
        "$(as lk_s3b -c "SELECT lakefs_presign('keys-a', 'main', 'f.txt') LIKE '%$KEY2%', lakefs_presign('keys-a', 'main', 'f.txt') LIKE '%$LAKEFS_S3_ACCESS_KEY%'")" "t|f"
    sql_as_error "a role without a user mapping gets none of the others' (nor the owner's)" lk_reader \
        "SELECT lakefs_get_object('keys-a', 'main', 'f.txt')" 42704 "user mapping"
fi
tap_done
