#!/usr/bin/env bash
# test/t/notebook.sh — executes examples/parallel-experiments.ipynb headless
# (jupyter nbconvert --execute) in a fresh database against the S3 test server,
# so the notebook cannot rot. Its cells assert their own outcomes; the last one
# reads raw/ with boto3 through a pg_lakefs_gateway it starts ($PGBIN's).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${LAKEFS_S3_ENDPOINT:-}" ]; then
    echo "# skip: no S3 test server (LAKEFS_S3_ENDPOINT unset)"
    echo "1..0"; exit 0
fi
OUT=$ROOT/tmp_check/notebook
rm -rf "$OUT"; mkdir -p "$OUT"
PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS lakefs_notebook WITH (FORCE)" \
    -c "CREATE DATABASE lakefs_notebook" >/dev/null || { echo "not ok 1 - create database"; exit 1; }
# Debian's jupyter and kernel run on /usr/bin/python3
if PATH=/usr/bin:$PATH LAKEFS_NOTEBOOK_DSN="dbname=lakefs_notebook" \
    jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=900 \
    --output-dir "$OUT" "$ROOT/examples/parallel-experiments.ipynb" >"$OUT/nbconvert.log" 2>&1; then
    echo "ok 1 - the notebook runs from top to bottom"
else
    echo "not ok 1 - the notebook runs from top to bottom"
    tail -40 "$OUT/nbconvert.log" | sed 's/^/#   /'
    echo "1..1"; exit 1
fi
/usr/bin/python3 - "$OUT/parallel-experiments.ipynb" "$ROOT/examples/parallel-experiments.ipynb" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
outs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
errors = [o for o in outs if o.get("output_type") == "error"]
pngs = [o for o in outs if "image/png" in o.get("data", {})]
frames = [o for o in outs if "text/html" in o.get("data", {})]
print("%s 2 - no cell raised" % ("ok" if not errors else "not ok"))
print("%s 3 - the metrics chart was drawn" % ("ok" if pngs else "not ok"))
print("%s 4 - the comparison DataFrame was shown" % ("ok" if frames else "not ok"))
committed = json.load(open(sys.argv[2]))
kept = [o for c in committed["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})]
print("%s 5 - the committed notebook keeps its charts, for readers who do not run it" % ("ok" if kept else "not ok"))
texts = "".join(t for o in outs if o.get("output_type") == "stream" for t in o.get("text", []))
print("%s 6 - the last cell read raw/ through the S3 gateway with boto3" %
      ("ok" if "through the S3 gateway with boto3" in texts else "not ok"))
print("1..6")
PY
