"""test/bench/core_bench.py — figures for the versioning core.

For each N (default 1,000,000): bulk staging + commit rate of N synthetic
entries, branch creation time, commit of 1 and of 1000 changes on the N-entry
tree, lakefs_ls of a 1000-entry prefix, and catalog bytes added per branch
and per one-object commit. Prints figures only; nothing here asserts speed.
"""
import sys
import time

import psycopg

sizes = [int(a) for a in sys.argv[1:]] or [1_000_000]
conn = psycopg.connect(dbname="postgres", autocommit=True)
conn.execute("DROP DATABASE IF EXISTS lakefs_bench WITH (FORCE)")
conn.execute("CREATE DATABASE lakefs_bench")
conn.close()
conn = psycopg.connect(dbname="lakefs_bench", autocommit=True)
conn.execute("CREATE EXTENSION pg_lakefs")


def q(sql, *args):
    return conn.execute(sql, args).fetchall()


def timed(sql, *args, repeat=1):
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        conn.execute(sql, args).fetchall()
        d = time.perf_counter() - t
        best = d if best is None else min(best, d)
    return best


def catalog_bytes():
    return q("""SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'lakefs' AND c.relkind = 'r'""")[0][0]


def fmt_ms(s):
    return "%.2f ms" % (s * 1000)


for n in sizes:
    repo = "bench-%d" % n
    q("SELECT lakefs_create_repository(%s, %s)", repo, "s3://bench/%s" % repo)
    # a manifest like an image data set: 1000 directories of n/1000 files,
    # materialized first (generating rows with format() and md5() is the
    # benchmark's own cost, reported apart)
    conn.execute("DROP TABLE IF EXISTS manifest")
    t0 = time.perf_counter()
    conn.execute("""CREATE UNLOGGED TABLE manifest AS
        SELECT format('raw/Images/class-%%s/img-%%s.jpg', lpad((g %% 1000)::text, 4, '0'),
                      lpad(g::text, 9, '0')) AS path,
               'data/' || md5(g::text) AS physical_address, 1000 + g %% 5000 AS size,
               md5(g::text) AS checksum FROM generate_series(1, %d) g""" % n)
    conn.execute("VACUUM ANALYZE manifest")
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    q("SELECT lakefs_stage_objects(%s, 'main', 'SELECT * FROM manifest')", repo)
    t1 = time.perf_counter()
    q("SELECT lakefs_commit(%s, 'main', 'load')", repo)
    t2 = time.perf_counter()
    nranges = q("SELECT count(*) FROM lakefs_ranges(%s, 'main')", repo)[0][0]
    print("N = {:,}".format(n))
    print("  (generating the manifest table: %.2f s, not counted)" % t_gen)
    print("  bulk staging (from table) %7.2f s  (%.0f entries/s)" % (t1 - t0, n / (t1 - t0)))
    print("  commit of N staged       %8.2f s  (%.0f entries/s)" % (t2 - t1, n / (t2 - t1)))
    print("  staging + commit         %8.2f s  (%.0f entries/s)   %d ranges" % (t2 - t0, n / (t2 - t0), nranges))

    before = catalog_bytes()
    conn.execute("CHECKPOINT")
    tb = []
    for i in range(20):
        t = time.perf_counter()
        q("SELECT lakefs_create_branch(%s, %s, 'main')", repo, "b%d" % i)
        tb.append(time.perf_counter() - t)
    tb.sort()
    after = catalog_bytes()
    print("  create branch            %s median, %s best   (catalog +%d bytes per branch incl. pages)"
          % (fmt_ms(tb[len(tb) // 2]), fmt_ms(tb[0]), (after - before) // 20))

    one = []
    for i in range(10):
        q("SELECT lakefs_stage_object(%s, 'main', %s, 'data/new', 1, 'c')",
          repo, "raw/Images/class-0042/img-%09d.jpg" % (7 + 1000 * i))
        t = time.perf_counter()
        q("SELECT lakefs_commit(%s, 'main', 'one change')", repo)
        one.append(time.perf_counter() - t)
    one.sort()
    shared = q("""SELECT count(*) FILTER (WHERE p.id IS NOT NULL), count(*)
        FROM lakefs_ranges(%s, 'main') h LEFT JOIN lakefs_ranges(%s, 'main~1') p USING (id)""", repo, repo)[0]
    b0 = catalog_bytes()
    for i in range(10):
        q("SELECT lakefs_stage_object(%s, 'main', %s, 'data/x', 1, 'c')",
          repo, "raw/Images/class-0500/img-%09d.jpg" % (500 + 1000 * i))
        q("SELECT lakefs_commit(%s, 'main', 'one change')", repo)
    b1 = catalog_bytes()
    print("  commit of 1 change       %s median, %s best   (%d of %d ranges shared; catalog +%d bytes per commit)"
          % (fmt_ms(one[len(one) // 2]), fmt_ms(one[0]), shared[0], shared[1], (b1 - b0) // 10))

    t = time.perf_counter()
    q("SELECT lakefs_stage_objects(%s, 'main', %s)", repo, """
        SELECT format('raw/Images/class-%s/img-%s.jpg', lpad((g % 1000)::text, 4, '0'),
                      lpad(g::text, 9, '0')) AS path,
               'data/changed' || g AS physical_address, 7 AS size, 'c' AS checksum
        FROM generate_series(1, N, STEP) g""".replace("N", str(n)).replace("STEP", str(max(1, n // 1000))))
    t_stage = time.perf_counter() - t
    t = time.perf_counter()
    q("SELECT lakefs_commit(%s, 'main', '1000 changes')", repo)
    t_commit = time.perf_counter() - t
    print("  commit of 1000 changes   %s  (staging them: %s)" % (fmt_ms(t_commit), fmt_ms(t_stage)))

    t_ls = timed("SELECT count(*) FROM lakefs_ls(%s, 'main', 'raw/Images/class-0777/')", repo, repeat=5)
    cnt = q("SELECT count(*) FROM lakefs_ls(%s, 'main', 'raw/Images/class-0777/')", repo)[0][0]
    t_ls_c = timed("SELECT count(*) FROM lakefs_ls(%s, 'main@', 'raw/Images/class-0777/')", repo, repeat=5)
    print("  ls of a %d-entry prefix  %s (branch, with staging overlay), %s (committed tree)"
          % (cnt, fmt_ms(t_ls), fmt_ms(t_ls_c)))
    t_ls_d = timed("SELECT count(*) FROM lakefs_ls(%s, 'main@', 'raw/Images/', '/')", repo, repeat=3)
    print("  ls with delimiter        %s (1000 common prefixes, skipping by seek)" % fmt_ms(t_ls_d))
    sizes_row = q("""SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'lakefs' AND c.relkind = 'r'""")[0][0]
    print("  catalog size             %s in all (%.1f bytes per entry of the tree)"
          % (sizes_row, catalog_bytes() / n))
    q("SELECT lakefs_delete_repository(%s)", repo)
    conn.execute("VACUUM")
