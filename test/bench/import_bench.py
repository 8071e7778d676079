"""test/bench/import_bench.py — zero-copy import figures.

For each N (default 10,000 and 100,000): write N small objects to the S3
test server (parallel sessions; not timed as import), then lakefs_import them
and print objects/s, the listing rate alone (lakefs_list_objects) for
comparison, and catalog bytes added per imported object. lakeFS documents
"a few thousand objects per second" for its import.
"""
import os
import sys
import threading
import time

import psycopg

sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
env = os.environ
admin = psycopg.connect(dbname="postgres", autocommit=True)
admin.execute("DROP DATABASE IF EXISTS lakefs_bench_import WITH (FORCE)")
admin.execute("CREATE DATABASE lakefs_bench_import")
admin.close()
DSN = "dbname=lakefs_bench_import"
conn = psycopg.connect(DSN, autocommit=True)
conn.execute("CREATE EXTENSION pg_lakefs")
conn.execute("CREATE SERVER minio FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint '%s', region '%s', url_style 'path')"
             % (env["LAKEFS_S3_ENDPOINT"], env["LAKEFS_S3_REGION"]))
conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER minio OPTIONS (access_key_id '%s', secret_access_key '%s')"
             % (env["LAKEFS_S3_ACCESS_KEY"], env["LAKEFS_S3_SECRET_KEY"]))
for b in ("bench-data", "bench-repo"):
    conn.execute("SELECT lakefs_s3_create_bucket('minio', %s)", (b,))


def fill(prefix, n, workers=16):
    def work(w):
        with psycopg.connect(DSN, autocommit=True) as c:
            c.execute("""SELECT count(lakefs_s3_put('minio',
                format('%s/class-%%s/img-%%s.jpg', g %% 100, lpad(g::text, 7, '0')), 'x'))
                FROM generate_series(%d, %d, %d) g""" % (prefix, w + 1, n, workers))
    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def catalog_bytes():
    return conn.execute("""SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'lakefs' AND c.relkind = 'r'""").fetchone()[0]


print("machine: %d cores" % os.cpu_count())
for n in sizes:
    prefix = "s3://bench-data/set-%d" % n
    t = time.time()
    fill(prefix, n)
    print("N = {:,}: wrote the objects in {:.1f} s ({:.0f} objects/s, server-bound)".format(n, time.time() - t, n / (time.time() - t)))
    repo = "imp-%d" % n
    conn.execute("SELECT lakefs_create_repository(%s, %s, server => 'minio')", (repo, "s3://bench-repo/" + repo))
    t = time.time()
    listed = conn.execute("SELECT count(*) FROM lakefs_list_objects('minio', %s)", (prefix + "/",)).fetchone()[0]
    t_list = time.time() - t
    before_bytes = catalog_bytes()
    before_objects = conn.execute("SELECT count(*) FROM lakefs_list_objects('minio', 's3://bench-data/')").fetchone()[0]
    t = time.time()
    conn.execute("SELECT lakefs_import(%s, 'main', ARRAY[%s], 'raw/')", (repo, prefix + "/"))
    t_imp = time.time() - t
    conn.execute("CHECKPOINT")
    added = catalog_bytes() - before_bytes
    after_objects = conn.execute("SELECT count(*) FROM lakefs_list_objects('minio', 's3://bench-data/')").fetchone()[0]
    n_imp = conn.execute("SELECT count(*) FROM lakefs_ls(%s, 'main')", (repo,)).fetchone()[0]
    print("  listing alone            %6.2f s  (%.0f objects/s)" % (t_list, listed / t_list))
    print("  lakefs_import            %6.2f s  (%.0f objects/s; %d imported of %d listed)" % (t_imp, n_imp / t_imp, n_imp, listed))
    print("  import / listing time    %6.2f" % (t_imp / t_list))
    print("  catalog bytes / object   %6.1f  (bucket objects before %d, after %d: nothing copied)"
          % (added / n_imp, before_objects, after_objects))
