"""test/t/races.py — lost races get the documented errors, and leave nothing behind.

- Eight sessions create the same repository, branch or tag at once: one wins,
  the other seven get 42710 (duplicate_object), never a raw 23505.
- A branch or tag created while its repository is being deleted gets 42704
  (undefined_object) once the deletion commits, never a raw 23503.
- A repository or branch deleted while another session has staged changes on
  it, uncommitted, leaves no staging rows or runs behind (foreign keys cascade).
The waits are forced: the first session holds its transaction open until the
others are blocked on it (pg_locks shows them waiting), then commits.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from lakefs_test import ok, done, fresh_database, connect  # noqa: E402

conninfo = fresh_database("lakefs_races")
admin = connect(conninfo)
admin.execute("SELECT lakefs_create_repository('races', 's3://bucket/races')")


def sqlstate(sql, args=()):
    """Run sql in a fresh autocommit session; its SQLSTATE, or 'ok'."""
    try:
        with connect(conninfo) as c:
            c.execute(sql, args)
        return "ok"
    except Exception as e:  # noqa: BLE001
        return getattr(e, "sqlstate", None) or repr(e)


def waiting_sessions():
    return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                         "AND wait_event_type = 'Lock'").fetchone()[0]


def race(hold_sql, racer_sql, racers, hold_args=(), racer_args=()):
    """hold_sql runs in an open transaction while racers run racer_sql; then it
    commits. Returns the racers' outcomes."""
    holder = connect(conninfo, autocommit=False)
    holder.execute(hold_sql, hold_args)
    results = []
    threads = [threading.Thread(target=lambda: results.append(sqlstate(racer_sql, racer_args)))
               for _ in range(racers)]
    for t in threads:
        t.start()
    deadline = time.time() + 10
    while waiting_sessions() < racers and time.time() < deadline:
        time.sleep(0.02)
    blocked = waiting_sessions()
    holder.commit()
    holder.close()
    for t in threads:
        t.join()
    return blocked, sorted(results)


blocked, res = race("SELECT lakefs_create_branch('races', 'exp', 'main')",
                    "SELECT lakefs_create_branch('races', 'exp', 'main')", 7)
ok(blocked == 7, "seven sessions wait on the first creator of a branch", blocked)
ok(res == ["42710"] * 7, "the branch's losers get 42710", res)

blocked, res = race("SELECT lakefs_create_tag('races', 'v1', 'main')",
                    "SELECT lakefs_create_tag('races', 'v1', 'main')", 7)
ok(blocked == 7 and res == ["42710"] * 7, "the tag's losers get 42710", (blocked, res))

blocked, res = race("SELECT lakefs_create_repository('twin', 's3://bucket/twin')",
                    "SELECT lakefs_create_repository('twin', 's3://bucket/twin')", 7)
ok(blocked == 7 and res == ["42710"] * 7, "the repository's losers get 42710", (blocked, res))
ok(admin.execute("SELECT count(*) FROM lakefs_repositories WHERE name = 'twin'").fetchone()[0] == 1,
   "one repository 'twin' exists")

# creating in a repository that is being deleted
admin.execute("SELECT lakefs_create_repository('doomed', 's3://bucket/doomed')")
blocked, res = race("SELECT lakefs_delete_repository('doomed')",
                    "SELECT lakefs_create_branch('doomed', 'late', 'main')", 1)
ok(blocked == 1 and res == ["42704"], "a branch created in a repository being deleted: 42704",
   (blocked, res))
admin.execute("SELECT lakefs_create_repository('doomed', 's3://bucket/doomed')")
blocked, res = race("SELECT lakefs_delete_repository('doomed')",
                    "SELECT lakefs_create_tag('doomed', 'late', 'main')", 1)
ok(blocked == 1 and res == ["42704"], "a tag created in a repository being deleted: 42704",
   (blocked, res))


def staging_rows():
    return admin.execute("SELECT (SELECT count(*) FROM lakefs.staging) + "
                         "(SELECT count(*) FROM lakefs.staging_runs)").fetchone()[0]


# deleting while another session stages, uncommitted
for what, target in (("repository", "SELECT lakefs_delete_repository('doomed')"),
                     ("branch", "SELECT lakefs_delete_branch('doomed', 'exp')")):
    admin.execute("SELECT lakefs_delete_repository(name) FROM lakefs_repositories WHERE name = 'doomed'")
    admin.execute("SELECT lakefs_create_repository('doomed', 's3://bucket/doomed')")
    admin.execute("SELECT lakefs_create_branch('doomed', 'exp', 'main')")
    blocked, res = race(
        "SELECT lakefs_stage_object('doomed', 'exp', 'a.txt', 'data/a', 1, 'c'); "
        "SELECT lakefs_stage_objects('doomed', 'exp', $$SELECT 'b/' || i AS path, 'data/b' AS physical_address, "
        "1::bigint AS size, 'c' AS checksum FROM generate_series(1, 10) i$$)",
        target, 1)
    ok(blocked == 1 and res == ["ok"], "deleting the %s waits for the stager, then succeeds" % what,
       (blocked, res))
    ok(staging_rows() == 0, "and leaves no staged rows or runs of the deleted %s" % what,
       staging_rows())

# the other order: the deletion holds, the stager waits and is told
admin.execute("SELECT lakefs_create_branch('races', 'gone', 'main')")
blocked, res = race("SELECT lakefs_delete_branch('races', 'gone')",
                    "SELECT lakefs_stage_object('races', 'gone', 'a.txt', 'data/a', 1, 'c')", 1)
ok(blocked == 1 and res == ["42704"], "staging on a branch being deleted: 42704 once it is gone",
   (blocked, res))
ok(staging_rows() == 0, "and nothing is staged", staging_rows())
done()
