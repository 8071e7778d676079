"""test/t/concurrency.py — concurrent sessions against one repository.

- Several sessions commit to one branch at once: every commit lands, the log
  holds them all, no staged change is lost.
- A commit holding its branch does not block commits to other branches.
- A second commit to a held branch waits (lock_timeout proves it), and so
  does staging onto it, so a commit never drops a change staged meanwhile.
- Sessions that stage and commit in one transaction never deadlock.
"""
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from lakefs_test import ok, note, done, fresh_database, connect  # noqa: E402

import psycopg  # noqa: E402

conninfo = fresh_database("lakefs_concurrency")
admin = connect(conninfo)
admin.execute("SELECT lakefs_create_repository('conc', 's3://bucket/conc')")
for b in ("x", "y"):
    admin.execute("SELECT lakefs_create_branch('conc', %s, 'main')", (b,))

# 1. many sessions, one branch
WORKERS, ROUNDS = 4, 12
errors = []


def worker(w):
    try:
        with connect(conninfo) as c:
            for r in range(ROUNDS):
                with c.transaction():
                    c.execute("SELECT lakefs_stage_object('conc', 'main', %s, %s, 1, 'c')",
                              ("w%d/r%02d" % (w, r), "data/w%dr%d" % (w, r)))
                    c.execute("SELECT lakefs_commit('conc', 'main', %s)", ("w%d r%d" % (w, r),))
    except Exception as e:  # noqa: BLE001
        errors.append(repr(e))


threads = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
ok(not errors, "%d sessions x %d commits to one branch raise no error" % (WORKERS, ROUNDS),
   "\n".join(errors[:3]))
nlog = admin.execute("SELECT count(*) FROM lakefs_log('conc', 'main')").fetchone()[0]
ok(nlog == WORKERS * ROUNDS + 1, "the log holds every commit (%d)" % nlog)
nobj = admin.execute("SELECT count(*) FROM lakefs_ls('conc', 'main')").fetchone()[0]
ok(nobj == WORKERS * ROUNDS, "the tree holds every committed object (%d)" % nobj)
chain = admin.execute("""SELECT count(*) FROM lakefs_log('conc', 'main') l
    WHERE array_length(l.parents, 1) = 1""").fetchone()[0]
ok(chain == WORKERS * ROUNDS, "commits form one linear history (no lost head update)")

# 2. a commit in progress on x does not block y
holder = connect(conninfo, autocommit=False)
holder.execute("SELECT lakefs_stage_object('conc', 'x', 'held', 'data/held', 1, 'c')")
holder.execute("SELECT lakefs_commit('conc', 'x', 'held open')")  # transaction stays open

other = connect(conninfo)
other.execute("SET lock_timeout = '3s'")
try:
    other.execute("SELECT lakefs_stage_object('conc', 'y', 'free', 'data/free', 1, 'c')")
    other.execute("SELECT lakefs_commit('conc', 'y', 'not blocked')")
    ok(True, "a commit to another branch does not wait")
except psycopg.errors.LockNotAvailable:
    ok(False, "a commit to another branch does not wait")

# 3. the same branch waits: commit and staging both
other.execute("SET lock_timeout = '300ms'")
for what, sql in (("commit", "SELECT lakefs_commit('conc', 'x', 'second', allow_empty => true)"),
                  ("staging", "SELECT lakefs_stage_object('conc', 'x', 'late', 'data/late', 1, 'c')")):
    try:
        other.execute(sql)
        ok(False, "%s on a branch being committed waits for that commit" % what)
    except psycopg.errors.LockNotAvailable:
        ok(True, "%s on a branch being committed waits for that commit" % what)

# once the holder finishes, the waiting stage proceeds and survives
holder.commit()
other.execute("SET lock_timeout = 0")
other.execute("SELECT lakefs_stage_object('conc', 'x', 'late', 'data/late', 1, 'c')")
paths = [r[0] for r in admin.execute("SELECT path FROM lakefs_ls('conc', 'x')").fetchall()]
ok(paths == ["held", "late"], "the held commit landed and the later change is staged", paths)

# 4. a rolled-back commit leaves no trace
before = admin.execute("SELECT count(*) FROM lakefs_commits WHERE repository = 'conc'").fetchone()[0]
holder.execute("SELECT lakefs_commit('conc', 'x', 'rolled back')")
holder.rollback()
after = admin.execute("SELECT count(*) FROM lakefs_commits WHERE repository = 'conc'").fetchone()[0]
staged = admin.execute("SELECT count(*) FROM lakefs_staged_changes WHERE branch = 'x'").fetchone()[0]
ok(before == after and staged == 1, "a rolled-back commit leaves the catalog and staging as they were")

holder.close()
other.close()
admin.close()
done()
