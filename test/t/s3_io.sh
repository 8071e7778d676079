#!/usr/bin/env bash
# test/t/s3_io.sh — object I/O against the live S3 test server (Ceph RGW):
# put/get, ranges, multipart, listing, presigning, the foreign table.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"

if [ -z "${LAKEFS_S3_ENDPOINT:-}" ]; then
    echo "# skip: no S3 test server (LAKEFS_S3_ENDPOINT unset)"
    echo "1..0"; exit 0
fi
tap_db lakefs_t_s3_io || { echo "not ok 1 - create database"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

q <<SQL >/dev/null
CREATE SERVER rgw FOREIGN DATA WRAPPER lakefs_s3
    OPTIONS (endpoint '$LAKEFS_S3_ENDPOINT', region '$LAKEFS_S3_REGION', url_style 'path');
CREATE USER MAPPING FOR PUBLIC SERVER rgw
    OPTIONS (access_key_id '$LAKEFS_S3_ACCESS_KEY', secret_access_key '$LAKEFS_S3_SECRET_KEY');
SQL
sql_is "create bucket" "SELECT lakefs_s3_create_bucket('rgw', 'io-test')" ""
sql_error "an invalid bucket name is refused by the server" \
    "SELECT lakefs_s3_create_bucket('rgw', 'ab')" 22023 "invalid S3 bucket name"

# --- small objects
sql_is "put returns the MD5 etag and size" \
    "SELECT etag = md5('hello, object store'), size FROM lakefs_s3_put('rgw', 's3://io-test/small/hello.txt', 'hello, object store')" \
    "t|19"
sql_is "get returns the bytes" \
    "SELECT convert_from(lakefs_s3_get('rgw', 's3://io-test/small/hello.txt'), 'UTF8')" \
    "hello, object store"
sql_is "range get (offset, length)" \
    "SELECT convert_from(lakefs_s3_get('rgw', 's3://io-test/small/hello.txt', 7, 6), 'UTF8')" \
    "object"
sql_is "range get to the end" \
    "SELECT convert_from(lakefs_s3_get('rgw', 's3://io-test/small/hello.txt', \"offset\" => 13), 'UTF8')" \
    " store"
sql_is "range past the end is empty" \
    "SELECT length(lakefs_s3_get('rgw', 's3://io-test/small/hello.txt', 100, 5))" "0"
sql_is "length beyond the end stops at the end" \
    "SELECT convert_from(lakefs_s3_get('rgw', 's3://io-test/small/hello.txt', 14, 1000), 'UTF8')" "store"
# offset + length past INT64_MAX: no overflow in the Range header (LAKEFS_SANITIZE
# builds with -fno-wrapv, where UBSan reports one)
sql_is "range ending past the largest bigint is empty" \
    "SELECT length(lakefs_s3_get('rgw', 's3://io-test/small/hello.txt', 9223372036854775807, 10))" "0"
sql_is "a length of the largest bigint reads to the end" \
    "SELECT convert_from(lakefs_s3_get('rgw', 's3://io-test/small/hello.txt', 14, 9223372036854775807), 'UTF8')" "store"
sql_is "stat: size, etag, last_modified" \
    "SELECT size, etag = md5('hello, object store'), last_modified > now() - interval '10 minutes' FROM lakefs_s3_stat('rgw', 's3://io-test/small/hello.txt')" \
    "19|t|t"
sql_is "empty object round trip" \
    "SELECT (lakefs_s3_put('rgw', 's3://io-test/small/empty', '')).size, length(lakefs_s3_get('rgw', 's3://io-test/small/empty'))" "0|0"
sql_is "keys with spaces, unicode and reserved characters" \
    "SELECT (lakefs_s3_put('rgw', 's3://io-test/odd/a b+c%d&e=f?g#h~ü.txt', 'x')).size, convert_from(lakefs_s3_get('rgw', 's3://io-test/odd/a b+c%d&e=f?g#h~ü.txt'), 'UTF8')" \
    "1|x"
sql_is "content type is stored" \
    "SELECT (lakefs_s3_put('rgw', 's3://io-test/small/doc.json', '{}', 'application/json')).size" "2"
got=$(curl -s -D - -o /dev/null "$(q -c "SELECT lakefs_s3_presign('rgw', 'GET', 's3://io-test/small/doc.json', '5 minutes')")" | tr -d '\r' | grep -i '^content-type:')
is "presigned GET sees the content type" "$got" "Content-Type: application/json"
sql_is "delete removes the object" \
    "SELECT lakefs_s3_delete('rgw', 's3://io-test/small/doc.json'); SELECT count(*) FROM lakefs_list_objects('rgw', 's3://io-test/small/doc.json')" "
0"

# --- presigned URLs
url=$(q -c "SELECT lakefs_s3_presign('rgw', 'GET', 's3://io-test/small/hello.txt', '5 minutes')")
is "presigned GET fetched with plain curl" "$(curl -s "$url")" "hello, object store"
url=$(q -c "SELECT lakefs_s3_presign('rgw', 'get', 's3://io-test/odd/a b+c%d&e=f?g#h~ü.txt', '1 minute')")
is "presigned GET of an odd key" "$(curl -s "$url")" "x"
url=$(q -c "SELECT lakefs_s3_presign('rgw', 'GET', 's3://io-test/small/hello.txt', '5 minutes', now() - interval '1 hour')")
is "an expired presigned URL is refused" "$(curl -s -o /dev/null -w '%{http_code}' "$url")" "403"
url=$(q -c "SELECT lakefs_s3_presign('rgw', 'PUT', 's3://io-test/small/uploaded', '5 minutes')")
code=$(printf 'sent by curl' | curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @- "$url")
is "presigned PUT accepted" "$code" "200"
sql_is "presigned PUT object readable" \
    "SELECT convert_from(lakefs_s3_get('rgw', 's3://io-test/small/uploaded'), 'UTF8')" "sent by curl"
sql_error "presign refuses DELETE" \
    "SELECT lakefs_s3_presign('rgw', 'DELETE', 's3://io-test/x', '1 minute')" 22023 "cannot presign"
sql_error "presign refuses lifetimes over 7 days" \
    "SELECT lakefs_s3_presign('rgw', 'GET', 's3://io-test/x', '8 days')" 22023

# --- 100 MiB by multipart
t0=$(now_ms)
q <<'SQL' >/dev/null
CREATE TABLE mib AS
    SELECT string_agg(sha256(int4send(i)), ''::bytea ORDER BY i) AS m
    FROM generate_series(1, 1024 * 1024 / 32) i;
CREATE TABLE big AS
    SELECT string_agg(int4send(j) || substr(m, 5), ''::bytea ORDER BY j) AS b
    FROM mib, generate_series(1, 100) j;
SQL
t1=$(now_ms)
sql_is "100 MiB put by multipart" \
    "SELECT size FROM big, lakefs_s3_put('rgw', 's3://io-test/big/100m.bin', b)" "104857600"
t2=$(now_ms)
sql_is "multipart etag has the part count" \
    "SELECT etag ~ '-13\$', size FROM lakefs_s3_stat('rgw', 's3://io-test/big/100m.bin')" "t|104857600"
t3=$(now_ms)
sql_is "100 MiB get: checksum intact" \
    "SELECT sha256(lakefs_s3_get('rgw', 's3://io-test/big/100m.bin')) = sha256(b) FROM big" "t"
t4=$(now_ms)
echo "# 100 MiB: generate $((t1 - t0)) ms, put $((t2 - t1)) ms, get+sha256 $((t4 - t3)) ms"
want=$(q -c "SELECT encode(sha256(b), 'hex') FROM big")
url=$(q -c "SELECT lakefs_s3_presign('rgw', 'GET', 's3://io-test/big/100m.bin', '5 minutes')")
is "100 MiB via presigned URL and curl: same SHA-256" "$(curl -s "$url" | sha256sum | cut -c1-64)" "$want"
sql_is "range get across a part boundary" \
    "SELECT lakefs_s3_get('rgw', 's3://io-test/big/100m.bin', 8388600, 16) = substring(b from 8388601 for 16) FROM big" "t"

# --- listing with a delimiter
q -c "SELECT count(*) FROM generate_series(1, 3) i, unnest(ARRAY['a', 'b', 'c/d']) d, lakefs_s3_put('rgw', 's3://io-test/tree/' || d || '/f' || i, 'x')" >/dev/null
q -c "SELECT lakefs_s3_put('rgw', 's3://io-test/tree/top', 'x')" >/dev/null
sql_is "listing with delimiter: common prefixes and top-level objects" \
    "SELECT string_agg(key || ':' || coalesce(size::text, 'prefix'), ',' ORDER BY key) FROM lakefs_list_objects('rgw', 's3://io-test/tree/', '/')" \
    "tree/a/:prefix,tree/b/:prefix,tree/c/:prefix,tree/top:1"
sql_is "listing without delimiter is recursive and ordered" \
    "SELECT string_agg(key, ',') FROM lakefs_list_objects('rgw', 's3://io-test/tree/c')" \
    "tree/c/d/f1,tree/c/d/f2,tree/c/d/f3"
sql_is "listing a partial name prefix" \
    "SELECT count(*) FROM lakefs_list_objects('rgw', 's3://io-test/tree/t')" "1"
sql_is "listing nothing" \
    "SELECT count(*) FROM lakefs_list_objects('rgw', 's3://io-test/nothing-here/')" "0"
sql_is "listing decodes keys (encoding-type=url)" \
    "SELECT key FROM lakefs_list_objects('rgw', 's3://io-test/odd/')" "odd/a b+c%d&e=f?g#h~ü.txt"

# --- 10,000 objects, small pages
sql_is "create a bucket for the many-objects listing" "SELECT lakefs_s3_create_bucket('rgw', 'many')" ""
t0=$(now_ms)
pids=()
for w in $(seq 0 15); do
    q -c "SELECT count(*) FROM generate_series($w * 625 + 1, ($w + 1) * 625) i,
          lakefs_s3_put('rgw', format('s3://many/obj/%s/%s', i % 7, lpad(i::text, 5, '0')), int4send(i))" \
        >/dev/null 2>"$TMP/many-$w.err" &
    pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
t1=$(now_ms)
is "10,000 objects put by 16 sessions" "$fails" "0"
[ "$fails" -eq 0 ] || cat "$TMP"/many-*.err | head -5 | sed 's/^/# /'
echo "# created 10000 objects in $((t1 - t0)) ms ($((10000 * 1000 / (t1 - t0 + 1))) objects/s, 16 sessions)"
q -c "SET pg_lakefs.list_page_size = 97; SELECT 1" >/dev/null
t0=$(now_ms)
sql_is "listing 10,000 objects in pages of 97 returns each exactly once" \
    "SET pg_lakefs.list_page_size = 97;
     SELECT count(*), count(DISTINCT key),
            count(*) FILTER (WHERE l.key = format('obj/%s/%s', i % 7, lpad(i::text, 5, '0')) AND l.size = 4)
     FROM lakefs_list_objects('rgw', 's3://many/obj/') l
     FULL JOIN generate_series(1, 10000) i ON l.key = format('obj/%s/%s', i % 7, lpad(i::text, 5, '0'))" \
    "10000|10000|10000"
t1=$(now_ms)
echo "# listed 10000 objects in pages of 97 in $((t1 - t0)) ms"
t0=$(now_ms)
sql_is "listing 10,000 objects in pages of 1000" \
    "SELECT count(*) FROM lakefs_list_objects('rgw', 's3://many/')" "10000"
t1=$(now_ms)
echo "# listed 10000 objects in pages of 1000 in $((t1 - t0)) ms ($((10000 * 1000 / (t1 - t0 + 1))) objects/s)"
sql_is "listing is in key order" \
    "SELECT bool_and(k > prev) FROM (SELECT key k, lag(key) OVER () prev FROM lakefs_list_objects('rgw', 's3://many/')) s WHERE prev IS NOT NULL" "t"
sql_is "listing with LIMIT stops early" \
    "SELECT count(*) FROM (SELECT * FROM lakefs_list_objects('rgw', 's3://many/') LIMIT 5) s" "5"
sql_is "listing in the select list (value per call)" \
    "SET pg_lakefs.list_page_size = 50; SELECT count(*) FROM (SELECT lakefs_list_objects('rgw', 's3://many/obj/3/')) s" "1429"

# --- the foreign table
q <<'SQL' >/dev/null
CREATE FOREIGN TABLE many_objects (key text, size bigint, etag text, last_modified timestamptz, other int)
    SERVER rgw OPTIONS (bucket 'many', prefix 'obj/');
CREATE FOREIGN TABLE tree_objects (key text, size bigint)
    SERVER rgw OPTIONS (bucket 'io-test', prefix 'tree/');
CREATE FOREIGN TABLE no_bucket (key text) SERVER rgw OPTIONS (bucket 'no-such-bucket-here');
SQL
sql_is "foreign table lists the prefix" \
    "SET pg_lakefs.list_page_size = 333; SELECT count(*), count(DISTINCT key), sum(size), bool_and(last_modified IS NOT NULL), bool_and(other IS NULL) FROM many_objects" \
    "10000|10000|40000|t|t"
sql_is "foreign table with a local qual" \
    "SELECT string_agg(key, ',') FROM tree_objects WHERE key LIKE 'tree/b/%'" "tree/b/f1,tree/b/f2,tree/b/f3"
sql_is "foreign table rescans (correlated subquery)" \
    "SELECT string_agg((SELECT count(*) FROM tree_objects t WHERE t.key > 'tree/' || g)::text, ',' ORDER BY g) FROM unnest(ARRAY['a', 'b', 'c', 'z']) g" \
    "10,7,4,0"
sql_is "EXPLAIN shows the listing" \
    "EXPLAIN SELECT * FROM tree_objects" "Foreign Scan on tree_objects  (cost=100.00..1100.00 rows=1000 width=40)
  Listing: s3://io-test/tree/"
sql_error "foreign table over a missing bucket" "SELECT * FROM no_bucket" 42704 "bucket does not exist"

# --- multi-object delete (batches of 1000)
sql_is "multi-object delete of 1,429 objects and a missing one" \
    "SELECT lakefs_s3_delete('rgw', array_agg('s3://many/' || key) || 's3://many/obj/none'::text) FROM lakefs_list_objects('rgw', 's3://many/obj/3/')" "1430"
sql_is "they are gone, the others stay" \
    "SELECT count(*) FILTER (WHERE key LIKE 'obj/3/%'), count(*) FROM lakefs_list_objects('rgw', 's3://many/')" "0|8571"
sql_error "multi-object delete in a missing bucket" \
    "SELECT lakefs_s3_delete('rgw', ARRAY['s3://no-such-bucket-x/a'])" 42704 "bucket does not exist"

tap_done
