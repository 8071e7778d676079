#!/usr/bin/env bash
# test/t/demo.sh — the reference workflow (examples/demo.py) as a test: import,
# parallel experiments, SQL ranking, merge of the winner, zero-copy proof and
# reproduction by commit id, in a fresh database against the S3 test server.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${LAKEFS_S3_ENDPOINT:-}" ]; then
    echo "# skip: no S3 test server (LAKEFS_S3_ENDPOINT unset)"
    echo "1..0"; exit 0
fi
PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS lakefs_demo WITH (FORCE)" \
    -c "CREATE DATABASE lakefs_demo" >/dev/null || { echo "not ok 1 - create database"; exit 1; }
LAKEFS_DEMO_DSN="dbname=lakefs_demo" exec /usr/bin/python3 "$ROOT/examples/demo.py" --tap
