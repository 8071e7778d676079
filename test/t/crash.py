"""test/t/crash.py — crash safety with fsync on: kill -9 in the middle of
versioning operations, recover, and find the catalog whole.

A private cluster (never the shared one test/run started), with fsync,
synchronous_commit and full_page_writes on. For each operation — a commit of
200,000 bulk-staged entries, a three-way merge, bulk staging of 200,000
entries, and a zero-copy import from the S3 test server — the test first
runs it to completion once on a reference branch and records the state after
it (branch head's parents and message, listing count and checksum of the
committed tree, of the staged changes). Then, on fresh branches in the same
state as before, it runs the operation again and kills, after a delay of 25%,
60% and 95% of the reference run's time (measured in a fresh session, like theirs):

  * the backend: kill -9 on its pid from pg_stat_activity (the postmaster
    then resets every backend and replays the WAL), and
  * the postmaster: kill -9 on the pid in postmaster.pid (and on its orphaned
    children), then pg_ctl start.

After each crash and recovery: lakefs_fsck() returns no rows, the branch
holds exactly the state before or exactly the state after the operation
(head, committed listing, staged listing all on the same side; a new head's
parents and message are the reference run's, its id differs only by its
time), every other branch and tag is unchanged; an operation
whose result reached the client before the kill must be there (durability).
Where each kill landed (during the operation or after it) is printed, not
asserted. Before the crashes, lakefs_fsck() runs while another session
creates, stages on, commits to and deletes branches, and reports nothing.
Last, with the server stopped, a page of the ranges' TOAST
table is zeroed (metaranges of format 2 are small roots, rarely TOASTed): lakefs_fsck() reports the unreadable values as decode_error
rows instead of failing. LAKEFS_CRASH_PGPORT picks the private port (default: PGPORT + 1).
"""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from lakefs_test import ok, note, done, s3_env  # noqa: E402

import psycopg  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PGBIN = os.environ.get("PGBIN")
if not PGBIN:
    print("# skip: PGBIN unset (run through test/run)")
    print("1..0")
    sys.exit(0)
PORT = int(os.environ.get("LAKEFS_CRASH_PGPORT") or int(os.environ.get("PGPORT", "55432")) + 1)
DIR = os.path.join(ROOT, "tmp_check", "crash")
SOCK = os.path.join(DIR, "sock")
DATA = os.path.join(DIR, "data")
N = int(os.environ.get("LAKEFS_CRASH_ENTRIES", "200000"))
REPO = "crashes"
T0 = time.time()
AS_OWNER = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
CONF = """fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = 256MB
restart_after_crash = on"""


def conninfo(app="crash"):
    return "host=%s port=%d user=postgres dbname=crash application_name=%s" % (SOCK, PORT, app)


def cluster_start():
    env = dict(os.environ, LAKEFS_PGPORT=str(PORT), LAKEFS_PGCONF=CONF)
    r = subprocess.run(["bash", "-c", '. "$1/test/lib/pgcluster.sh" && cluster_start "$2"',
                        "cluster_start", ROOT, DIR], env=env, capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


def pg_ctl(*args):
    return subprocess.run(AS_OWNER + [os.path.join(PGBIN, "pg_ctl"), "-D", DATA] + list(args),
                          capture_output=True, text=True)


def connect(app="crash", timeout=90):
    """Connect, waiting out crash recovery."""
    deadline = time.time() + timeout
    while True:
        try:
            return psycopg.connect(conninfo(app), autocommit=True)
        except psycopg.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def alive(pid):
    """the process exists, a zombie included (a new postmaster refuses to start
    while the old one's pid does)"""
    return os.path.exists("/proc/%d" % pid)


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/status" % d) as f:
                    for line in f:
                        if line.startswith("PPid:"):
                            if int(line.split()[1]) == pid:
                                out.append(int(d))
                            break
            except OSError:
                pass
    return out


def postmaster_pid():
    with open(os.path.join(DATA, "postmaster.pid")) as f:
        return int(f.readline())


def kill_postmaster():
    """kill -9 the postmaster, then its orphaned children; restart with pg_ctl."""
    pm = postmaster_pid()
    kids = children(pm)
    os.kill(pm, signal.SIGKILL)
    for k in kids:
        try:
            os.kill(k, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.time() + 30
    while any(alive(p) for p in [pm] + kids) and time.time() < deadline:
        time.sleep(0.01)
    r = pg_ctl("-l", os.path.join(DIR, "server.log"), "-w", "-t", "90", "start")
    if r.returncode != 0:
        raise RuntimeError("restart failed: " + r.stdout + r.stderr)


conn = None


def one(sql, args=()):
    return conn.execute(sql, args).fetchone()


def tree(ref):
    """count and order-independent checksum of the committed listing of ref"""
    return tuple(one("SELECT count(*), coalesce(sum(hashtext(path || ' ' || physical_address"
                     " || ' ' || size || ' ' || checksum)::bigint), 0) FROM lakefs_ls(%s, %s)",
                     (REPO, ref)))


def staged(branch):
    return tuple(one("SELECT count(*), coalesce(sum(hashtext(path || ' ' || change || ' ' ||"
                     " coalesce(physical_address, '') || ' ' || coalesce(size, -1))::bigint), 0)"
                     " FROM lakefs_staged(%s, %s)", (REPO, branch)))


def state(branch):
    head, parents, message = one(
        "SELECT c.id, c.parents, c.message FROM lakefs.branches b"
        " JOIN lakefs.repositories r ON r.id = b.repo_id"
        " JOIN lakefs.commits c ON c.repo_id = b.repo_id AND c.id = b.head"
        " WHERE r.name = %s AND b.name = %s", (REPO, branch))
    return {"head": head, "parents": parents, "message": message,
            "tree": tree(branch + "@"), "staged": staged(branch)}


def refs(but):
    """every branch and tag of the repository but one branch, with its commit"""
    return conn.execute(
        "SELECT 'branch ' || branch, head_commit FROM lakefs_branches WHERE repository = %s"
        " AND branch <> %s UNION ALL SELECT 'tag ' || tag, commit_id FROM lakefs_tags"
        " WHERE repository = %s ORDER BY 1", (REPO, but, REPO)).fetchall()


def side(st, before, after, moves_head):
    """'before' or 'after' when st is exactly one of them, else a description"""
    if st["head"] == before["head"] and st["tree"] == before["tree"]:
        if st["staged"] == before["staged"]:
            return "before"
        if not moves_head and st["staged"] == after["staged"]:
            return "after"
    if moves_head and st["head"] != before["head"]:
        want_parents = [before["head"] if p == "<before>" else p for p in after["parents"]]
        if (st["parents"] == want_parents and st["message"] == after["message"]
                and st["tree"] == after["tree"] and st["staged"] == after["staged"]):
            return "after"
    return "neither: %s" % {k: st[k] for k in ("head", "parents", "message", "tree", "staged")}


class Op:
    """One operation: prepare(branch) sets a branch up, sql(branch) runs it."""

    def __init__(self, name, prepare, sql, moves_head):
        self.name, self.prepare, self.sql, self.moves_head = name, prepare, sql, moves_head
        self.after = None
        self.seconds = None


def run_reference(op):
    global conn
    branch = op.name + "_ref"
    op.prepare(branch)
    conn.execute("CHECKPOINT")
    before = state(branch)
    # timed in a fresh session right after a checkpoint, as the crash runs are
    with connect("crash-reference") as fresh:
        t = time.time()
        fresh.execute(op.sql(branch))
        op.seconds = time.time() - t
    after = state(branch)
    if op.moves_head:
        after["parents"] = ["<before>" if p == before["head"] else p for p in after["parents"]]
        ok(after["head"] != before["head"] and "<before>" in after["parents"],
           "%s: the reference run moves the head (%.0f ms)" % (op.name, op.seconds * 1000))
    else:
        ok(after["head"] == before["head"] and after["staged"] != before["staged"],
           "%s: the reference run changes the staging area (%.0f ms)" % (op.name, op.seconds * 1000))
    op.after = after


def crash_once(op, kind, frac, n):
    """run op on a fresh branch, kill after frac of its reference time, check"""
    global conn
    branch = "%s_%s_%d" % (op.name, kind, n)
    op.prepare(branch)
    conn.execute("CHECKPOINT")
    before = state(branch)
    others = refs(branch)
    worker = connect("crash-worker")
    pid = one("SELECT pid FROM pg_stat_activity WHERE application_name = 'crash-worker'")[0]
    outcome = {}
    started = threading.Event()

    def work():
        started.set()
        try:
            worker.execute(op.sql(branch))
            outcome["result"] = "ok"
        except psycopg.Error as e:
            outcome["result"] = "error: %s" % str(e).splitlines()[0]
        outcome["at"] = time.time()

    th = threading.Thread(target=work)
    th.start()
    started.wait()
    delay = max(0.005, op.seconds * frac)
    time.sleep(delay)
    done_before_kill = "result" in outcome
    kill_at = time.time()
    if kind == "backend":
        # the postmaster answers by ending every other process and starting
        # afresh: wait until the old ones are gone before connecting again
        old = [p for p in children(postmaster_pid()) if p != pid]
        os.kill(pid, signal.SIGKILL)
        deadline = time.time() + 60
        while any(alive(p) for p in old) and time.time() < deadline:
            time.sleep(0.01)
    else:
        kill_postmaster()
    th.join(60)
    try:
        worker.close()
    except psycopg.Error:
        pass
    try:
        conn.close()
    except psycopg.Error:
        pass
    conn = connect()
    problems = conn.execute("SELECT kind, object, detail FROM lakefs_fsck()").fetchall()
    where = side(state(branch), before, op.after, op.moves_head)
    others_now = refs(branch)
    desc = "%s, kill -9 %s after %.0f ms (%s)" % (
        op.name, kind, delay * 1000,
        "after it finished" if done_before_kill else "during it: " + outcome.get("result", "?"))
    ok(not problems, "%s: lakefs_fsck() finds nothing" % desc, problems[:10])
    ok(where in ("before", "after"), "%s: the branch is exactly before or after: %s" % (desc, where))
    ok(others_now == others, "%s: every other branch and tag is as it was (%d)" % (desc, len(others)))
    if outcome.get("result") == "ok" and outcome["at"] < kill_at:
        ok(where == "after", "%s: the acknowledged result survived" % desc)
    return where, done_before_kill


# ---- setup ----
started, log = cluster_start()
if not started:
    ok(False, "start the private cluster", log)
    done()
try:
    with psycopg.connect("host=%s port=%d user=postgres dbname=postgres" % (SOCK, PORT),
                         autocommit=True) as c0:
        c0.execute("CREATE DATABASE crash")
    conn = connect()
    conn.execute("CREATE EXTENSION pg_lakefs")
    settings = conn.execute("SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings"
                            " WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')").fetchone()[0]
    ok(settings == "fsync=on full_page_writes=on synchronous_commit=on",
       "the private cluster runs with %s" % settings)

    conn.execute("CREATE TABLE big AS SELECT 'data/' || lpad(g::text, 7, '0') || '.bin' AS path,"
                 " md5(g::text) AS physical_address, g::bigint AS size, md5('c' || g) AS checksum,"
                 " '2026-01-01 00:00+00'::timestamptz AS last_modified"
                 " FROM generate_series(1, %d) g" % N)
    # every other path of the base tree, changed, for the merge source
    conn.execute("CREATE TABLE changed AS SELECT path, physical_address || '-v2' AS physical_address,"
                 " size + 1 AS size, checksum, last_modified FROM big WHERE mod(size, 4) = 1")
    env = s3_env()
    if env:
        conn.execute("CREATE SERVER minio FOREIGN DATA WRAPPER lakefs_s3 OPTIONS "
                     "(endpoint '%s', region '%s', url_style 'path')"
                     % (env["LAKEFS_S3_ENDPOINT"], env["LAKEFS_S3_REGION"]))
        conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER minio OPTIONS "
                     "(access_key_id '%s', secret_access_key '%s')"
                     % (env["LAKEFS_S3_ACCESS_KEY"], env["LAKEFS_S3_SECRET_KEY"]))
        conn.execute("SELECT lakefs_s3_create_bucket('minio', 'crash-bucket')")
        conn.execute("SELECT lakefs_s3_create_bucket('minio', 'crash-source')")
        NOBJ = 2000
        t = time.time()
        conn.execute("SELECT lakefs_s3_put('minio', format('s3://crash-source/set/%%s.bin',"
                     " lpad(g::text, 5, '0')), 'x') FROM generate_series(1, %d) g" % NOBJ)
        note("wrote %d objects to the S3 test server in %.1f s" % (NOBJ, time.time() - t))
        # pages of 50 keys stretch the import over many requests
        conn.execute("ALTER DATABASE crash SET pg_lakefs.list_page_size = 50")
    one("SELECT lakefs_create_repository(%s, 's3://crash-bucket/repo', server => %s)",
        (REPO, "minio" if env else None))
    one("SELECT lakefs_stage_objects(%s, 'main', 'SELECT * FROM big WHERE mod(size, 2) = 1')", (REPO,))
    one("SELECT lakefs_commit(%s, 'main', 'base: every odd path')", (REPO,))
    one("SELECT lakefs_create_tag(%s, 'base', 'main')", (REPO,))
    # merge source: changes half of the base paths and adds the even ones up to N/2
    one("SELECT lakefs_create_branch(%s, 'msrc', 'main')", (REPO,))
    one("SELECT lakefs_stage_objects(%s, 'msrc', 'SELECT * FROM changed"
        " UNION ALL SELECT * FROM big WHERE mod(size, 2) = 0 AND size <= %d')" % ("%s", N // 2), (REPO,))
    one("SELECT lakefs_commit(%s, 'msrc', 'merge source')", (REPO,))
    # merge destination: one other change on top of main
    one("SELECT lakefs_create_branch(%s, 'mdst', 'main')", (REPO,))
    one("SELECT lakefs_stage_object(%s, 'mdst', 'zzz/dest-only.txt', 'dest', 1, 'd',"
        " last_modified => '2026-01-01 00:00+00')", (REPO,))
    one("SELECT lakefs_commit(%s, 'mdst', 'dest change')", (REPO,))
    note("setup: %d-entry source table, base tree of %d entries (%.1f s)"
         % (N, N // 2, time.time() - T0))

    def branch_from(ref):
        return lambda b: one("SELECT lakefs_create_branch(%s, %s, %s)", (REPO, b, ref))

    def staged_branch(b):
        branch_from("main")(b)
        one("SELECT lakefs_stage_objects(%s, %s, 'SELECT * FROM big')", (REPO, b))

    ops = [
        Op("commit", staged_branch,
           lambda b: "SELECT lakefs_commit('%s', '%s', 'big commit')" % (REPO, b), True),
        Op("merge", branch_from("mdst"),
           lambda b: "SELECT lakefs_merge('%s', 'msrc', '%s', message => 'merged')" % (REPO, b), True),
        Op("stage", branch_from("main"),
           lambda b: "SELECT lakefs_stage_objects('%s', '%s', 'SELECT * FROM big')" % (REPO, b), False),
    ]

    if env:
        ops.append(Op("import", branch_from("main"),
                      lambda b: "SELECT lakefs_import('%s', '%s', ARRAY['s3://crash-source/set/'],"
                                " 'imported/', 'import')" % (REPO, b), True))
    else:
        print("# skip: import crash cases (no S3 test server: LAKEFS_S3_ENDPOINT unset)")

    for op in ops:
        run_reference(op)
    note("reference runs done (%.1f s)" % (time.time() - T0))

    # lakefs_fsck() while other sessions commit, branch, stage and delete
    # branches: it reads one snapshot, so it reports nothing
    def churn(stop):
        with connect("crash-churn") as c:
            for i in range(10 ** 6):
                if stop.is_set():
                    return i
                b = "churn%d" % i
                c.execute("SELECT lakefs_create_branch(%s, %s, 'main')", (REPO, b))
                c.execute("SELECT lakefs_stage_objects(%s, %s, 'SELECT * FROM big LIMIT 5000')",
                          (REPO, b))
                c.execute("SELECT lakefs_stage_object(%s, %s, 'x', 'x', 1, 'x')", (REPO, b))
                c.execute("SELECT lakefs_commit(%s, %s, 'churn')", (REPO, b))
                c.execute("SELECT lakefs_stage_object(%s, %s, 'y', 'y', 1, 'y')", (REPO, b))
                c.execute("SELECT lakefs_delete_branch(%s, %s)", (REPO, b))
    stop = threading.Event()
    churned = {}
    th = threading.Thread(target=lambda: churned.setdefault("n", churn(stop)))
    th.start()
    found, runs = [], 0
    t = time.time()
    while time.time() - t < 3:
        found += conn.execute("SELECT kind, object FROM lakefs_fsck()").fetchall()
        runs += 1
    stop.set()
    th.join()
    ok(not found and churned.get("n", 0) > 0,
       "lakefs_fsck() ran %d times during %s rounds of branch, stage, commit, delete: nothing"
       " reported" % (runs, churned.get("n")), found[:5])

    landed = {}
    for op in ops:
        for kind in ("backend", "postmaster"):
            for n, frac in enumerate((0.25, 0.6, 0.95)):
                t = time.time()
                where, finished = crash_once(op, kind, frac, n)
                landed.setdefault(op.name, []).append("%s %s" % (
                    "after" if finished else "during", where))
                note("%s/%s/%d: %.1f s" % (op.name, kind, n, time.time() - t))
    for name, outcomes in landed.items():
        note("%s: kills landed %s" % (name, ", ".join(outcomes)))
    # memory stays flat: a fresh backend's private memory before and after
    def rss_anon_kb(pid):
        with open("/proc/%d/status" % pid) as f:
            return int(next(line for line in f if line.startswith("RssAnon:")).split()[1])
    fresh = connect("crash-memory")
    fpid = fresh.execute("SELECT pg_backend_pid()").fetchone()[0]
    range_mb = one("SELECT sum(octet_length(data)) / 1000000 FROM lakefs.ranges")[0]
    kb = rss_anon_kb(fpid)
    t = time.time()
    problems = fresh.execute("SELECT count(*) FROM lakefs_fsck()").fetchone()[0]
    ms = (time.time() - t) * 1000
    grew = (rss_anon_kb(fpid) - kb) / 1000
    fresh.close()
    ok(problems == 0, "lakefs_fsck() finds nothing at the end")
    if os.environ.get("LAKEFS_SANITIZE"):
        # ASan's quarantine keeps freed memory resident (up to 256 MB)
        print("# skip: private memory under ASan: grew by %.1f MB while reading %s MB of ranges"
              % (grew, range_mb))
    else:
        ok(grew < 16, "lakefs_fsck() reads %s MB of ranges; the backend's private memory grew"
           " by %.1f MB (< 16)" % (range_mb, grew))
    note("lakefs_fsck() of the whole catalog: %.0f ms for %s commits, %s metaranges, %s ranges"
         " (%s MB)" % ((ms,) + tuple(one(
             "SELECT (SELECT count(*) FROM lakefs.commits), (SELECT count(*) FROM lakefs.metaranges),"
             " count(*), sum(octet_length(data)) / 1000000 FROM lakefs.ranges"))))

    # A torn TOAST page (zeroed with the server stopped): ranges whose
    # stored values cannot be read are reported as rows, not raised.
    toast = one("SELECT pg_relation_filepath(reltoastrelid) FROM pg_class"
                " WHERE oid = 'lakefs.ranges'::regclass")[0]
    conn.close()
    r = pg_ctl("-m", "fast", "-w", "stop")
    with open(os.path.join(DATA, toast), "r+b") as f:
        f.write(b"\0" * 8192)
    r = pg_ctl("-l", os.path.join(DIR, "server.log"), "-w", "-t", "90", "start")
    conn = connect()
    try:
        rows = conn.execute("SELECT kind, detail FROM lakefs_fsck()").fetchall()
    except psycopg.Error as e:
        rows = [("raised", str(e))]
    ok(rows and all(k == "decode_error" and "cannot be read" in d and "toast value" in d
                    for k, d in rows),
       "a zeroed TOAST page: %d ranges reported as decode_error, nothing raised" % len(rows),
       rows[:5])
finally:
    try:
        conn and conn.close()
    except psycopg.Error:
        pass
    pg_ctl("-m", "fast", "-w", "stop")
    note("total %.1f s" % (time.time() - T0))
done()
