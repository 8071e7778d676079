# test/t/diff_skip.py — diff and merge skip what did not change.
#
# Builds a 1M-entry tree, changes one path on a branch, and checks with
# lakefs_debug_counters() that a diff of the two commits loads at most two
# ranges and that merging the change back loads at most five (base and
# source in the diff, the destination range it rewrites, and the pair of
# ranges the history index diffs: the merge commit's changed range against
# its first parent's).
# TAP output. Set LAKEFS_SKIP_ENTRIES to change the tree size.
import os
import sys
import time

import psycopg

N = int(os.environ.get("LAKEFS_SKIP_ENTRIES", "1000000"))
REPO = "skip-test"
tests = 0
failed = 0


def ok(cond, name):
    global tests, failed
    tests += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (tests, name), flush=True)


def q1(cur, sql, *args):
    cur.execute(sql, args)
    return cur.fetchone()[0]


def main():
    conn = psycopg.connect(dbname="postgres", autocommit=True)
    cur = conn.cursor()
    cur.execute("DROP DATABASE IF EXISTS lakefs_skip")
    cur.execute("CREATE DATABASE lakefs_skip")
    conn.close()
    conn = psycopg.connect(dbname="lakefs_skip", autocommit=True)
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION pg_lakefs")
    t0 = time.time()
    q1(cur, "SELECT lakefs_create_repository(%s, 's3://bucket/skip')", REPO)
    q1(cur, "SELECT lakefs_stage_objects(%s, 'main', $q$SELECT 'tree/' || "
            "lpad(i::text, 8, '0') AS path, 'obj-' || i AS physical_address, "
            "i AS size, 'etag-' || i AS checksum FROM generate_series(1, %s) i$q$)"
            % ("%s", N), REPO)
    q1(cur, "SELECT lakefs_commit(%s, 'main', 'big tree')", REPO)
    q1(cur, "SELECT lakefs_create_branch(%s, 'one', 'main')", REPO)
    path = "tree/%08d" % (N // 2)
    cur.execute("SELECT lakefs_stage_object(%s, 'one', %s, 'changed', 1, 'etag-c')",
                (REPO, path))
    q1(cur, "SELECT lakefs_commit(%s, 'one', 'one change')", REPO)
    print("# built %d entries in %.1f s" % (N, time.time() - t0))

    before = q1(cur, "SELECT lakefs_debug_counters()")
    cur.execute("SELECT change, path FROM lakefs_diff(%s, 'main', 'one')", (REPO,))
    rows = cur.fetchall()
    loaded = q1(cur, "SELECT lakefs_debug_counters()") - before
    ok(rows == [("changed", path)], "diff finds the one changed path")
    ok(loaded <= 2, "diff of a %d-entry tree loads at most 2 ranges (loaded %d)"
       % (N, loaded))

    q1(cur, "SELECT lakefs_stage_object(%s, 'main', 'other', 'o', 1, 'e')", REPO)
    q1(cur, "SELECT lakefs_commit(%s, 'main', 'diverge')", REPO)
    before = q1(cur, "SELECT lakefs_debug_counters()")
    q1(cur, "SELECT lakefs_merge(%s, 'one', 'main')", REPO)
    loaded = q1(cur, "SELECT lakefs_debug_counters()") - before
    ok(loaded <= 5, "merge of one change loads at most 5 ranges, 2 of them for the "
       "history index (loaded %d)" % loaded)
    n = q1(cur, "SELECT count(*) FROM lakefs_diff(%s, 'main~1', 'main')", REPO)
    ok(n == 1, "the merge commit adds the one change")
    conn.close()
    print("1..%d" % tests)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
