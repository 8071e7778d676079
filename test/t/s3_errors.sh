#!/usr/bin/env bash
# test/t/s3_errors.sh — every failure has its own clear error: bad credentials,
# missing bucket or key, an unreachable server (bounded retries), a server that
# never answers (statement_timeout cancels), malformed replies (a local stub),
# privileges, and secrets never shown.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"

if [ -z "${LAKEFS_S3_ENDPOINT:-}" ]; then
    echo "# skip: no S3 test server (LAKEFS_S3_ENDPOINT unset)"
    echo "1..0"; exit 0
fi
tap_db lakefs_t_s3_errors || { echo "not ok 1 - create database"; exit 1; }
TMP=$(mktemp -d)
STUBS=()
cleanup() {
    for p in "${STUBS[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

# start_stub MODE: start test/lib/stub_server.py MODE; sets STUB_PORT.
start_stub() {
    /usr/bin/python3 "$ROOT/test/lib/stub_server.py" "$1" "$TMP/$1.port" &
    STUBS+=($!)
    for _ in $(seq 100); do [ -s "$TMP/$1.port" ] && break; sleep 0.05; done
    STUB_PORT=$(cat "$TMP/$1.port")
}

SECRET=$LAKEFS_S3_SECRET_KEY
q <<SQL >/dev/null
CREATE SERVER rgw FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint '$LAKEFS_S3_ENDPOINT');
CREATE USER MAPPING FOR postgres SERVER rgw
    OPTIONS (access_key_id '$LAKEFS_S3_ACCESS_KEY', secret_access_key '$SECRET');
CREATE SERVER wrong_secret FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint '$LAKEFS_S3_ENDPOINT');
CREATE USER MAPPING FOR postgres SERVER wrong_secret
    OPTIONS (access_key_id '$LAKEFS_S3_ACCESS_KEY', secret_access_key 'not-the-secret-0123456789');
CREATE SERVER unknown_key FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint '$LAKEFS_S3_ENDPOINT');
CREATE USER MAPPING FOR postgres SERVER unknown_key
    OPTIONS (access_key_id 'NOSUCHACCESSKEY00000', secret_access_key 'whatever-secret');
CREATE SERVER no_creds FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint '$LAKEFS_S3_ENDPOINT');
CREATE USER MAPPING FOR postgres SERVER no_creds;
CREATE SERVER no_mapping FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint '$LAKEFS_S3_ENDPOINT');
CREATE SERVER no_endpoint FOREIGN DATA WRAPPER lakefs_s3;
CREATE USER MAPPING FOR postgres SERVER no_endpoint OPTIONS (access_key_id 'a', secret_access_key 'b');
SELECT lakefs_s3_create_bucket('rgw', 'err-test');
SELECT lakefs_s3_put('rgw', 's3://err-test/exists', 'here');
SQL

# --- credentials, bucket, key: each its own error
sql_error "wrong secret: invalid authorization, SignatureDoesNotMatch" \
    "SELECT lakefs_s3_get('wrong_secret', 's3://err-test/exists')" 28000 "signature does not match"
echo "$LAKEFS_S3_ACCESS_KEY $LAST_ERROR" | grep -q "code SignatureDoesNotMatch, request id" &&
    ok "wrong secret: S3 code and request id in the detail" || nok "wrong secret detail" "$LAST_ERROR"
echo "$LAST_ERROR" | grep -q "not-the-secret" && nok "the secret is not in the error" "$LAST_ERROR" ||
    ok "the secret is not in the error"
echo "$LAST_ERROR" | grep -q "CONTEXT:  GET object s3://err-test/exists" &&
    ok "bucket and key in the error context" || nok "bucket and key in the error context" "$LAST_ERROR"
sql_error "unknown access key: invalid authorization, InvalidAccessKeyId" \
    "SELECT lakefs_s3_get('unknown_key', 's3://err-test/exists')" 28000 "access key is not known"
sql_error "missing bucket: undefined object, bucket" \
    "SELECT lakefs_s3_get('rgw', 's3://no-such-bucket/exists')" 42704 "S3 bucket does not exist"
sql_error "missing key: undefined object, object" \
    "SELECT lakefs_s3_get('rgw', 's3://err-test/no-such-key')" 42704 "S3 object does not exist"
echo "$LAST_ERROR" | grep -q "code NoSuchKey" && ok "missing key: code NoSuchKey in the detail" ||
    nok "missing key detail" "$LAST_ERROR"
sql_error "stat of a missing key (HEAD, no body)" \
    "SELECT * FROM lakefs_s3_stat('rgw', 's3://err-test/no-such-key')" 42704 "S3 object does not exist"
sql_error "listing a missing bucket" \
    "SELECT * FROM lakefs_list_objects('rgw', 's3://no-such-bucket/')" 42704 "S3 bucket does not exist"
sql_error "put with a wrong secret" \
    "SELECT lakefs_s3_put('wrong_secret', 's3://err-test/x', 'x')" 28000
sql_error "mapping without credentials" \
    "SELECT lakefs_s3_get('no_creds', 's3://err-test/exists')" HV00J "has no credentials"
sql_error "no user mapping" \
    "SELECT lakefs_s3_get('no_mapping', 's3://err-test/exists')" 42704 "has no user mapping for server"
sql_error "server without endpoint" \
    "SELECT lakefs_s3_get('no_endpoint', 's3://err-test/exists')" HV00J "has no endpoint"
sql_error "unknown server" \
    "SELECT lakefs_s3_get('nope', 's3://err-test/exists')" 42704
sql_error "an address that is not s3:// or local://" \
    "SELECT lakefs_s3_get('rgw', 'http://err-test/exists')" 22023 "invalid object address"
sql_error "an s3 address without a key" \
    "SELECT lakefs_s3_get('rgw', 's3://err-test/')" 22023 "has no key"
sql_error "a negative length" \
    "SELECT lakefs_s3_get('rgw', 's3://err-test/exists', 0, -1)" 22023

# --- privileges
q <<'SQL' >/dev/null
SET client_min_messages = warning;
DROP ROLE IF EXISTS lakefs_nobody;
CREATE ROLE lakefs_nobody LOGIN;
CREATE USER MAPPING FOR lakefs_nobody SERVER rgw OPTIONS (access_key_id 'x', secret_access_key 'y');
SQL
LAST_ERROR=$(psql -XAtq -v VERBOSITY=verbose -U lakefs_nobody -d "$TEST_DB" \
    -c "SELECT lakefs_s3_get('rgw', 's3://err-test/exists')" 2>&1)
echo "$LAST_ERROR" | grep -q "^ERROR:  42501: permission denied for foreign server rgw" &&
    ok "no USAGE on the server: permission denied" || nok "no USAGE on the server" "$LAST_ERROR"
LAST_ERROR=$(psql -XAtq -v VERBOSITY=verbose -U lakefs_nobody -d "$TEST_DB" \
    -c "SELECT lakefs_s3_presign('rgw', 'GET', 's3://err-test/exists', '1 minute')" 2>&1)
echo "$LAST_ERROR" | grep -q "^ERROR:  42501:" && ok "presign needs USAGE too" || nok "presign needs USAGE" "$LAST_ERROR"
q -c "GRANT USAGE ON FOREIGN SERVER rgw TO lakefs_nobody" >/dev/null
LAST_ERROR=$(psql -XAtq -v VERBOSITY=verbose -U lakefs_nobody -d "$TEST_DB" \
    -c "SELECT lakefs_s3_get('rgw', 's3://err-test/exists')" 2>&1)
echo "$LAST_ERROR" | grep -q "^ERROR:  28000:" && ok "with USAGE the user's own mapping is used" ||
    nok "with USAGE the user's own mapping is used" "$LAST_ERROR"
LAST_ERROR=$(psql -XAtq -v VERBOSITY=verbose -U lakefs_nobody -d "$TEST_DB" \
    -c "SELECT umoptions FROM pg_user_mappings WHERE srvname = 'rgw'" 2>&1)
echo "$LAST_ERROR" | grep -q "$SECRET" && nok "another user's secret is not visible" ||
    ok "another user's secret is not visible"

# --- an unreachable server: bounded retries
port=$((20000 + RANDOM % 20000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
q <<SQL >/dev/null
CREATE SERVER down FOREIGN DATA WRAPPER lakefs_s3
    OPTIONS (endpoint 'http://127.0.0.1:$port', max_retries '3', connect_timeout '2s');
CREATE USER MAPPING FOR postgres SERVER down OPTIONS (access_key_id 'a', secret_access_key 'b');
SQL
t0=$(now_ms)
sql_error "a stopped server: connection failure" \
    "SELECT lakefs_s3_get('down', 's3://err-test/exists')" 08006 "could not reach S3 server \"down\""
t1=$(now_ms)
echo "$LAST_ERROR" | grep -q "after 4 attempts" && ok "gave up after 1 + max_retries attempts" ||
    nok "gave up after 1 + max_retries attempts" "$LAST_ERROR"
[ $((t1 - t0)) -ge 300 ] && [ $((t1 - t0)) -lt 5000 ] && ok "backoff between retries, bounded ($((t1 - t0)) ms)" ||
    nok "backoff between retries, bounded" "took $((t1 - t0)) ms"
q -c "ALTER SERVER down OPTIONS (SET max_retries '0')" >/dev/null
t0=$(now_ms)
sql_error "max_retries 0: one attempt" \
    "SELECT lakefs_s3_get('down', 's3://err-test/exists')" 08006 "after 1 attempt\."
t1=$(now_ms)
[ $((t1 - t0)) -lt 1000 ] && ok "no retry, no wait ($((t1 - t0)) ms)" || nok "no retry, no wait" "took $((t1 - t0)) ms"

# --- a server that accepts and never answers
start_stub hang
q <<SQL >/dev/null
CREATE SERVER hang FOREIGN DATA WRAPPER lakefs_s3
    OPTIONS (endpoint 'http://127.0.0.1:$STUB_PORT', max_retries '0');
CREATE USER MAPPING FOR postgres SERVER hang OPTIONS (access_key_id 'a', secret_access_key 'b');
SQL
t0=$(now_ms)
sql_error "statement_timeout cancels a transfer that never answers" \
    "SET statement_timeout = '1s'; SELECT lakefs_s3_get('hang', 's3://b/k')" 57014 "statement timeout"
t1=$(now_ms)
[ $((t1 - t0)) -lt 2500 ] && ok "cancelled within a second of the timeout ($((t1 - t0)) ms)" ||
    nok "cancelled within a second of the timeout" "took $((t1 - t0)) ms"
sql_error "statement_timeout cancels a listing" \
    "SET statement_timeout = '500ms'; SELECT * FROM lakefs_list_objects('hang', 's3://b/')" 57014
# pg_cancel_backend from another session
psql -XAtq -d "$TEST_DB" -v VERBOSITY=verbose -c "SELECT lakefs_s3_put('hang', 's3://b/k', 'data')" >"$TMP/cancel.out" 2>&1 &
cpid=$!
sleep 0.5
t0=$(now_ms)
q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT lakefs_s3_put(''hang''%' AND pid <> pg_backend_pid()" >/dev/null
wait $cpid
t1=$(now_ms)
grep -q "^ERROR:  57014: canceling statement due to user request" "$TMP/cancel.out" &&
    ok "pg_cancel_backend cancels an upload ($((t1 - t0)) ms)" || nok "pg_cancel_backend cancels an upload" "$(cat "$TMP/cancel.out")"
got=$(psql -XAtq -d "$TEST_DB" 2>/dev/null <<'SQL'
SET statement_timeout = '300ms';
SELECT lakefs_s3_get('hang', 's3://b/k');
RESET statement_timeout;
SELECT convert_from(lakefs_s3_get('rgw', 's3://err-test/exists'), 'UTF8');
SQL
)
is "the session and its cached handle work after a cancel" "$got" "here"
q -c "ALTER SERVER hang OPTIONS (ADD request_timeout '700ms')" >/dev/null
t0=$(now_ms)
sql_error "request_timeout bounds a request" \
    "SELECT lakefs_s3_get('hang', 's3://b/k')" 08006 "could not reach"
t1=$(now_ms)
[ $((t1 - t0)) -lt 2000 ] && ok "request_timeout honoured ($((t1 - t0)) ms)" || nok "request_timeout honoured" "took $((t1 - t0)) ms"

# --- malformed replies (a stub: the only stand-in for S3 in the tests)
start_stub garbage
q <<SQL >/dev/null
CREATE SERVER garbage FOREIGN DATA WRAPPER lakefs_s3
    OPTIONS (endpoint 'http://127.0.0.1:$STUB_PORT', max_retries '0');
CREATE USER MAPPING FOR postgres SERVER garbage OPTIONS (access_key_id 'a', secret_access_key 'b');
SQL
sql_error "garbage XML listing: protocol violation" \
    "SELECT * FROM lakefs_list_objects('garbage', 's3://b/')" 08P01 "malformed reply from S3 server \"garbage\""
sql_error "garbage multipart initiation reply" \
    "SET pg_lakefs.multipart_threshold = '5MB'; SELECT lakefs_s3_put('garbage', 's3://b/k', decode(repeat('00', 6 * 1024 * 1024), 'hex'))" 08P01
start_stub truncated
q <<SQL >/dev/null
CREATE SERVER truncated FOREIGN DATA WRAPPER lakefs_s3
    OPTIONS (endpoint 'http://127.0.0.1:$STUB_PORT', max_retries '0');
CREATE USER MAPPING FOR postgres SERVER truncated OPTIONS (access_key_id 'a', secret_access_key 'b');
SQL
sql_error "truncated XML listing: protocol violation" \
    "SELECT * FROM lakefs_list_objects('truncated', 's3://b/')" 08P01 "malformed reply"
sql_is "the backend survived them all" "SELECT 1" "1"

# --- a cancelled multipart upload stops at once (no abort request: the store's
# multipart GC reclaims the parts), leaves no object and the session usable. The
# timeout is short: RGW takes a 64 MiB upload in about half a second.
got=$(psql -XAtq -v VERBOSITY=verbose -d "$TEST_DB" 2>&1 <<'SQL'
SELECT lakefs_s3_delete('rgw', 's3://err-test/cancelled-multipart');
SET pg_lakefs.multipart_part_size = '5MB';
CREATE TEMP TABLE payload AS SELECT decode(repeat('0123456789abcdef', 64 * 1024 * 1024 / 8), 'hex') AS b;
SET statement_timeout = '150ms';
SELECT lakefs_s3_put('rgw', 's3://err-test/cancelled-multipart', b) FROM payload;
RESET statement_timeout;
SELECT count(*) FROM lakefs_list_objects('rgw', 's3://err-test/cancelled-multipart');
SQL
)
echo "$got" | grep -q "^ERROR:  57014: canceling statement due to statement timeout" && echo "$got" | grep -qx "0" &&
    ok "statement_timeout cancels a multipart upload; no object appears" || nok "cancel a multipart upload" "$got"

# --- no memory growth over thousands of requests, successes and errors
got=$(psql -XAtq -d "$TEST_DB" 2>&1 <<'SQL'
SELECT count(*) FROM generate_series(1, 50) i, lakefs_s3_put('rgw', 's3://err-test/churn/' || i, 'x');
CREATE FUNCTION churn(n int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..n LOOP
        PERFORM lakefs_s3_get('rgw', 's3://err-test/churn/' || (i % 50 + 1));
        PERFORM * FROM lakefs_s3_stat('rgw', 's3://err-test/churn/' || (i % 50 + 1));
        IF i % 10 = 0 THEN
            PERFORM count(*) FROM lakefs_list_objects('rgw', 's3://err-test/churn/');
        END IF;
        IF i % 4 = 0 THEN
            BEGIN
                PERFORM lakefs_s3_get('rgw', 's3://err-test/missing');
            EXCEPTION WHEN undefined_object THEN NULL;
            END;
            BEGIN
                PERFORM lakefs_s3_get('wrong_secret', 's3://err-test/exists');
            EXCEPTION WHEN invalid_authorization_specification THEN NULL;
            END;
        END IF;
    END LOOP;
END $$;
CREATE FUNCTION rss_kb() RETURNS int LANGUAGE sql AS $$
    SELECT (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'),
                         'VmRSS:\s+(\d+)'))[1]::int $$;
CREATE TEMP TABLE rss AS SELECT 0 AS before;
SELECT churn(300);
UPDATE rss SET before = rss_kb();
SELECT churn(1500);
SELECT rss_kb() - before FROM rss;
SQL
)
grow=$(echo "$got" | tail -1)
if [ -n "${LAKEFS_SANITIZE:-}" ]; then
    # ASan's quarantine keeps freed memory resident (up to 256 MB)
    echo "# skip: backend RSS under ASan: grew $grow kB over ~4,000 requests"
else
    [ -n "$grow" ] && [ "$grow" -lt 1024 ] 2>/dev/null &&
        ok "backend RSS flat over ~4,000 requests (grew $grow kB)" || nok "backend RSS flat" "$got"
fi

tap_done
