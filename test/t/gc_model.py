"""test/t/gc_model.py — a model test of garbage collection against the S3 test
server. Random histories (puts, overwrites, deletes, resets, branch creation and
deletion, merges, tags, imports) with commit times moved across the retention
boundary; after each GC the test recomputes lakeFS's active commits on its own
(first-parent walk from every head within the branch's retention plus the first
older commit; heads and tags) and checks that

  - every object of every active commit and of every staging area reads back byte
    for byte (against the bytes the test wrote at that address),
  - every object the GC deleted was referenced by no active commit and no staging,
  - no imported object is gone,
  - the namespace holds exactly the expected keys (grace 0: the referenced ones
    and the repository marker),
  - the catalog stays whole (lakefs_fsck finds nothing but the commit ids that the
    test's clock moves changed).

LAKEFS_TEST_SEED picks the history; LAKEFS_GC_MODEL_STEPS its length.
"""
import os
import random
import sys
import datetime

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from lakefs_test import (ok, note, done, fresh_database, connect, s3_env, skip_all,  # noqa: E402
                         create_s3_server, seed_from_env)

if not s3_env():
    skip_all("no S3 test server (LAKEFS_S3_ENDPOINT unset)")
seed = seed_from_env(random.randrange(1 << 30))
rnd = random.Random(seed)
note("seed %d" % seed)
STEPS = int(os.environ.get("LAKEFS_GC_MODEL_STEPS", "160"))
conninfo = fresh_database("lakefs_gc_model")
conn = connect(conninfo)
create_s3_server(conn)
BUCKET = "gcm-%d" % os.getpid()
conn.execute("SELECT lakefs_s3_create_bucket('minio', %s)", (BUCKET,))
REPO = "gcmodel"
NS = "s3://%s/%s" % (BUCKET, REPO)
conn.execute("SELECT lakefs_create_repository(%s, %s, server => 'minio')", (REPO, NS))
RETENTION = {"default": 7, "main": 14}
conn.execute("SELECT lakefs_set_gc_rules(%s, '7 days', '{\"main\": \"14 days\"}')", (REPO,))
conn.execute("SET pg_lakefs.gc_grace = 0")


def q(sql, *args):
    return conn.execute(sql, args).fetchall()


def one(sql, *args):
    return conn.execute(sql, args).fetchone()


content = {}      # relative address -> bytes the test wrote there
imported = {}     # external key -> bytes
paths = ["a.txt", "b/model.pkl", "b/params.json", "c/metrics.json", "d.bin", "e/f/g.txt"]
seq = [0]


def blob():
    seq[0] += 1
    return ("%d:" % seq[0]).encode() + os.urandom(rnd.randrange(1, 300))


def branches():
    return [r[0] for r in q("SELECT branch FROM lakefs_branches WHERE repository = %s ORDER BY branch", REPO)]


def op_put(b):
    data = blob()
    addr = one("SELECT physical_address FROM lakefs_put_object(%s, %s, %s, %s)",
               REPO, b, rnd.choice(paths), data)[0]
    content[addr[len(NS) + 1:]] = data


def op_delete(b):
    have = [r[0] for r in q("SELECT path FROM lakefs_ls(%s, %s)", REPO, b)]
    if have:
        q("SELECT lakefs_delete_object(%s, %s, %s)", REPO, b, rnd.choice(have))


def op_commit(b):
    if one("SELECT count(*) FROM lakefs_staged(%s, %s)", REPO, b)[0]:
        q("SELECT lakefs_commit(%s, %s, 'c', allow_empty => true)", REPO, b)


def op_reset(b):
    q("SELECT lakefs_reset(%s, %s)", REPO, b)


def op_branch(b):
    name = "exp-%d" % rnd.randrange(1000)
    if name not in branches():
        src = rnd.choice([b, b + "~1", b + "@"])
        try:
            q("SELECT lakefs_create_branch(%s, %s, %s)", REPO, name, src)
        except Exception:  # noqa: BLE001 - b~1 past the first commit
            q("SELECT lakefs_create_branch(%s, %s, %s)", REPO, name, b)


def op_delete_branch(b):
    if b != "main":
        q("SELECT lakefs_delete_branch(%s, %s)", REPO, b)


def op_merge(b):
    others = [x for x in branches() if x != b]
    if not others:
        return
    dest = rnd.choice(others)
    op_commit(b)
    op_commit(dest)
    q("SELECT lakefs_merge(%s, %s, %s, strategy => 'source-wins')", REPO, b, dest)


def op_tag(b):
    name = "t-%d" % rnd.randrange(1000)
    if not one("SELECT count(*) FROM lakefs_tags WHERE repository = %s AND tag = %s", REPO, name)[0]:
        q("SELECT lakefs_create_tag(%s, %s, %s)", REPO, name, b)
    else:
        q("SELECT lakefs_delete_tag(%s, %s)", REPO, name)


def op_import(b):
    op_commit(b)
    prefix = "ext/%d/" % rnd.randrange(1000)
    for i in range(rnd.randrange(1, 4)):
        data = blob()
        key = prefix + "o%d" % i
        q("SELECT lakefs_s3_put('minio', %s, %s)", "s3://%s/%s" % (BUCKET, key), data)
        imported[key] = data
    q("SELECT lakefs_import(%s, %s, ARRAY[%s], %s)", REPO, b, "s3://%s/%s" % (BUCKET, prefix),
      "raw/%s" % prefix)


def op_age(b):
    """Move a random commit of the repository back 1 to 30 days (test hook)."""
    cs = [r[0] for r in q("SELECT id FROM lakefs_commits WHERE repository = %s", REPO)]
    c = rnd.choice(cs)
    conn.execute("UPDATE lakefs.commits c SET created_at = c.created_at - make_interval(days => %s) "
                 "FROM lakefs.repositories r WHERE r.id = c.repo_id AND r.name = %s AND c.id = %s",
                 (rnd.randrange(1, 31), REPO, c))


OPS = [(op_put, 30), (op_delete, 6), (op_commit, 18), (op_reset, 3), (op_branch, 6),
       (op_delete_branch, 3), (op_merge, 5), (op_tag, 3), (op_import, 2), (op_age, 12)]


def active_commits():
    """lakeFS's rules, computed from the catalog views by the test itself."""
    commits = {r[0]: (r[1], r[2]) for r in q(
        "SELECT id, parents, created_at FROM lakefs_commits WHERE repository = %s", REPO)}
    now = one("SELECT now()")[0]
    act = set()
    for name, head in q("SELECT branch, head_commit FROM lakefs_branches WHERE repository = %s", REPO):
        cutoff = now - datetime.timedelta(days=RETENTION.get(name, RETENTION["default"]))
        c = head
        while True:
            act.add(c)
            parents, created = commits[c]
            if created < cutoff or not parents:
                break
            c = parents[0]
    act.update(r[0] for r in q("SELECT commit_id FROM lakefs_tags WHERE repository = %s", REPO))
    return act


def referenced():
    """relative address -> (ref, path) reading it, for active commits and staging."""
    refs = {}
    for c in active_commits():
        for path, addr in q("SELECT path, physical_address FROM lakefs_ls(%s, %s)", REPO, c):
            if addr.startswith(NS + "/"):
                refs.setdefault(addr[len(NS) + 1:], (c, path))
    for b in branches():
        for path, change, addr in q("SELECT path, change, physical_address FROM lakefs_staged(%s, %s)",
                                    REPO, b):
            if addr and addr.startswith(NS + "/"):
                refs.setdefault(addr[len(NS) + 1:], (b, path))
    return refs


def bucket(prefix):
    return set(r[0] for r in q("SELECT key FROM lakefs_list_objects('minio', %s)",
                               "s3://%s/%s" % (BUCKET, prefix)))


collected = set()  # addresses an earlier GC deleted


def check_gc(step):
    """One GC, checked. A commit that expired and was collected can become active
    again only by branching from it (op_branch with b~1), as in lakeFS: its
    collected objects stay gone, and reading them says so (42704, hint)."""
    before = {k[len(REPO) + 1:] for k in bucket(REPO + "/data/")}
    refs = referenced()
    st = one("SELECT * FROM lakefs_gc(%s, false)", REPO)
    after = {k[len(REPO) + 1:] for k in bucket(REPO + "/data/")}
    gone = before - after
    bad_gone = sorted(a for a in gone if a in refs)
    ok(not bad_gone, "step %d: every collected object was unreachable (%d deleted, gc %s)"
       % (step, len(gone), st), bad_gone[:5])
    live = set(refs) - collected
    ok(after == live and bucket(REPO + "/_lakefs/") == {REPO + "/_lakefs/dummy"},
       "step %d: the namespace holds exactly the referenced objects" % step,
       "missing %s extra %s" % (sorted(live - after)[:5], sorted(after - live)[:5]))
    wrong = []
    for addr, (ref, path) in sorted(refs.items()):
        if addr in collected:
            try:
                one("SELECT lakefs_get_object(%s, %s, %s)", REPO, ref, path)
                wrong.append((ref, path, addr, "read back although collected"))
            except Exception as e:  # noqa: BLE001
                if getattr(e, "sqlstate", None) != "42704" or "garbage-collected" not in str(e):
                    wrong.append((ref, path, addr, repr(e)))
            continue
        got = bytes(one("SELECT lakefs_get_object(%s, %s, %s)", REPO, ref, path)[0])
        if addr in content and got != content[addr]:
            wrong.append((ref, path, addr))
    collected.update(gone)
    ok(not wrong, "step %d: %d referenced objects read back byte for byte (collected ones "
       "say so)" % (step, len(refs)), wrong[:5])
    ext = {k for k in bucket("ext/")}
    ok(ext == set(imported), "step %d: every imported object is still there (%d)" % (step, len(ext)))
    fsck = q("SELECT kind, object, detail FROM lakefs_fsck(%s) WHERE kind <> 'commit_id_mismatch'", REPO)
    ok(not fsck, "step %d: the catalog stays whole" % step, fsck[:5])


total = sum(w for _, w in OPS)
for step in range(1, STEPS + 1):
    b = rnd.choice(branches())
    r = rnd.randrange(total)
    for fn, w in OPS:
        if r < w:
            fn(b)
            break
        r -= w
    if step % 40 == 0:
        check_gc(step)
check_gc(STEPS + 1)
ok(one("SELECT deleted FROM lakefs_gc(%s, false)", REPO)[0] == 0,
   "a final rerun deletes nothing")
conn.close()
done()
