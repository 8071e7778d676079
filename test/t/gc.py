"""test/t/gc.py — garbage collection against the S3 test server: retention rules
and their errors, the mark (lakeFS's active commits: first-parent history within
retention plus the first older commit, heads and tags), the sweep (DeleteObjects,
recorded, idempotent), the hint when reading a collected object, uncommitted
garbage after the grace period, imported objects never touched, one GC at a time
per repository, a store that fails mid-sweep (nothing recorded that was not
deleted), a local:// repository, and lakefs_delete_repository(..., purge).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import http.client
import http.server

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from lakefs_test import (ok, note, done, fresh_database, connect, s3_env, skip_all,  # noqa: E402
                         create_s3_server, expect_error)

if not s3_env():
    skip_all("no S3 test server (LAKEFS_S3_ENDPOINT unset)")
conninfo = fresh_database("lakefs_gc")
conn = connect(conninfo)
create_s3_server(conn)
BUCKET = "gc-%d" % os.getpid()  # a fresh bucket: "exactly the expected keys"
conn.execute("SELECT lakefs_s3_create_bucket('minio', %s)", (BUCKET,))


def one(sql, *args):
    return conn.execute(sql, args).fetchone()


def keys(prefix, server="minio"):
    return sorted(r[0] for r in conn.execute(
        "SELECT key FROM lakefs_list_objects(%s, %s)", (server, prefix)).fetchall())


def gc(repo, dry_run=True):
    return one("SELECT * FROM lakefs_gc(%s, %s)", repo, dry_run)


def age(repo, commit, days):
    """Test hook: move a commit's time back (superuser; ids then no longer
    recompute, so lakefs_fsck is not run on these repositories)."""
    conn.execute("UPDATE lakefs.commits c SET created_at = c.created_at - make_interval(days => %s) "
                 "FROM lakefs.repositories r WHERE r.id = c.repo_id AND r.name = %s AND c.id = %s",
                 (days, repo, commit))


def put(repo, branch, path, data):
    return one("SELECT physical_address FROM lakefs_put_object(%s, %s, %s, %s)",
               repo, branch, path, data)[0]


def commit(repo, branch, msg="c"):
    return one("SELECT lakefs_commit(%s, %s, %s)", repo, branch, msg)[0]


# ---- rules ----
one("SELECT lakefs_create_repository('gcrepo', 's3://" + BUCKET + "/gcrepo', server => 'minio')")
one("SELECT lakefs_create_repository('gcrepo2', 's3://" + BUCKET + "/gcrepo2', server => 'minio')")
e = expect_error(conn, "SELECT * FROM lakefs_gc('gcrepo')")
ok(e is not None and e.sqlstate == "55000", "GC without rules is refused (%s)" % (e and e.sqlstate))
one("SELECT lakefs_set_gc_rules('gcrepo', '7 days', '{\"main\": \"1 day\"}')")
ok(one("SELECT default_retention = '7 days', branches FROM lakefs_gc_rules WHERE repository = 'gcrepo'")
   == (True, {"main": "1 day"}), "the rules read back from lakefs_gc_rules")
one("SELECT lakefs_set_gc_rules('gcrepo', '21 days')")
ok(one("SELECT default_retention = '21 days', branches FROM lakefs_gc_rules WHERE repository = 'gcrepo'")
   == (True, {}), "each call replaces the rules")
for desc, sql, state in [
    ("unknown repository", "SELECT lakefs_set_gc_rules('nope', '1 day')", "42704"),
    ("negative retention", "SELECT lakefs_set_gc_rules('gcrepo', '-1 day')", "22023"),
    ("zero retention", "SELECT lakefs_set_gc_rules('gcrepo', '0')", "22023"),
    ("absurd retention", "SELECT lakefs_set_gc_rules('gcrepo', '5000 years')", "22023"),
    ("NULL retention", "SELECT lakefs_set_gc_rules('gcrepo', NULL)", "22004"),
    ("a rules value that is not text", "SELECT lakefs_set_gc_rules('gcrepo', '1 day', '{\"main\": 5}')", "22023"),
    ("a rules value that is not an interval",
     "SELECT lakefs_set_gc_rules('gcrepo', '1 day', '{\"main\": \"soon\"}')", "22007"),
    ("a negative branch retention",
     "SELECT lakefs_set_gc_rules('gcrepo', '1 day', '{\"main\": \"-3 days\"}')", "22023"),
    ("rules that are not an object", "SELECT lakefs_set_gc_rules('gcrepo', '1 day', '[1]')", "22023"),
    ("GC of an unknown repository", "SELECT * FROM lakefs_gc('nope')", "42704"),
    ("candidates of an unknown repository", "SELECT * FROM lakefs_gc_candidates('nope')", "42704"),
    ("GC with dry_run NULL", "SELECT * FROM lakefs_gc('gcrepo', NULL)", "22004"),
]:
    e = expect_error(conn, sql)
    ok(e is not None and e.sqlstate == state, "%s: %s" % (desc, e.sqlstate if e else "no error"),
       e and str(e))
ok(one("SELECT default_retention = '21 days' FROM lakefs_gc_rules WHERE repository = 'gcrepo'")[0],
   "refused rules leave the old ones")
one("SELECT lakefs_set_gc_rules('gcrepo', '7 days', '{\"main\": \"1 day\"}')")

# ---- mark and sweep: three versions of one path on main ----
a1 = put("gcrepo", "main", "a.txt", b"version one")
c1 = commit("gcrepo", "main")
a2 = put("gcrepo", "main", "a.txt", b"version two")
c2 = commit("gcrepo", "main")
a3 = put("gcrepo", "main", "a.txt", b"version three!")
c3 = commit("gcrepo", "main")
for c in (c1, c2):
    age("gcrepo", c, 30)
ns = "s3://" + BUCKET + "/gcrepo/"
rel = lambda a: a[len(ns):]  # noqa: E731
st = gc("gcrepo")
ok(st[0] == 2 and st[2] == 1 and st[3] == len(b"version one") and st[4] == 0,
   "dry run: the head and the first commit older than retention are active; one candidate (%s)" % (st,))
ok(conn.execute("SELECT address, size, why FROM lakefs_gc_candidates('gcrepo')").fetchall()
   == [(rel(a1), 11, "unreferenced")], "lakefs_gc_candidates lists it, relative, with size and why")
ok(rel(a1) in [k[len("gcrepo/"):] for k in keys("s3://" + BUCKET + "/gcrepo/data/")], "a dry run deletes nothing")

# a tag keeps its commit active
one("SELECT lakefs_create_tag('gcrepo', 'v1', %s)", c1)
st = gc("gcrepo")
ok(st[2] == 0, "a tagged commit is always active (%s)" % (st,))
one("SELECT lakefs_delete_tag('gcrepo', 'v1')")
# a branch override keeps more history
one("SELECT lakefs_set_gc_rules('gcrepo', '7 days', '{\"main\": \"60 days\"}')")
ok(gc("gcrepo")[2] == 0, "a per-branch retention overrides the default")
one("SELECT lakefs_set_gc_rules('gcrepo', '7 days', '{\"main\": \"1 day\"}')")

st = gc("gcrepo", False)
ok(st[2] == 1 and st[4] == 1, "the sweep deletes the candidate (%s)" % (st,))
ok(keys("s3://" + BUCKET + "/gcrepo/data/") == sorted("gcrepo/" + rel(a) for a in (a2, a3)),
   "the bucket holds exactly the live objects")
ok(bytes(one("SELECT lakefs_get_object('gcrepo', %s, 'a.txt')", c2)[0]) == b"version two" and
   bytes(one("SELECT lakefs_get_object('gcrepo', 'main', 'a.txt')")[0]) == b"version three!",
   "the active commits read back")
e = expect_error(conn, "SELECT lakefs_get_object('gcrepo', %s, 'a.txt')", (c1,))
ok(e is not None and e.sqlstate == "42704" and "garbage-collected" in e.diag.message_primary and
   "lakefs_gc() deleted" in (e.diag.message_detail or "") and e.diag.message_hint,
   "reading a collected object says it was garbage-collected, and when", e and str(e))
ok(one("SELECT count(*) FROM lakefs_gc_candidates('gcrepo')")[0] == 0, "swept candidates are not listed")
st = gc("gcrepo", False)
ok(st[2] == 0 and st[4] == 0, "a second run finds nothing to do (%s)" % (st,))

# ---- uncommitted garbage: reset, overwritten before commit, never-linked upload ----
b1 = put("gcrepo", "main", "b.txt", b"reset me")
one("SELECT lakefs_reset('gcrepo', 'main')")
b2 = put("gcrepo", "main", "c.txt", b"overwritten before commit")
b3 = put("gcrepo", "main", "c.txt", b"staged")
paddr, purl = one("SELECT * FROM lakefs_upload_url('gcrepo', 'main', 'd.txt')")
subprocess.run(["curl", "-sf", "-X", "PUT", "--data-binary", "never linked", purl], check=True)
ok(gc("gcrepo")[2] == 0, "within the grace period nothing uncommitted is a candidate")
conn.execute("SET pg_lakefs.gc_grace = 0")
cands = conn.execute("SELECT address, why FROM lakefs_gc_candidates('gcrepo')").fetchall()
gc("gcrepo")
cands = conn.execute("SELECT address, why FROM lakefs_gc_candidates('gcrepo')").fetchall()
ok(sorted(cands) == sorted((rel(a), "uncommitted") for a in (b1, b2, paddr)),
   "after the grace period: the reset, the overwritten and the unlinked upload (%s)" % (cands,))
st = gc("gcrepo", False)
ok(st[4] == 3, "and they are swept")
ok(bytes(one("SELECT lakefs_get_object('gcrepo', 'main', 'c.txt')")[0]) == b"staged",
   "a staged object is never collected")
commit("gcrepo", "main")
conn.execute("RESET pg_lakefs.gc_grace")

# ---- the same bytes uploaded again (lakeFS's entry identity: no change) ----
# the commit keeps the committed entry: the re-uploaded object is referenced by
# nothing and is collected; the committed one never is
e1 = put("gcrepo", "main", "e.txt", b"same bytes")
commit("gcrepo", "main")
e2 = put("gcrepo", "main", "e.txt", b"same bytes")
put("gcrepo", "main", "f.txt", b"a real change")
commit("gcrepo", "main")
e3 = put("gcrepo", "main", "e.txt", b"same bytes")
e = expect_error(conn, "SELECT lakefs_commit('gcrepo', 'main', 'nothing new')")
ok(e is not None and e.sqlstate == "55000" and e1 != e2 != e3,
   "re-uploading the same bytes alone is no change to commit (%s)" % (e and e.sqlstate))
one("SELECT lakefs_reset('gcrepo', 'main')")
ok(one("SELECT physical_address FROM lakefs_stat('gcrepo', 'main', 'e.txt')")[0] == e1,
   "the tree keeps the first upload's address")
conn.execute("SET pg_lakefs.gc_grace = 0")
gc("gcrepo")
cands = conn.execute("SELECT address, why FROM lakefs_gc_candidates('gcrepo')").fetchall()
ok(sorted(cands) == sorted((rel(a), "uncommitted") for a in (e2, e3)),
   "the re-uploaded objects are uncommitted garbage, the committed one is not (%s)" % (cands,))
st = gc("gcrepo", False)
conn.execute("RESET pg_lakefs.gc_grace")
live = keys("s3://" + BUCKET + "/gcrepo/data/")
ok(st[4] == 2 and "gcrepo/" + rel(e1) in live and "gcrepo/" + rel(e2) not in live,
   "the sweep deletes them and keeps the committed object (%s)" % (st,))
ok(bytes(one("SELECT lakefs_get_object('gcrepo', 'main', 'e.txt')")[0]) == b"same bytes",
   "the committed object reads back")

# ---- imported objects are never deleted ----
conn.execute("SELECT lakefs_s3_put('minio', 's3://" + BUCKET + "/external/x.csv', 'imported bytes')")
one("SELECT lakefs_create_branch('gcrepo', 'ingest', 'main')")
one("SELECT lakefs_import('gcrepo', 'ingest', ARRAY['s3://" + BUCKET + "/external/'], 'raw/')")
age("gcrepo", one("SELECT lakefs_resolve_ref('gcrepo', 'ingest')")[0], 30)
one("SELECT lakefs_delete_branch('gcrepo', 'ingest')")
conn.execute("SET pg_lakefs.gc_grace = 0")
st = gc("gcrepo", False)
conn.execute("RESET pg_lakefs.gc_grace")
ok(keys("s3://" + BUCKET + "/external/") == ["external/x.csv"] and st[2] == 0,
   "imported objects of a deleted branch stay (%s)" % (st,))

# ---- one GC at a time per repository ----
other = connect(conninfo, autocommit=False)
other.execute("SELECT * FROM lakefs_gc('gcrepo')")
e = expect_error(conn, "SELECT * FROM lakefs_gc('gcrepo')")
ok(e is not None and e.sqlstate == "55P03", "a second GC of the repository is refused while one runs (%s)"
   % (e and e.sqlstate))
other.rollback()
ok(expect_error(conn, "SELECT * FROM lakefs_gc('gcrepo')") is None, "and allowed once it ends")
other.close()


# ---- a store that fails mid-sweep: a proxy that refuses the second DeleteObjects ----
class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    deletes = 0
    target = s3_env()["LAKEFS_S3_ENDPOINT"].split("//")[1]

    def log_message(self, *a):
        pass

    def relay(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        if self.command == "POST" and "delete" in self.path.split("?", 1)[-1]:
            Proxy.deletes += 1
            if Proxy.deletes > 1:
                msg = (b'<?xml version="1.0"?><Error><Code>AccessDenied</Code>'
                       b'<Message>refused by the test proxy</Message></Error>')
                self.send_response(403)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)
                return
        c = http.client.HTTPConnection(Proxy.target)
        c.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            c.putheader(k, v)
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        c.close()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = relay


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
threading.Thread(target=srv.serve_forever, daemon=True).start()
env = s3_env()
conn.execute("CREATE SERVER flaky FOREIGN DATA WRAPPER lakefs_s3 OPTIONS "
             "(endpoint 'http://127.0.0.1:%d', region '%s', url_style 'path')"
             % (srv.server_address[1], env["LAKEFS_S3_REGION"]))
conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER flaky OPTIONS "
             "(access_key_id '%s', secret_access_key '%s')"
             % (env["LAKEFS_S3_ACCESS_KEY"], env["LAKEFS_S3_SECRET_KEY"]))
one("SELECT lakefs_create_repository('flaky', 's3://" + BUCKET + "/flaky', server => 'flaky')")
one("SELECT lakefs_set_gc_rules('flaky', '1 day')")
n = 1500
one("SELECT lakefs_create_branch('flaky', 'tmp', 'main')")
one("SELECT lakefs_stage_objects('flaky', 'tmp', $$SELECT 'o/' || i AS path, "
    "'data/x' || lpad(i::text, 5, '0') AS physical_address, 1::bigint AS size, 'e' AS checksum "
    "FROM generate_series(1, %d) i$$)" % n)
conn.execute("SELECT lakefs_s3_put('minio', 's3://" + BUCKET + "/flaky/data/x' || lpad(i::text, 5, '0'), 'z') "
             "FROM generate_series(1, %d) i" % n)
age("flaky", commit("flaky", "tmp"), 30)
one("SELECT lakefs_delete_branch('flaky', 'tmp')")
put("flaky", "main", "keep.txt", b"keep")
commit("flaky", "main")
st = gc("flaky")
ok(st[2] == n, "%d candidates over two DeleteObjects requests (%s)" % (n, st))
e = expect_error(conn, "SELECT * FROM lakefs_gc('flaky', false)")
ok(e is not None and e.sqlstate == "42501", "a store that refuses the second request fails the sweep (%s)"
   % (e and e.sqlstate), e and str(e))
ok(one("SELECT count(*) FROM lakefs.gc_candidates c JOIN lakefs.repositories r ON r.id = c.repo_id "
       "WHERE r.name = 'flaky' AND swept_at IS NOT NULL")[0] == 0,
   "and nothing is recorded as swept")
left = len(keys("s3://" + BUCKET + "/flaky/data/"))
ok(left == n - 1000 + 1, "the first 1,000 keys are gone, the rest stay (%d left)" % left)
Proxy.deletes = -100
st = gc("flaky", False)
ok(st[4] == n and len(keys("s3://" + BUCKET + "/flaky/data/")) == 1, "the rerun finishes the sweep (%s)" % (st,))


def catalog_rows(repo):
    return one("SELECT (SELECT count(*) FROM lakefs.commits c WHERE c.repo_id = r.id), "
               "(SELECT count(*) FROM lakefs.metaranges m WHERE m.repo_id = r.id), "
               "(SELECT count(*) FROM lakefs.ranges g WHERE g.repo_id = r.id) "
               "FROM lakefs.repositories r WHERE r.name = %s", repo)


# the catalog: the deleted branch's old commit, its tree and its ranges went with the sweep
rows = catalog_rows("flaky")
ok(rows[0] == 2 and one("SELECT count(*) FROM lakefs_commits WHERE repository = 'flaky' AND message = 'c'")[0] == 1,
   "the unreachable old commit is deleted from the catalog, the reachable ones stay (%s)" % (rows,))
ok(one("SELECT count(*) FROM lakefs_fsck('flaky') WHERE kind <> 'commit_id_mismatch'")[0] == 0,
   "and lakefs_fsck finds no dangling parent, metarange or range")
one("SELECT lakefs_create_branch('flaky', 'young', 'main')")
put("flaky", "young", "y.txt", b"old parent")
yold = commit("flaky", "young")
age("flaky", yold, 30)
put("flaky", "young", "y.txt", b"young child")
yc = commit("flaky", "young")
one("SELECT lakefs_delete_branch('flaky', 'young')")
gc("flaky", False)
ok(one("SELECT count(*) FROM lakefs_commits WHERE repository = 'flaky' AND id IN (%s, %s)", yc, yold)[0] == 2 and
   one("SELECT count(*) FROM lakefs_fsck('flaky') WHERE kind <> 'commit_id_mismatch'")[0] == 0,
   "an unreachable commit younger than the retention stays, with its old parent")

# ---- a commit in flight holds the collector's final bookkeeping, and survives it ----
writer = connect(conninfo, autocommit=False)
writer.execute("SELECT lakefs_put_object('flaky', 'main', 'inflight.txt', 'in flight')")
writer.execute("SELECT lakefs_commit('flaky', 'main', 'in flight')")
gc_conn = connect(conninfo)
gc_pid = gc_conn.execute("SELECT pg_backend_pid()").fetchone()[0]
res = {}
t = threading.Thread(target=lambda: res.setdefault("st", gc_conn.execute(
    "SELECT * FROM lakefs_gc('flaky', false)").fetchone()))
t.start()
waited = False
for _ in range(2000):
    if one("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", gc_pid)[0]:
        waited = True
        break
    if not t.is_alive():
        break
    time.sleep(0.01)
ok(waited, "the collector waits for a commit in flight before deleting catalog rows")
writer.commit()
t.join()
ok("st" in res and bytes(one("SELECT lakefs_get_object('flaky', 'main', 'inflight.txt')")[0]) == b"in flight"
   and one("SELECT count(*) FROM lakefs_fsck('flaky') WHERE kind <> 'commit_id_mismatch'")[0] == 0,
   "then finishes; the commit and its object survive (%s)" % (res.get("st"),))
writer.close()
gc_conn.close()
srv.shutdown()
srv.server_close()

# ---- a local:// repository works the same way ----
lroot = tempfile.mkdtemp()
if os.getuid() == 0:
    shutil.chown(lroot, "postgres", "postgres")
conn.execute("SET pg_lakefs.local_root = '%s'" % lroot)
one("SELECT lakefs_create_repository('localrepo', 'local://localrepo')")
one("SELECT lakefs_set_gc_rules('localrepo', '1 day')")
l1 = put("localrepo", "main", "m.bin", b"old model")
lc1 = commit("localrepo", "main")
put("localrepo", "main", "m.bin", b"new model")
lc2 = commit("localrepo", "main")
put("localrepo", "main", "m.txt", b"newest")
commit("localrepo", "main")
age("localrepo", lc1, 30)
age("localrepo", lc2, 30)
st = gc("localrepo", False)
ok(st[2] == 1 and st[4] == 1 and not os.path.exists(os.path.join(lroot, l1[len("local://"):])),
   "a local:// repository is collected the same way (%s)" % (st,))
ok(bytes(one("SELECT lakefs_get_object('localrepo', 'main', 'm.bin')")[0]) == b"new model",
   "and its live objects read back")

# ---- the reflog and the history index follow the commits GC deletes ----
one("SELECT lakefs_create_branch('localrepo', 'gone', 'main')")
put("localrepo", "gone", "g.txt", b"on a branch that goes")
gc1 = commit("localrepo", "gone")
one("SELECT lakefs_delete_branch('localrepo', 'gone')")
age("localrepo", gc1, 30)
ok(one("SELECT count(*) FROM lakefs_reflog('localrepo', 'gone') WHERE %s IN (old_head, new_head)",
       gc1)[0] == 2, "before GC the reflog names the deleted branch's commit")
gc("localrepo", False)
ok(one("SELECT count(*) FROM lakefs_commits WHERE repository = 'localrepo' AND id = %s", gc1)[0] == 0,
   "GC deletes the deleted branch's expired commit")
ok(one("SELECT count(*) FROM lakefs_reflog('localrepo', 'gone') WHERE %s IN (old_head, new_head)",
       gc1)[0] == 0 and
   one("SELECT count(*) FROM lakefs.commit_paths p JOIN lakefs.repositories r ON r.id = p.repo_id "
       "WHERE r.name = 'localrepo' AND p.commit_id = %s", gc1)[0] == 0,
   "and the reflog entries and history index rows that named it")
e = expect_error(conn, "SELECT lakefs_restore_branch('localrepo', 'gone')")
ok(e is None or not e.sqlstate.startswith("XX"),
   "restoring the branch afterwards never meets a missing commit (%s)" % (e.sqlstate if e else "restored"))

# ---- delete repository with purge: its namespace only ----
put("gcrepo2", "main", "z.txt", b"neighbour")
before_other = keys("s3://" + BUCKET + "/gcrepo2/")
conn.execute("SELECT lakefs_delete_repository('gcrepo', purge => true)")
ok(keys("s3://" + BUCKET + "/gcrepo/") == [], "purge deletes every object of the namespace")
ok(keys("s3://" + BUCKET + "/gcrepo2/") == before_other and keys("s3://" + BUCKET + "/external/") == ["external/x.csv"],
   "and nothing outside it, not even a namespace that starts with the same name")
conn.execute("SELECT lakefs_delete_repository('gcrepo2')")
ok(keys("s3://" + BUCKET + "/gcrepo2/") == before_other, "without purge the objects stay")
e = expect_error(conn, "SELECT lakefs_delete_repository('localrepo', NULL)")
ok(e is not None and e.sqlstate == "22004", "purge NULL is refused")
conn.close()
shutil.rmtree(lroot, ignore_errors=True)
done()
