"""test/t/import.py — zero-copy import against the S3 test server.

Imports prefixes of a sample bucket into a branch and checks: paths follow
lakeFS (key relative to the source prefix's last '/', under the destination),
entries keep the original addresses, sizes and ETags, nothing is copied
(bucket object counts unchanged), the import count equals the listing count,
re-importing replaces the region (removed objects disappear), several
sources at once, a listing of 10,000 objects across many pages, local://
sources, and the errors (namespace sources, overlaps, empty listings,
staged changes, unknown branch). A cancelled import leaves nothing behind.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from lakefs_test import (ok, note, done, fresh_database, connect, s3_env, skip_all,  # noqa: E402
                         create_s3_server, expect_error)

import psycopg  # noqa: E402

if not s3_env():
    skip_all("no S3 test server (LAKEFS_S3_ENDPOINT unset)")
conninfo = fresh_database("lakefs_import")
conn = connect(conninfo)
create_s3_server(conn)


def one(sql, *args):
    return conn.execute(sql, args).fetchone()


def count(uri):
    return one("SELECT count(*) FROM lakefs_list_objects('minio', %s)", uri)[0]


for b in ("sample-data", "example"):
    conn.execute("SELECT lakefs_s3_create_bucket('minio', %s)", (b,))
# a small image-like data set: dogs/Images/<breed>/<n>.jpg and a labels file
files = {}
for breed in ("beagle", "pug", "akita"):
    for n in range(5):
        key = "dogs/Images/%s/%d.jpg" % (breed, n)
        files[key] = ("%s-%d" % (breed, n)).encode() * (n + 1)
files["dogs/labels.csv"] = b"file,label\n"
files["cats/Images/tabby/0.jpg"] = b"meow"
with conn.cursor() as cur:
    for k, v in files.items():
        cur.execute("SELECT lakefs_s3_put('minio', %s, %s)", ("s3://sample-data/" + k, v))

one("SELECT lakefs_create_repository('demo', 's3://example/demo', server => 'minio')")
one("SELECT lakefs_create_branch('demo', 'ingest', 'main')")
before = (count("s3://sample-data/"), count("s3://example/"))

cid = one("SELECT lakefs_import('demo', 'ingest', ARRAY['s3://sample-data/dogs/Images'], 'raw/')")[0]
ok(len(cid) == 64, "import returns a commit id")
rows = conn.execute("SELECT path, physical_address, size, checksum FROM lakefs_ls('demo', 'ingest')").fetchall()
want = sorted("raw/" + k[len("dogs/"):] for k in files if k.startswith("dogs/Images/"))
ok([r[0] for r in rows] == want, "paths are relative to the source prefix's last '/', under raw/",
   [r[0] for r in rows][:3])
ok(all(r[1] == "s3://sample-data/dogs/" + r[0][len("raw/"):] for r in rows),
   "entries keep the original full addresses")
listing = {r[0]: (r[1], r[2]) for r in conn.execute(
    "SELECT key, size, etag FROM lakefs_list_objects('minio', 's3://sample-data/dogs/Images')").fetchall()}
ok(all(listing["dogs/" + r[0][len("raw/"):]] == (r[2], r[3]) for r in rows),
   "sizes and ETags are the listed ones")
ok(len(rows) == len(listing), "the import count equals the listing count (%d)" % len(rows))
ok((count("s3://sample-data/"), count("s3://example/")) == before, "no object was copied")
msg = one("SELECT message FROM lakefs_log('demo', 'ingest', 1)")[0]
ok(msg == "import objects", "the import is one commit with the default message")
got = one("SELECT convert_from(lakefs_get_object('demo', 'ingest', 'raw/Images/pug/3.jpg'), 'UTF8')")[0]
ok(got == files["dogs/Images/pug/3.jpg"].decode(), "imported objects read through the repository")

# re-import replaces the region: a removed object disappears, a new one appears
conn.execute("SELECT lakefs_s3_delete('minio', 's3://sample-data/dogs/Images/akita/0.jpg')")
conn.execute("SELECT lakefs_s3_put('minio', 's3://sample-data/dogs/Images/akita/9.jpg', 'new')")
one("SELECT lakefs_import('demo', 'ingest', ARRAY['s3://sample-data/dogs/Images'], 'raw/', 'again', '{\"round\": 2}')")
paths = {r[0] for r in conn.execute("SELECT path FROM lakefs_ls('demo', 'ingest', 'raw/Images/akita/')").fetchall()}
ok("raw/Images/akita/0.jpg" not in paths and "raw/Images/akita/9.jpg" in paths,
   "re-import replaces the destination region", sorted(paths))
ok(one("SELECT metadata->>'round' FROM lakefs_log('demo', 'ingest', 1)")[0] == "2", "import metadata is recorded")

# several sources; something outside the regions is kept
one("SELECT lakefs_put_object('demo', 'ingest', 'notes.txt', 'keep me')")
one("SELECT lakefs_commit('demo', 'ingest', 'notes')")
one("SELECT lakefs_import('demo', 'ingest', ARRAY['s3://sample-data/cats/Images/tabby', 's3://sample-data/dogs/labels.csv'], 'raw/')")
paths = [r[0] for r in conn.execute("SELECT path FROM lakefs_ls('demo', 'ingest')").fetchall()]
ok("raw/tabby/0.jpg" in paths and "raw/labels.csv" in paths and "notes.txt" in paths
   and "raw/Images/pug/0.jpg" in paths, "several sources at once; other paths are kept", paths[:8])

# a large listing across many small pages
conn.execute("SET pg_lakefs.list_page_size = 100")
N = 10000
t = time.time()
conn.execute("SELECT lakefs_s3_put('minio', format('s3://sample-data/many/%%s.bin', lpad(g::text, 5, '0')), 'x') FROM generate_series(1, %s) g" % N)
note("wrote %d small objects in %.1f s" % (N, time.time() - t))
one("SELECT lakefs_create_branch('demo', 'many', 'main')")
t = time.time()
one("SELECT lakefs_import('demo', 'many', ARRAY['s3://sample-data/many/'], 'many/')")
note("imported %d objects (pages of 100) in %.2f s" % (N, time.time() - t))
n, distinct = one("SELECT count(*), count(DISTINCT path) FROM lakefs_ls('demo', 'many')")
ok(n == N and distinct == N, "a listing of 10,000 objects in pages of 100 imports each exactly once (%d)" % n)
conn.execute("RESET pg_lakefs.list_page_size")

# errors
for desc, sql, state in [
    ("a source inside the repository's namespace", "SELECT lakefs_import('demo', 'ingest', ARRAY['s3://example/demo/data'])", "22023"),
    ("overlapping destinations", "SELECT lakefs_import('demo', 'ingest', ARRAY['s3://sample-data/dogs/Images', 's3://sample-data/cats/Images'])", "22023"),
    ("an empty listing", "SELECT lakefs_import('demo', 'ingest', ARRAY['s3://sample-data/nothing-here/'])", "42704"),
    ("a missing bucket", "SELECT lakefs_import('demo', 'ingest', ARRAY['s3://no-such-bucket/x'])", "42704"),
    ("an unknown branch", "SELECT lakefs_import('demo', 'nope', ARRAY['s3://sample-data/dogs/'])", "42704"),
    ("no sources", "SELECT lakefs_import('demo', 'ingest', ARRAY[]::text[])", "22023"),
    ("a bad URI", "SELECT lakefs_import('demo', 'ingest', ARRAY['http://x/y'])", "22023"),
]:
    e = expect_error(conn, sql)
    ok(e is not None and e.sqlstate == state, "refused: %s (%s)" % (desc, e.sqlstate if e else "no error"), e)
one("SELECT lakefs_put_object('demo', 'ingest', 'dirty', 'x')")
e = expect_error(conn, "SELECT lakefs_import('demo', 'ingest', ARRAY['s3://sample-data/dogs/'])")
ok(e is not None and e.sqlstate == "55000", "refused: a branch with staged changes")
one("SELECT lakefs_reset('demo', 'ingest')")

# a cancelled import leaves nothing behind
conn.execute("SET pg_lakefs.list_page_size = 10")
heads = one("SELECT head_commit FROM lakefs_branches WHERE repository = 'demo' AND branch = 'many'")[0]
ncommits = one("SELECT count(*) FROM lakefs_commits WHERE repository = 'demo'")[0]
pid = one("SELECT pg_backend_pid()")[0]
killer = connect(conninfo)
threading.Timer(0.5, lambda: killer.execute("SELECT pg_cancel_backend(%s)", (pid,))).start()
e = expect_error(conn, "SELECT lakefs_import('demo', 'many', ARRAY['s3://sample-data/many/'], 'again/')")
ok(e is not None and e.sqlstate == "57014", "pg_cancel_backend cancels an import (%s)" % (e and e.sqlstate))
ok(one("SELECT head_commit FROM lakefs_branches WHERE repository = 'demo' AND branch = 'many'")[0] == heads
   and one("SELECT count(*) FROM lakefs_commits WHERE repository = 'demo'")[0] == ncommits,
   "and leaves the branch and the commits as they were")
killer.close()

conn.close()
done()
