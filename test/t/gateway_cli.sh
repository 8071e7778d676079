#!/usr/bin/env bash
# test/t/gateway_cli.sh — the S3 gateway driven by the AWS CLI (awscli): aws s3 ls,
# cp both ways (also above the multipart threshold), sync of a directory tree to a branch and back, rm, a SQL commit and
# the tree read back by commit id, and the CLI's view of the errors (a missing key,
# a write to a tag). LAKEFS_GATEWAY_PORT chooses the gateway's port (default: a free
# port the system picks).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"
[ -n "${LAKEFS_S3_ENDPOINT:-}" ] || { echo "# skip: no S3 test server"; echo "1..0"; exit 0; }
command -v aws >/dev/null || { echo "# skip: awscli is not installed"; echo "1..0"; exit 0; }
GW=${PGBIN:-}/pg_lakefs_gateway
[ -x "$GW" ] || GW=$ROOT/gateway/pg_lakefs_gateway
[ -x "$GW" ] || { echo "# skip: pg_lakefs_gateway is not built"; echo "1..0"; exit 0; }
PORT=${LAKEFS_GATEWAY_PORT:-$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
export PGOPTIONS="-c client_min_messages=warning"
tap_db lakefs_t_gateway_cli >/dev/null || { echo "not ok 1 - create database"; exit 1; }

WORK=$(mktemp -d)
GW_PID=
cleanup() { [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

q >/dev/null <<SQL
CREATE SERVER minio FOREIGN DATA WRAPPER lakefs_s3
    OPTIONS (endpoint '$LAKEFS_S3_ENDPOINT', region '$LAKEFS_S3_REGION', url_style 'path');
CREATE USER MAPPING FOR PUBLIC SERVER minio
    OPTIONS (access_key_id '$LAKEFS_S3_ACCESS_KEY', secret_access_key '$LAKEFS_S3_SECRET_KEY');
DO \$\$ BEGIN PERFORM lakefs_s3_create_bucket('minio', 'gateway'); EXCEPTION WHEN OTHERS THEN NULL; END \$\$;
SELECT lakefs_create_repository('cli', 's3://gateway/cli-' || (extract(epoch FROM now()) * 1000)::bigint, server => 'minio');
SELECT lakefs_create_tag('cli', 'v0', 'main');
SQL
read -r AKID SECRET < <(q -F ' ' -c "SELECT access_key_id, secret_access_key FROM lakefs_create_access_key()")

"$GW" --dsn "dbname=$TEST_DB" --listen "127.0.0.1:$PORT" --workers 4 >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

export HOME=$WORK AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
mkdir -p "$HOME/.aws"
printf '[default]\ns3 =\n    addressing_style = path\n' >"$HOME/.aws/config"
s3() { aws --endpoint-url "http://127.0.0.1:$PORT" "$@"; }

# cp up and down
head -c 300000 /dev/urandom >"$WORK/model.pkl"
out=$(s3 s3 cp "$WORK/model.pkl" "s3://cli/main/artifacts/model.pkl" 2>&1) && ok "aws s3 cp uploads to a branch" ||
    nok "aws s3 cp uploads to a branch" "$out"
is "the upload is staged on the branch" \
    "$(q -c "SELECT size FROM lakefs_staged('cli', 'main') WHERE path = 'artifacts/model.pkl'")" 300000
s3 s3 cp "s3://cli/main/artifacts/model.pkl" "$WORK/back.pkl" >/dev/null 2>&1
cmp -s "$WORK/model.pkl" "$WORK/back.pkl" && ok "aws s3 cp downloads it byte for byte" ||
    nok "aws s3 cp downloads it byte for byte"

# above the CLI's 8 MiB threshold: a multipart upload, and a ranged download
head -c $((12 * 1024 * 1024 + 5)) /dev/urandom >"$WORK/big.bin"
out=$(s3 s3 cp "$WORK/big.bin" "s3://cli/main/big/big.bin" 2>&1) &&
    s3 s3 cp "s3://cli/main/big/big.bin" "$WORK/big-back.bin" >/dev/null 2>&1 && cmp -s "$WORK/big.bin" "$WORK/big-back.bin" &&
    ok "aws s3 cp of 12 MiB (multipart up, ranged down) round trips" ||
    nok "aws s3 cp of 12 MiB (multipart up, ranged down) round trips" "$out"

# ls: branches at the top, then directories and objects
out=$(s3 s3 ls "s3://cli/" 2>&1)
echo "$out" | grep -q "PRE main/" && ok "aws s3 ls of the repository lists the branches" ||
    nok "aws s3 ls of the repository lists the branches" "$out"
out=$(s3 s3 ls "s3://cli/main/artifacts/" 2>&1)
echo "$out" | grep -Eq "300000 model.pkl$" && ok "aws s3 ls lists an object with its size" ||
    nok "aws s3 ls lists an object with its size" "$out"

# sync a tree up, commit in SQL, sync it back from the commit
mkdir -p "$WORK/tree/a/b" "$WORK/tree/c d" "$WORK/down"
for f in a/1.txt a/b/2.txt "c d/3 + 4.txt" 5.bin; do
    head -c $((RANDOM + 1)) /dev/urandom >"$WORK/tree/$f"
    # older than any upload even at the store's whole-second Last-Modified
    touch -d "@$(($(date +%s) - 10))" "$WORK/tree/$f"
done
out=$(s3 s3 sync "$WORK/tree" "s3://cli/main/tree/" 2>&1) && ok "aws s3 sync uploads a directory tree" ||
    nok "aws s3 sync uploads a directory tree" "$out"
is "every file is staged" "$(q -c "SELECT count(*) FROM lakefs_ls('cli', 'main', 'tree/')")" 4
COMMIT=$(q -c "SELECT lakefs_commit('cli', 'main', 'tree from the CLI')")
out=$(s3 s3 sync "s3://cli/$COMMIT/tree/" "$WORK/down" 2>&1) && diff -r "$WORK/tree" "$WORK/down" >/dev/null &&
    ok "aws s3 sync downloads the committed tree by commit id, identical" ||
    nok "aws s3 sync downloads the committed tree by commit id, identical" "$out"
out=$(s3 s3 sync "$WORK/tree" "s3://cli/main/tree/" 2>&1)
is "a second sync uploads nothing (sizes and times agree)" "$out" ""

# rm stages a tombstone
s3 s3 rm "s3://cli/main/tree/5.bin" >/dev/null 2>&1
is "aws s3 rm deletes on the branch" "$(q -c "SELECT count(*) FROM lakefs_ls('cli', 'main', 'tree/')")" 3

# errors as the CLI shows them
out=$(s3 s3api head-object --bucket cli --key main/no/such.txt 2>&1) && nok "a missing key fails" "$out" ||
    { echo "$out" | grep -q "404" && ok "head-object of a missing key is 404" || nok "head-object of a missing key is 404" "$out"; }
out=$(s3 s3 cp "$WORK/model.pkl" "s3://cli/v0/x.pkl" 2>&1) && nok "a write to a tag fails" "$out" ||
    { echo "$out" | grep -q "InvalidArgument" && ok "a write to a tag is refused with InvalidArgument" ||
        nok "a write to a tag is refused with InvalidArgument" "$out"; }
out=$(AWS_SECRET_ACCESS_KEY=wrong s3 s3 ls "s3://cli/main/" 2>&1) && nok "a wrong secret fails" "$out" ||
    { echo "$out" | grep -q "SignatureDoesNotMatch" && ok "a wrong secret is SignatureDoesNotMatch" ||
        nok "a wrong secret is SignatureDoesNotMatch" "$out"; }

kill -TERM "$GW_PID"; wait "$GW_PID"; rc=$?; GW_PID=
is "the gateway exits 0 on SIGTERM" "$rc" 0
tap_done
