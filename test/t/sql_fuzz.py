"""test/t/sql_fuzz.py — thousands of random calls with odd arguments, and no crash.

Every pg_lakefs function (found in pg_proc, so new ones are covered) is called
with arguments drawn from pools of plausible and odd values: NULL, empty and very
long strings, control bytes, path tricks ("..", "//", "@{", "~99999999999"), the
extremes of bigint, non-object JSON, infinite timestamps, negative intervals,
arrays with NULLs. Each call commits on its own, so the state the later calls see
keeps changing (repositories deleted and recreated, branches, tags, commits).

Checks: no call breaks its connection (a backend crash would), no call raises an
internal error (SQLSTATE class XX), the postmaster never restarted, and the
catalog is consistent at the end (lakefs_fsck, when present). The seed is
printed; LAKEFS_TEST_SEED replays a run, LAKEFS_FUZZ_CALLS sets the count.
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from lakefs_test import ok, note, done, fresh_database, connect, seed_from_env  # noqa: E402

import psycopg  # noqa: E402

SEED = seed_from_env(random.randrange(1 << 30))
CALLS = int(os.environ.get("LAKEFS_FUZZ_CALLS", "5000"))
rng = random.Random(SEED)
note("seed %d (LAKEFS_TEST_SEED=%d replays it), %d calls" % (SEED, SEED, CALLS))

conninfo = fresh_database("lakefs_sql_fuzz")
admin = connect(conninfo)
admin.execute("CREATE SERVER fuzz_s3 FOREIGN DATA WRAPPER lakefs_s3 OPTIONS "
              "(endpoint 'http://127.0.0.1:9', region 'us-east-1', max_retries '0', "
              "connect_timeout '200')")
admin.execute("CREATE USER MAPPING FOR PUBLIC SERVER fuzz_s3 OPTIONS "
              "(access_key_id 'k', secret_access_key 's')")
started = admin.execute("SELECT pg_postmaster_start_time()").fetchone()[0]

REPOS = ["fuzz-a", "fuzz-b"]


def fixtures(c):
    """Make sure the repositories the pools name exist, with a little history."""
    for r in REPOS:
        if c.execute("SELECT count(*) FROM lakefs_repositories WHERE name = %s", (r,)).fetchone()[0]:
            continue
        c.execute("SELECT lakefs_create_repository(%s, %s)", (r, "s3://bucket/" + r))
        c.execute("SELECT lakefs_stage_object(%s, 'main', 'a/1.txt', 'data/1', 1, 'c1')", (r,))
        c.execute("SELECT lakefs_commit(%s, 'main', 'one')", (r,))
        c.execute("SELECT lakefs_create_branch(%s, 'exp', 'main')", (r,))
        c.execute("SELECT lakefs_create_tag(%s, 'v1', 'main')", (r,))


fixtures(admin)
functions = admin.execute("""
    SELECT p.proname, p.proargnames[1:p.pronargs], p.proargtypes::regtype[]::text[], p.pronargs
      FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
       AND d.deptype = 'e' AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_lakefs')
     WHERE p.prorettype NOT IN ('fdw_handler'::regtype) AND p.proname <> 'lakefs_s3_fdw_validator'
     ORDER BY 1""").fetchall()
ok(len(functions) >= 38, "found %d functions to call" % len(functions))

ODD_TEXT = [None, "", " ", "x" * 5000, "..", "../..", "/", "//", "a//b", "a/", "/a", ".",
            "main~99999999999", "main^0", "main^3", "main~", "main@", "main@{", "main@{-1}",
            "main$", "HEAD", "0" * 64, "abc123", "\x01\x7f", "ü€😀", "' OR 1=1 --", "%s%n%x",
            "a\nb", "a\rX-Amz-Acl: public-read", "s3://", "s3://b", "s3://b/..", "s3://b/a/../c",
            "local://", "local://../../etc", "local:///etc/passwd", "http://x", "*", "[", "-",
            "v1", "exp", "main", "fuzz-a", "fuzz-b", "fuzz-new", "a/1.txt", "a/", "a", "raw/x.csv"]
PLAUSIBLE = {
    "repository": REPOS + ["fuzz-new", "no-such-repo"],
    "name": ["fuzz-new", "fuzz-a", "Bad_Name", "ab"],
    "branch": ["main", "exp", "new-branch", "v1"], "dest_branch": ["main", "exp"],
    "ref": ["main", "exp", "v1", "main~1", "exp@"], "left_ref": ["main", "v1"],
    "right_ref": ["exp", "main~1"], "source_ref": ["exp", "v1"], "commit_ref": ["main", "exp"],
    "tag": ["v1", "v2", "rel-2026.11"], "path": ["a/1.txt", "b/2.txt", "a/"],
    "prefix": ["", "a/", "b"], "storage_namespace": ["s3://bucket/fuzz-new", "local://fuzz"],
    "server": ["fuzz_s3", "no_server"], "uri": ["s3://bucket/x", "local://x"],
    "method": ["GET", "PUT", "POST"], "physical_address": ["data/x", "s3://other/x"],
    "strategy": ["source-wins", "dest-wins", "theirs"], "delimiter": ["/", ""],
    "query": ["SELECT 'q/' || i AS path, 'data/q' AS physical_address, i::bigint AS size, "
              "'c' AS checksum FROM generate_series(1, 3) i", "SELECT 1", "SELEC"],
}
ODD = {
    "bigint": [None, 0, 1, -1, 10, 2**63 - 1, -2**63],
    "integer": [None, 0, 1, -1, 2**31 - 1, -2**31],
    "boolean": [None, True, False],
    "jsonb": [None, "{}", "[1]", "null", '"s"', "1", '{"a": {"b": []}}', '{"": 1}',
              '{"accuracy": 0.9}', '{"k": "' + "v" * 3000 + '"}'],
    "bytea": [None, b"", b"x", b"\x00\xff" * 1000],
    "interval": [None, "1 minute", "-1 day", "0", "1000 years", "8 days", "1 second"],
    "timestamp with time zone": [None, "infinity", "-infinity", "1900-01-01", "2026-01-01",
                                 "9999-12-31"],
    "text[]": [None, [], [None], ["s3://bucket/src/"], ["s3://"], ["local://x/"], ["", ""]],
    "name": [None, "fuzz_s3", "", "no_server"],
    "oid": [None, 0],
}


def value(argname, argtype):
    if argtype == "text":
        if rng.random() < 0.85 and argname in PLAUSIBLE:
            return rng.choice(PLAUSIBLE[argname])
        return rng.choice(ODD_TEXT)
    return rng.choice(ODD.get(argtype, [None]))


conn = connect(conninfo)
conn.execute("SET statement_timeout = '10s'")
outcomes = {}
internal = []
broken = []
t0 = time.time()
for i in range(CALLS):
    name, argnames, argtypes, nargs = rng.choice(functions)
    args = [value(argnames[k] if argnames else "", argtypes[k]) for k in range(nargs)]
    sql = "SELECT count(*) FROM %s(%s)" % (name, ", ".join("%%s::%s" % t for t in argtypes))
    try:
        conn.execute(sql, args)
        state = "ok"
    except psycopg.Error as e:
        state = e.sqlstate or "none"
        if conn.closed or conn.broken:
            broken.append((name, args, repr(e)))
            conn = connect(conninfo)
            conn.execute("SET statement_timeout = '10s'")
    if state.startswith("XX") or state == "none":
        internal.append((name, [str(a)[:60] for a in args], state))
    outcomes[state] = outcomes.get(state, 0) + 1
    if i % 50 == 49:
        fixtures(connect(conninfo))
note("%d calls in %.1f s; outcomes: %s" % (CALLS, time.time() - t0,
                                           ", ".join("%s %d" % kv for kv in sorted(outcomes.items()))))
ok(not broken, "no call broke its connection (no backend crash)", "\n".join(map(str, broken[:10])))
ok(not internal, "no internal error (class XX) and every error has a SQLSTATE",
   "\n".join(map(str, internal[:10])))
ok(outcomes.get("ok", 0) > CALLS // 20, "a fair share of the calls succeeded (%d)" % outcomes.get("ok", 0))
ok(len(outcomes) > 8, "the calls met many different errors (%d kinds)" % len(outcomes))
ok(connect(conninfo).execute("SELECT pg_postmaster_start_time()").fetchone()[0] == started,
   "the postmaster never restarted")
has_fsck = connect(conninfo).execute(
    "SELECT count(*) FROM pg_proc WHERE proname = 'lakefs_fsck'").fetchone()[0]
if has_fsck:
    problems = connect(conninfo).execute("SELECT * FROM lakefs_fsck()").fetchall()
    ok(not problems, "lakefs_fsck finds the catalog consistent afterwards", problems[:10])
done()
