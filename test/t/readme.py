#!/usr/bin/env python3
"""test/t/readme.py — the README's Quickstart SQL, extracted from README.md and run
as written against the test servers, so the docs cannot rot.

The Quickstart's first ```sql block runs statement by statement in a fresh
database; only the endpoint and the keys are replaced by the S3 test server's.
The buckets may exist already on the shared test server (the demo made them):
lakefs_s3_create_bucket may then fail, as the README says ("skip if you have
your own"); every other statement must succeed. The demo's namespace marker,
left by an earlier test on the same server, is removed first, as on a fresh
server. The "after `make demo`" block runs too, with psql's variables set as
the README's command line sets them.
"""
import os
import re
import subprocess
import sys

import psycopg

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
n = 0
failed = 0


def ok(cond, desc, got=None):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, desc))
    if not cond:
        failed += 1
        if got is not None:
            print("\n".join("#   " + line for line in str(got).splitlines()))


if not os.environ.get("LAKEFS_S3_ENDPOINT"):
    print("# skip: no S3 test server (LAKEFS_S3_ENDPOINT unset)\n1..0")
    sys.exit(0)
env = os.environ
readme = open(os.path.join(ROOT, "README.md")).read()
quick = readme[readme.index("## Quickstart"):readme.index("### Python")]
blocks = re.findall(r"```sql\n(.*?)```", quick, re.S)
ok(len(blocks) >= 2, "the Quickstart has its SQL block and the after-make-demo block", len(blocks))


def statements(sql):
    """Split on ; at line ends, outside dollar quotes (the README has none)."""
    out, cur = [], []
    for line in sql.splitlines():
        if line.strip().startswith("--") and not cur:
            continue
        cur.append(line)
        if re.search(r";\s*(--.*)?$", line) and not line.strip().startswith("--"):
            out.append("\n".join(cur))
            cur = []
    if "".join(cur).strip():
        out.append("\n".join(cur))
    return out


def fresh_db(name):
    with psycopg.connect("dbname=postgres", autocommit=True) as c:
        c.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        c.execute("CREATE DATABASE %s" % name)


# the demo's leftovers on the shared server: its namespace marker
fresh_db("lakefs_t_readme")
with psycopg.connect("dbname=lakefs_t_readme", autocommit=True) as c:
    c.execute("CREATE EXTENSION pg_lakefs")
    c.execute("CREATE SERVER s3 FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint %s, region %s, url_style 'path')"
              .replace("%s", "'%s'") % (env["LAKEFS_S3_ENDPOINT"], env.get("LAKEFS_S3_REGION", "us-east-1")))
    c.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER s3 OPTIONS (access_key_id '%s', secret_access_key '%s')"
              % (env["LAKEFS_S3_ACCESS_KEY"], env["LAKEFS_S3_SECRET_KEY"]))
    for ns in ("lakefs-minio-demo", "lab"):
        try:
            c.execute("SELECT lakefs_s3_delete('s3', %s)", ("s3://example/%s/_lakefs/dummy" % ns,))
        except psycopg.Error:
            pass  # no bucket yet
fresh_db("lakefs_t_readme")

sql = blocks[0].replace("http://127.0.0.1:9000", env["LAKEFS_S3_ENDPOINT"])
sql = sql.replace("access_key_id 'minioadmin'", "access_key_id '%s'" % env["LAKEFS_S3_ACCESS_KEY"])
sql = sql.replace("secret_access_key 'minioadmin'", "secret_access_key '%s'" % env["LAKEFS_S3_SECRET_KEY"])
results = {}
with psycopg.connect("dbname=lakefs_t_readme", autocommit=True) as c:
    bad = []
    for st in statements(sql):
        try:
            cur = c.execute(st)
            results[st] = cur.fetchall() if cur.description else None
        except psycopg.Error as e:
            if "lakefs_s3_create_bucket" in st:
                continue
            bad.append("%s\n  -> %s" % (st, e))
    ok(not bad, "every statement of the Quickstart runs as written (%d statements)" % len(statements(sql)),
       "\n".join(bad))

    def result_of(fragment):
        return next((v for k, v in results.items() if fragment in k), None)

    ranking = result_of("FROM lakefs_experiments(")
    ok(ranking is not None and [r[0] for r in ranking] == ["experiment-1", "experiment-2"],
       "step 5 ranks experiment-1 first", ranking)
    merge = result_of("lakefs_merge_result(")
    # the comment's 3 on a fresh server: the imported objects and the metrics file
    # (other tests may have left more under s3://sample-data/dogs/ on the shared one)
    raw = c.execute("SELECT count(*) FROM lakefs_ls('lakefs-minio-demo', 'ingest', 'raw/')").fetchone()[0]
    ok(merge is not None and merge[0][0] == "fast-forward" and merge[0][2] == raw + 1,
       "step 6 is the fast-forward the comment shows, bringing the data set and the metrics", (merge, raw))
    diff = result_of("FROM lakefs_diff('lakefs-minio-demo', 'ingest', 'main')")
    ok(diff == [("added", "metrics/metrics.json")], "step 7 shows what its comment shows", diff)
    before = result_of("'experiment-2~1', 'metrics/'")
    after = result_of("'experiment-2', 'metrics/'")
    ok(before == [] and after == [("metrics/metrics.json",)], "step 8 shows a difference before and after", (before, after))
    curve = result_of("FROM lakefs_metrics")
    ok(curve is not None and [r[0] for r in curve] == [1, 2, 3], "the learning curve has its three steps", curve)

# after `make demo`: a database of its own, psql variables as on the README's command line
fresh_db("lakefs_t_readme_lab")
p = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "lakefs_t_readme_lab",
                    "-v", "endpoint=" + env["LAKEFS_S3_ENDPOINT"], "-v", "key=" + env["LAKEFS_S3_ACCESS_KEY"],
                    "-v", "secret=" + env["LAKEFS_S3_SECRET_KEY"]], input=blocks[1], text=True,
                   capture_output=True)
ok(p.returncode == 0, "the after-make-demo block runs as written", p.stdout + p.stderr)
with psycopg.connect("dbname=postgres", autocommit=True) as c:
    for db in ("lakefs_t_readme", "lakefs_t_readme_lab"):
        c.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % db)
print("1..%d" % n)
sys.exit(1 if failed else 0)
