"""test/bench/core_bench.py — figures for the versioning core.

For each N (default 1,000,000; LAKEFS_BENCH_10M=1 adds 10,000,000): bulk
staging + commit rate of N synthetic entries (best and median of three runs,
per step and in all) against the plain-SQL alternative in the same run
(INSERT ... SELECT and COPY of the same rows into a table with a btree on
path), branch creation time, commit of 1 and of 1000 changes on the N-entry
tree, lakefs_ls of a 1000-entry prefix, catalog bytes added per branch and
per one-object commit (pages, and the bytes of the new ranges, index nodes
and metarange), the shape of the tree (levels, index nodes), a 100-path diff
in a new backend (uncached) and again (cached), a merge of 100 scattered
changes (ms, ranges and index nodes loaded), and lakefs_ls with a delimiter
over 1,000 common prefixes. Other timings are best and median of
LAKEFS_BENCH_REPS runs (default 5). Prints figures only; nothing here
asserts speed.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import psycopg

sizes = [int(a) for a in sys.argv[1:]] or (
    [1_000_000, 10_000_000] if os.environ.get("LAKEFS_BENCH_10M") == "1" else [1_000_000])
REPS = int(os.environ.get("LAKEFS_BENCH_REPS", "5"))
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


def best_median(xs):
    xs = sorted(xs)
    return xs[0], xs[len(xs) // 2]


def print_runs(runs, n, indent):
    """Best / median wall time and rate of each step of stage_commit_runs,
    with the server's CPU time and the WAL of the last run."""
    for i, label in enumerate(("bulk staging (from table)", "commit of N staged",
                               "staging + commit")):
        b, m = best_median([x[i] for x in runs])
        extra = ""
        if i < 2:
            cpu = [x[5 + i] for x in runs if x[5 + i] is not None]
            if cpu:
                extra += "  CPU %.2f / %.2f s" % best_median(cpu)
            extra += "  WAL %.0f MB" % (float(runs[-1][3 + i]) / 1e6)
        print("%s%-26s %6.2f s / %6.2f s  (%.0f / %.0f entries/s)%s"
              % (indent, label, b, m, n / b, n / m, extra))


def backend_cpu(c):
    """CPU seconds (user + system) the server process of connection c has
    used so far, from /proc (the bench runs on the server's machine); None
    where that is not readable. On a shared machine the wall time of a step
    waits for other people's work too; its CPU time does not."""
    try:
        with open("/proc/%d/stat" % c.info.backend_pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def stage_commit_runs(c, repo):
    """Stage the manifest table and commit it, three times, each into a new
    repository of that name: [(staging s, commit s, total s, staging WAL
    bytes, commit WAL bytes, staging CPU s, commit CPU s)]. The last
    repository stays."""
    out = []

    def lsn():
        return c.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]

    def wal_since(start):
        return c.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)",
                         (start,)).fetchone()[0]

    for r in range(3):
        if r > 0:
            c.execute("SELECT lakefs_delete_repository(%s)", (repo,))
            c.execute("SELECT lakefs_create_repository(%s, %s)", (repo, "s3://bench/%s" % repo))
        c.execute("CHECKPOINT")
        w0 = lsn()
        u0 = backend_cpu(c)
        t0 = time.perf_counter()
        c.execute("SELECT lakefs_stage_objects(%s, 'main', 'SELECT * FROM manifest')",
                  (repo,)).fetchall()
        t1 = time.perf_counter()
        u1 = backend_cpu(c)
        w_stage = wal_since(w0)
        w0 = lsn()
        u2 = backend_cpu(c)
        t2 = time.perf_counter()
        c.execute("SELECT lakefs_commit(%s, 'main', 'load')", (repo,)).fetchall()
        t3 = time.perf_counter()
        u3 = backend_cpu(c)
        out.append((t1 - t0, t3 - t2, (t1 - t0) + (t3 - t2), w_stage, wal_since(w0),
                    None if u0 is None else u1 - u0, None if u0 is None else u3 - u2))
    return out


def best_median_ms(ts):
    ts = sorted(ts)
    return "%s best, %s median" % (fmt_ms(ts[0]), fmt_ms(ts[len(ts) // 2]))


def payload():
    """bytes of data in ranges, index nodes and metaranges (no pages, no TOAST overhead)"""
    return q("""SELECT (SELECT coalesce(sum(octet_length(data)), 0) FROM lakefs.ranges)::bigint,
        (SELECT coalesce(sum(octet_length(data)), 0) FROM lakefs.index_nodes)::bigint,
        (SELECT coalesce(sum(octet_length(data)), 0) FROM lakefs.metaranges)::bigint""")[0]


def fresh_backend_time(sql, args, counters=False):
    """one run of sql in a new backend (empty range cache); (seconds, ranges, nodes loaded)"""
    c = psycopg.connect(dbname="lakefs_bench", autocommit=True)
    c.execute("SELECT lakefs_debug_counters()")  # load the library first
    r0 = c.execute("SELECT lakefs_debug_counters()").fetchone()[0]
    t = time.perf_counter()
    cur = c.execute(sql, args)
    if cur.description is not None:
        cur.fetchall()
    d = time.perf_counter() - t
    r1 = c.execute("SELECT lakefs_debug_counters()").fetchone()[0]
    c.close()
    return d, r1 - r0


def git_trees(n, changed):
    """The same paths as a git repository (every file the empty blob, the
    changed ones another blob), in a temporary directory: two trees, the
    data set's and the one with the 100 changes. Returns (git runner, tree
    a, tree b, seconds to build); None when git is not installed."""
    if shutil.which("git") is None:
        return None
    d = tempfile.mkdtemp(prefix="lakefs-bench-git-")
    env = dict(os.environ, GIT_DIR=d, GIT_INDEX_FILE=d + "/index")

    def git(*args, data=None):
        return subprocess.run(("git",) + args, input=data, env=env, check=True,
                              capture_output=True).stdout

    t = time.perf_counter()
    git("init", "-q", "--bare", d)
    empty = git("hash-object", "-w", "--stdin", data=b"").strip().decode()
    other = git("hash-object", "-w", "--stdin", data=b"changed\n").strip().decode()
    # paths in sorted order (class-NNNN ascending, then img- ascending), so
    # that update-index appends every entry
    p = subprocess.Popen(("git", "update-index", "--add", "--index-info"), stdin=subprocess.PIPE,
                         env=env, stdout=subprocess.DEVNULL)
    for c in range(1000):
        lines = ["100644 %s\traw/Images/class-%04d/img-%09d.jpg" % (empty, c, g)
                 for g in range(c if c else 1000, n + 1, 1000)]
        p.stdin.write(("\n".join(lines) + "\n").encode())
    p.stdin.close()
    if p.wait() != 0:
        raise RuntimeError("git update-index failed")
    tree_a = git("write-tree").strip().decode()
    git("update-index", "--index-info", data="".join(
        "100644 %s\traw/Images/class-%04d/img-%09d.jpg\n" % (other, g % 1000, g)
        for g in changed).encode())
    tree_b = git("write-tree").strip().decode()
    return git, tree_a, tree_b, time.perf_counter() - t, d


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
    # bulk staging + commit, three times (each into a fresh repository; the
    # last one stays for the figures below): best and median, for the whole
    # and for each step, and the WAL each step writes
    runs = stage_commit_runs(conn, repo)
    # the deleted repositories of the first runs leave dead rows behind;
    # rewrite the catalog so that its size below is the one tree's
    for t in ("ranges", "metaranges", "commits", "commit_paths", "staging_runs", "reflog"):
        conn.execute("VACUUM (FULL) lakefs.%s" % t)
    nranges = q("SELECT count(*) FROM lakefs_ranges(%s, 'main')", repo)[0][0]
    indexed = q("""SELECT count(*) FROM lakefs.commit_paths p
        JOIN lakefs.repositories r ON r.id = p.repo_id WHERE r.name = %s""", repo)[0][0]

    # the plain-SQL alternative, same rows, same run: INSERT ... SELECT and
    # COPY into a table with a btree primary key on path
    datadir = q("SHOW data_directory")[0][0]
    copyfile = datadir + "/bench_manifest.copy"
    conn.execute("COPY manifest TO '%s'" % copyfile)
    plain = {"insert": [], "copy": []}
    for r in range(3):
        for how in ("insert", "copy"):
            conn.execute("DROP TABLE IF EXISTS plain")
            conn.execute("""CREATE TABLE plain (path text COLLATE "C" PRIMARY KEY,
                physical_address text, size bigint, checksum text)""")
            conn.execute("CHECKPOINT")
            t = time.perf_counter()
            if how == "insert":
                conn.execute("INSERT INTO plain SELECT * FROM manifest")
            else:
                conn.execute("COPY plain FROM '%s'" % copyfile)
            plain[how].append(time.perf_counter() - t)
    conn.execute("DROP TABLE plain")

    # the same on a 0.1.0 schema, which this library serves without the
    # history index (lakefs.commit_paths): what that index costs
    old = psycopg.connect(dbname="postgres", autocommit=True)
    old.execute("DROP DATABASE IF EXISTS lakefs_bench_010 WITH (FORCE)")
    old.execute("CREATE DATABASE lakefs_bench_010")
    old.close()
    old = psycopg.connect(dbname="lakefs_bench_010", autocommit=True)
    old.execute("CREATE EXTENSION pg_lakefs VERSION '0.1.0'")
    old.execute("""CREATE UNLOGGED TABLE manifest (path text, physical_address text,
        size integer, checksum text)""")
    old.execute("COPY manifest FROM '%s'" % copyfile)
    old.execute("VACUUM ANALYZE manifest")
    old.execute("SELECT lakefs_create_repository(%s, %s)", (repo, "s3://bench/%s" % repo))
    runs_010 = stage_commit_runs(old, repo)
    old.close()
    conn.execute("DROP DATABASE lakefs_bench_010 WITH (FORCE)")
    try:
        os.remove(copyfile)
    except OSError:
        pass

    print("N = {:,}".format(n))
    print("  (generating the manifest table: %.2f s, not counted)" % t_gen)
    print("  three runs; figures are best / median, entries/s from the best / median time")
    print_runs(runs, n, "  ")
    print("  %d ranges; %d history index rows (lakefs.commit_paths) written by the commit"
          % (nranges, indexed))
    tb_best, tb_med = best_median([x[2] for x in runs])
    for how, label in (("insert", "INSERT ... SELECT"), ("copy", "COPY FROM file")):
        b, m = best_median(plain[how])
        print("  plain SQL: %-17s  %6.2f s / %6.2f s  (%.0f / %.0f rows/s) into a table "
              "with a btree on path; staging + commit takes %.2fx / %.2fx its time"
              % (label, b, m, n / b, n / m, tb_best / b, tb_med / m))
    print("  the same without the history index (a 0.1.0 schema, which this library serves):")
    print_runs(runs_010, n, "    ")

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
    p0 = payload()
    for i in range(10):
        q("SELECT lakefs_stage_object(%s, 'main', %s, 'data/x', 1, 'c')",
          repo, "raw/Images/class-0500/img-%09d.jpg" % (500 + 1000 * i))
        q("SELECT lakefs_commit(%s, 'main', 'one change')", repo)
    b1 = catalog_bytes()
    p1 = payload()
    print("  commit of 1 change       %s median, %s best   (%d of %d ranges shared; catalog +%d bytes per commit)"
          % (fmt_ms(one[len(one) // 2]), fmt_ms(one[0]), shared[0], shared[1], (b1 - b0) // 10))
    print("    its new data per commit: ranges %d B, index nodes %d B, metarange %d B (total %d B)"
          % tuple([(p1[k] - p0[k]) // 10 for k in range(3)] + [(sum(p1) - sum(p0)) // 10]))
    shape = q("""SELECT m.ranges, octet_length(m.data),
        (SELECT count(*) FROM lakefs.index_nodes n WHERE n.repo_id = r.id),
        (SELECT coalesce(max(level), 0) + 1 FROM lakefs.index_nodes n WHERE n.repo_id = r.id),
        (SELECT coalesce(avg(octet_length(data)), 0)::int FROM lakefs.index_nodes n WHERE n.repo_id = r.id),
        (SELECT avg(octet_length(data))::int FROM lakefs.ranges g WHERE g.repo_id = r.id)
        FROM lakefs.repositories r JOIN lakefs.branches b ON b.repo_id = r.id AND b.name = 'main'
        JOIN lakefs.commits c ON c.repo_id = r.id AND c.id = b.head
        JOIN lakefs.metaranges m ON m.repo_id = r.id AND m.id = c.metarange_id
        WHERE r.name = %s""", repo)[0]
    print("    tree: %d ranges (avg %d B), root %d B of level %d, %d index nodes stored (avg %d B)"
          % (shape[0], shape[5], shape[1], shape[3], shape[2], shape[4]))

    # 100 scattered changes on a branch: diff (new backend, then cached) and merge
    q("SELECT lakefs_create_branch(%s, 'k100', 'main')", repo)
    q("SELECT lakefs_stage_objects(%s, 'k100', %s)", repo, """
        SELECT format('raw/Images/class-%s/img-%s.jpg', lpad((g % 1000)::text, 4, '0'),
                      lpad(g::text, 9, '0')) AS path,
               'data/k100-' || g AS physical_address, 9 AS size, 'k' AS checksum
        FROM generate_series(0, 99) j, LATERAL (SELECT 1 + j * (N / 100) + (j * 37) % 1000 AS g) x
        """.replace("N", str(n)))
    q("SELECT lakefs_commit(%s, 'k100', '100 changes')", repo)
    q("SELECT lakefs_create_branch(%s, 'dest', 'main')", repo)
    q("SELECT lakefs_stage_object(%s, 'dest', 'zzz/other', 'data/other', 1, 'o')", repo)
    q("SELECT lakefs_commit(%s, 'dest', 'unrelated change')", repo)
    diff_sql = "SELECT count(*) FROM lakefs_diff(%s, 'main', 'k100')"
    cold = [fresh_backend_time(diff_sql, (repo,)) for _ in range(REPS)]
    q(diff_sql, repo)
    warm = []
    for _ in range(REPS):
        t = time.perf_counter()
        q(diff_sql, repo)
        warm.append(time.perf_counter() - t)
    print("  100-path diff            uncached (new backend) %s, %d ranges loaded; cached %s"
          % (best_median_ms([c[0] for c in cold]), cold[0][1], best_median_ms(warm)))
    # the same diff in git: git diff-tree of two trees of the same paths
    # (git's tree objects skip equal subtrees by hash too, but a directory
    # is one object: a change rewrites and re-reads its whole listing)
    g = git_trees(n, [1 + j * (n // 100) + (j * 37) % 1000 for j in range(100)])
    if g is None:
        print("  git diff-tree            skipped: git is not installed")
    else:
        git, tree_a, tree_b, t_build, gitdir = g
        gt = []
        for _ in range(REPS):
            t = time.perf_counter()
            out = git("diff-tree", "-r", tree_a, tree_b)
            gt.append(time.perf_counter() - t)
        rows = out.count(b"\n")
        print("  git diff-tree -r         %s for the same %d-path change (trees built in %.1f s, "
              "not counted); lakefs_diff is %.0fx / %.0fx faster uncached, %.0fx / %.0fx cached"
              % (best_median_ms(gt), rows, t_build,
                 sorted(gt)[0] / sorted(c[0] for c in cold)[0],
                 sorted(gt)[len(gt) // 2] / sorted(c[0] for c in cold)[len(cold) // 2],
                 sorted(gt)[0] / sorted(warm)[0], sorted(gt)[len(gt) // 2] / sorted(warm)[len(warm) // 2]))
        shutil.rmtree(gitdir, ignore_errors=True)
    merge_sql = """DO $$BEGIN PERFORM lakefs_merge('REPO', 'k100', 'dest');
        RAISE EXCEPTION USING ERRCODE = 'LKRB0'; EXCEPTION WHEN SQLSTATE 'LKRB0' THEN NULL; END$$"""
    merge_sql = merge_sql.replace("REPO", repo)
    mcold = [fresh_backend_time(merge_sql, ()) for _ in range(REPS)]
    print("  merge of 100 changes     uncached (new backend) %s, %d ranges loaded"
          % (best_median_ms([c[0] for c in mcold]), mcold[0][1]))

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
    ls_d = []
    for _ in range(REPS):
        ls_d.append(timed("SELECT count(*) FROM lakefs_ls(%s, 'main@', 'raw/Images/', '/')", repo))
    print("  ls with delimiter        %s (1000 common prefixes, skipping by seek)" % best_median_ms(ls_d))
    sizes_row = q("""SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'lakefs' AND c.relkind = 'r'""")[0][0]
    print("  catalog size             %s in all (%.1f bytes per entry of the tree)"
          % (sizes_row, catalog_bytes() / n))
    q("SELECT lakefs_delete_repository(%s)", repo)
    conn.execute("VACUUM")
