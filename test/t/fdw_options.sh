#!/usr/bin/env bash
# test/t/fdw_options.sh — the lakefs_s3 option validator (no S3 server needed).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"
tap_db lakefs_t_fdw_options || { echo "not ok 1 - create database"; exit 1; }

sql_is "a server with every option" \
    "CREATE SERVER s1 FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint 'https://s3.example.com', region 'eu-west-1', url_style 'virtual', connect_timeout '5s', request_timeout '0', max_retries '5'); SELECT 1" "1"
sql_is "endpoint with a port and a trailing slash" \
    "CREATE SERVER s2 FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint 'http://127.0.0.1:9000/'); SELECT 1" "1"
sql_error "unknown server option: hint lists the valid ones" \
    "CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpiont 'http://x')" HV00D \
    'invalid option "endpiont"'
echo "$LAST_ERROR" | grep -q "HINT:  Valid options in this context are: endpoint, region, url_style, connect_timeout, request_timeout, max_retries." &&
    ok "server hint lists the server options" || nok "server hint" "$LAST_ERROR"
sql_error "user-mapping option on a server" \
    "CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (secret_access_key 'x')" HV00D
sql_error "unknown user mapping option" \
    "CREATE USER MAPPING FOR PUBLIC SERVER s1 OPTIONS (password 'x')" HV00D \
    'invalid option "password"'
echo "$LAST_ERROR" | grep -q "Valid options in this context are: access_key_id, secret_access_key, session_token." &&
    ok "user mapping hint lists the credential options" || nok "user mapping hint" "$LAST_ERROR"
sql_error "no options on the wrapper" \
    "ALTER FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint 'http://x')" HV00D "no valid options"
sql_error "unknown foreign table option" \
    "CREATE FOREIGN TABLE ft (key text) SERVER s1 OPTIONS (bucket 'b', path 'x')" HV00D \
    "Valid options in this context are: bucket, prefix"
sql_error "endpoint must be http or https" \
    "CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint 'ftp://host')" HV024 \
    "does not start with http:// or https://"
sql_error "endpoint must not be file://" \
    "CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint 'file:///etc/passwd')" HV024
sql_error "endpoint without host" \
    "CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint 'http://')" HV024
sql_error "endpoint with a path" \
    "CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint 'http://host/bucket')" HV024 "path"
sql_error "endpoint with credentials" \
    "CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint 'http://u:hushhush@host')" HV024 "user name"
echo "$LAST_ERROR" | grep -q hushhush && nok "a password in the endpoint is not echoed" "$LAST_ERROR" ||
    ok "a password in the endpoint is not echoed"
sql_error "url_style" \
    "CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (url_style 'vhost')" HV024 \
    'Valid values are "path" and "virtual"'
sql_error "connect_timeout must be positive" \
    "CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (connect_timeout '0')" HV024
sql_error "request_timeout must be a time" \
    "CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (request_timeout 'soon')" HV024
sql_error "max_retries range" \
    "CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (max_retries '1000')" HV024
sql_error "region syntax" \
    "CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (region 'US East')" HV024
sql_error "ALTER SERVER is validated too" \
    "ALTER SERVER s1 OPTIONS (SET url_style 'nope')" HV024
sql_error "empty secret" \
    "CREATE USER MAPPING FOR PUBLIC SERVER s1 OPTIONS (access_key_id 'a', secret_access_key '')" HV024
echo "$LAST_ERROR" | grep -q "secret_access_key" && ok "the option is named" || nok "the option is named" "$LAST_ERROR"
sql_is "a full user mapping" \
    "CREATE USER MAPPING FOR PUBLIC SERVER s1 OPTIONS (access_key_id 'AKIA', secret_access_key 'hush', session_token 'tok'); SELECT 1" "1"
sql_error "a server of another wrapper is refused" \
    "CREATE FOREIGN DATA WRAPPER other_fdw; CREATE SERVER other FOREIGN DATA WRAPPER other_fdw; SELECT lakefs_s3_get('other', 's3://b/k')" 42809 "not a lakefs_s3 server"
sql_is "presign without network, with a session token, virtual style" \
    "SELECT lakefs_s3_presign('s1', 'GET', 's3://bkt/a b.txt', '15 minutes', '2026-01-02 03:04:05+00') ~ '^https://bkt\.s3\.example\.com/a%20b\.txt\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260102%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-Expires=900&X-Amz-Security-Token=tok&X-Amz-SignedHeaders=host&X-Amz-Signature=[0-9a-f]{64}$'" "t"
sql_is "presign is deterministic for a given time" \
    "SELECT lakefs_s3_presign('s1', 'GET', 's3://bkt/k', '1 hour', '2026-01-02 03:04:05+00') = lakefs_s3_presign('s1', 'GET', 's3://bkt/k', '1 hour', '2026-01-02 03:04:05+00')" "t"

tap_done
