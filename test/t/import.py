"""test/t/import.py — zero-copy import against the S3 test server.

Imports prefixes of a sample bucket into a branch and checks: paths follow
lakeFS (key relative to the source prefix's last '/', under the destination),
entries keep the original addresses, sizes and ETags, nothing is copied
(bucket object counts unchanged), the import count equals the listing count,
re-importing replaces the region (removed objects disappear), several
sources at once, a listing of 10,000 objects across many pages, local://
sources, and the errors (namespace sources, overlaps, empty listings,
staged changes, unknown branch). A cancelled import leaves nothing behind.

Typed sources (jsonb, as lakeFS's ImportLocation): an object source imports
one key and replaces one path; mixed object and common_prefix sources; a
destination without '/' is a folder; a folder's own marker key; a too-long
path is 22023 naming the key; sources containing or inside the namespace are
refused; _lakefs/ keys are skipped; every bad jsonb shape is 22023 and every
NULL argument 22004; a listing that breaks ListObjectsV2's contract (a stub
server, test/lib/stub_listing.py) is 08P01. Each refusal leaves the branch
heads, commits and staging as they were.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
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

conn.execute("RESET pg_lakefs.list_page_size")


# ---------------------------------------------------------------------------
# typed sources (jsonb, as lakeFS's ImportLocation), and what is never imported

def catalog_state():
    """Every branch head, the commit count and the staged changes of the database."""
    return (conn.execute("SELECT repository, branch, head_commit FROM lakefs_branches "
                         "ORDER BY 1, 2").fetchall(),
            one("SELECT count(*) FROM lakefs_commits")[0],
            conn.execute("SELECT repository, branch, path FROM lakefs_staged_changes "
                         "ORDER BY 1, 2, 3").fetchall())


def refused(desc, sql, state, args=(), want_in=None):
    """sql fails with state, leaves the catalog as it was; want_in: text the error shows."""
    before = catalog_state()
    e = expect_error(conn, sql, args)
    text = e and " ".join(x or "" for x in (str(e), e.diag.message_detail, e.diag.message_hint,
                                            e.diag.context))
    ok(e is not None and e.sqlstate == state and (want_in is None or want_in in text),
       "refused: %s (%s)" % (desc, e.sqlstate if e else "no error"), text)
    ok(catalog_state() == before, "  and the catalog is unchanged: %s" % desc)
    return e


def jimport(branch, sources, repo="demo", message=None):
    sql = "SELECT lakefs_import(%s, %s, %s::jsonb" + (", %s)" if message else ")")
    args = (repo, branch, json.dumps(sources)) + ((message,) if message else ())
    return one(sql, *args)[0]


def paths(branch, repo="demo", prefix=""):
    return [r[0] for r in conn.execute("SELECT path FROM lakefs_ls(%s, %s, %s)",
                                       (repo, branch, prefix)).fetchall()]


def put(key, data):
    conn.execute("SELECT lakefs_s3_put('minio', %s, %s)", ("s3://sample-data/" + key, data))


# an object source imports one key to one path and replaces only that path
put("obj/labels.csv", b"file,label\na,1\n")
put("obj/labels.csv.bak", b"old")
one("SELECT lakefs_create_branch('demo', 'objs', 'main')")
one("SELECT lakefs_put_object('demo', 'objs', 'raw/labels.csv.sha256', 'abc')")
one("SELECT lakefs_put_object('demo', 'objs', 'raw/labels.csv', 'old version')")
one("SELECT lakefs_commit('demo', 'objs', 'before the import')")
jimport("objs", [{"path": "s3://sample-data/obj/labels.csv", "destination": "raw/labels.csv",
                  "type": "object"}], message="one object")
got = conn.execute("SELECT path, physical_address, size, checksum FROM lakefs_ls('demo', 'objs')").fetchall()
lst = one("SELECT size, etag FROM lakefs_list_objects('minio', 's3://sample-data/obj/labels.csv') "
          "WHERE key = 'obj/labels.csv'")
ok([r[0] for r in got] == ["raw/labels.csv", "raw/labels.csv.sha256"],
   "object import: exactly the one key, labels.csv.bak not imported, raw/labels.csv.sha256 kept",
   got)
ok(got[0][1] == "s3://sample-data/obj/labels.csv" and (got[0][2], got[0][3]) == tuple(lst),
   "object import: the full address, size and ETag of the object (HEAD equals the listing)", got[0])
ok(one("SELECT message FROM lakefs_log('demo', 'objs', 1)")[0] == "one object",
   "object import: one commit with the given message")
refused("an object source whose key does not exist",
        "SELECT lakefs_import('demo', 'objs', %s::jsonb)", "42704",
        (json.dumps([{"path": "s3://sample-data/obj/nope.csv", "destination": "raw/nope.csv",
                      "type": "object"}]),))

# mixed object and common_prefix sources, each with its own destination
one("SELECT lakefs_create_branch('demo', 'mixed', 'main')")
jimport("mixed", [
    {"path": "s3://sample-data/dogs/Images/", "destination": "images/dogs", "type": "common_prefix"},
    {"path": "s3://sample-data/obj/labels.csv", "destination": "meta/labels.csv", "type": "object"},
    {"path": "s3://sample-data/obj/labels.csv.bak", "destination": "meta/labels.csv.bak", "type": "object"},
    {"path": "s3://sample-data/cats/Images/", "destination": "images/cats/", "type": "common_prefix"},
])
got = paths("mixed")
want = sorted(["images/dogs/" + k[len("dogs/Images/"):] for k in
               (r[0] for r in conn.execute("SELECT key FROM lakefs_list_objects('minio', "
                                           "'s3://sample-data/dogs/Images/')").fetchall())]
              + ["images/cats/tabby/0.jpg", "meta/labels.csv", "meta/labels.csv.bak"])
ok(got == want, "mixed sources in one import: each under its own destination", got)
ok(one("SELECT physical_address FROM lakefs_stat_object('demo', 'mixed', 'meta/labels.csv.bak')")[0]
   == "s3://sample-data/obj/labels.csv.bak", "mixed sources: each object at its own address")

# a common_prefix destination without a trailing '/' gets one, as in lakeFS
one("SELECT lakefs_create_branch('demo', 'slash', 'main')")
one("SELECT lakefs_import('demo', 'slash', ARRAY['s3://sample-data/cats/Images/'], 'kittens')")
jimport("slash", [{"path": "s3://sample-data/cats/Images/", "destination": "kittens2",
                   "type": "common_prefix"}])
ok(paths("slash") == ["kittens/tabby/0.jpg", "kittens2/tabby/0.jpg"],
   "a destination without a trailing '/' is a folder (text[] and jsonb)", paths("slash"))

# a folder that holds its own 0-byte marker key, as the S3 console makes
for k, v in [("marked/", b""), ("marked/a.txt", b"a"), ("marked/sub/", b""), ("marked/sub/b.txt", b"b")]:
    put(k, v)
one("SELECT lakefs_create_branch('demo', 'marker', 'main')")
one("SELECT lakefs_import('demo', 'marker', ARRAY['s3://sample-data/marked/'])")
ok(paths("marker") == ["a.txt", "sub/", "sub/b.txt"],
   "a folder with its own marker key imports to the root; the marker (empty path) is skipped",
   paths("marker"))
one("SELECT lakefs_import('demo', 'marker', ARRAY['s3://sample-data/marked/'], 'm/')")
ok(paths("marker", prefix="m/") == ["m/", "m/a.txt", "m/sub/", "m/sub/b.txt"],
   "under a destination, the folder's marker lands at the destination itself", paths("marker"))

# a path too long for the catalog is 22023 naming the key, not an internal error
longkey = "long/" + "k" * 300
put(longkey, b"x")
refused("a listed key whose path would be too long",
        "SELECT lakefs_import('demo', 'marker', ARRAY['s3://sample-data/long/'], %s)", "22023",
        ("d" * 800,), want_in=longkey)

# namespace containment, both ways
one("SELECT lakefs_create_repository('nsrepo', 's3://example/repo-ns', server => 'minio')")
conn.execute("SELECT lakefs_s3_put('minio', 's3://example/repo-ns-other/x.txt', 'x')")
for desc, src, typ, word in [
    ("a common_prefix that contains the namespace", "s3://example/repo-", "common_prefix", "contains"),
    ("the whole bucket of the namespace", "s3://example/", "common_prefix", "contains"),
    ("the namespace itself", "s3://example/repo-ns", "common_prefix", "inside"),
    ("a folder inside the namespace", "s3://example/repo-ns/data/", "common_prefix", "inside"),
    ("an object inside the namespace", "s3://example/repo-ns/_lakefs/dummy", "object", "inside"),
]:
    refused(desc, "SELECT lakefs_import('nsrepo', 'main', %s::jsonb)", "22023",
            (json.dumps([{"path": src, "destination": "x/" if typ == "common_prefix" else "x",
                          "type": typ}]),), want_in=word)
refused("a text[] source that contains the namespace",
        "SELECT lakefs_import('nsrepo', 'main', ARRAY['s3://example/repo-'])", "22023", want_in="contains")
one("SELECT lakefs_import('nsrepo', 'main', ARRAY['s3://example/repo-ns-other/'], 'other/')")
ok(paths("main", "nsrepo") == ["other/x.txt"],
   "a prefix beside the namespace that shares its first letters is imported")

# _lakefs/ of any namespace is never imported: another repository's namespace
# (demo's: _lakefs/dummy and data/...), and a _lakefs segment deeper down
demo_keys = [r[0] for r in conn.execute("SELECT key FROM lakefs_list_objects('minio', "
                                        "'s3://example/demo/')").fetchall()]
notices = []
conn.add_notice_handler(lambda d: notices.append(d.message_primary))
one("SELECT lakefs_create_branch('nsrepo', 'otherns', 'main')")
one("SELECT lakefs_import('nsrepo', 'otherns', ARRAY['s3://example/demo/'], 'demo/')")
got = paths("otherns", "nsrepo", "demo/")
ok("demo/_lakefs/dummy" not in got and "demo/_lakefs/dummy".replace("demo/", "") in
   [k[len("demo/"):] for k in demo_keys]
   and sorted(got) == sorted("demo/" + k[len("demo/"):] for k in demo_keys
                             if not k.startswith("demo/_lakefs/")),
   "another namespace's _lakefs/ objects are skipped, its data/ objects imported", got)
ok(any("skipped 1 objects under \"_lakefs/\"" in (n or "") for n in notices),
   "a NOTICE counts the skipped _lakefs/ objects", notices)
for k in ("lk/a.txt", "lk/sub/_lakefs/x", "lk/sub/_lakefsnot/y", "lk/_lakefs/z"):
    put(k, b"x")
one("SELECT lakefs_create_branch('demo', 'lk', 'main')")
one("SELECT lakefs_import('demo', 'lk', ARRAY['s3://sample-data/lk/'], 'lk/')")
ok(paths("lk") == ["lk/a.txt", "lk/sub/_lakefsnot/y"],
   "a _lakefs path segment at any depth is skipped; _lakefsnot is not", paths("lk"))
refused("a common_prefix under a _lakefs/ folder",
        "SELECT lakefs_import('demo', 'lk', ARRAY['s3://sample-data/lk/sub/_lakefs/'])", "22023",
        want_in="_lakefs")
refused("an object under a _lakefs/ folder", "SELECT lakefs_import('demo', 'lk', %s::jsonb)", "22023",
        (json.dumps([{"path": "s3://sample-data/lk/_lakefs/z", "destination": "z", "type": "object"}]),),
        want_in="_lakefs")

# every bad jsonb shape is 22023
good = {"path": "s3://sample-data/dogs/Images/", "destination": "raw/", "type": "common_prefix"}
for desc, sources, hint in [
    ("an object, not an array", good, "common_prefix"),
    ("a string", "s3://sample-data/dogs/", "common_prefix"),
    ("a number", 1, None),
    ("null inside the array", [None], "common_prefix"),
    ("an empty array", [], None),
    ("an element that is a number", [1], "common_prefix"),
    ("an element that is an array", [["s3://sample-data/dogs/"]], "common_prefix"),
    ("an unknown key", [dict(good, storage_id="x")], "destination"),
    ("no path", [{k: v for k, v in good.items() if k != "path"}], None),
    ("no destination", [{k: v for k, v in good.items() if k != "destination"}], None),
    ("no type", [{k: v for k, v in good.items() if k != "type"}], None),
    ("a path that is a number", [dict(good, path=1)], None),
    ("a destination that is null", [dict(good, destination=None)], None),
    ("a type that is a boolean", [dict(good, type=True)], None),
    ("an unknown type", [dict(good, type="prefix")], "Valid types are \"common_prefix\" and \"object\""),
    ("an object type with an empty destination", [dict(good, type="object", path="s3://sample-data/obj/labels.csv",
                                                       destination="")], None),
    ("an object type with no key", [dict(good, type="object", path="s3://sample-data/")], None),
    ("a bad URI", [dict(good, path="http://x/y")], None),
    ("two objects to one path", [dict(good, type="object", path="s3://sample-data/obj/labels.csv", destination="x"),
                                 dict(good, type="object", path="s3://sample-data/obj/labels.csv.bak",
                                      destination="x")], "different destinations"),
    ("an object inside a common_prefix destination",
     [dict(good, destination="raw/"), dict(good, type="object", path="s3://sample-data/obj/labels.csv",
                                           destination="raw/Images/labels.csv")], "different destinations"),
]:
    refused("jsonb sources: " + desc, "SELECT lakefs_import('demo', 'lk', %s::jsonb)", "22023",
            (json.dumps(sources),), want_in=hint)

# NULL in each argument of both overloads: 22004 naming it, no crash
args6 = ["'demo'", "'lk'", "ARRAY['s3://sample-data/dogs/']", "'raw/'", "'m'", "'{}'::jsonb"]
names6 = ["repository", "branch", "sources", "destination", "message", "metadata"]
args5 = ["'demo'", "'lk'", "'%s'::jsonb" % json.dumps([good]), "'m'", "'{}'::jsonb"]
names5 = ["repository", "branch", "sources", "message", "metadata"]
casts6 = ["text", "text", "text[]", "text", "text", "jsonb"]
casts5 = ["text", "text", "jsonb", "text", "jsonb"]
for args, names, casts in ((args6, names6, casts6), (args5, names5, casts5)):
    for i, name in enumerate(names):
        a = list(args)
        a[i] = "NULL::" + casts[i]
        refused("NULL %s (%d arguments)" % (name, len(args)),
                "SELECT lakefs_import(%s)" % ", ".join(a), "22004", want_in=name)
refused("a NULL element of text[] sources",
        "SELECT lakefs_import('demo', 'lk', ARRAY['s3://sample-data/dogs/', NULL])", "22004")
ok(one("SELECT 1")[0] == 1, "the backend is alive after the NULL arguments")

# a server that breaks ListObjectsV2's contract: 08P01, nothing imported
# (test/lib/stub_listing.py; the bucket name picks the misbehaviour)
tmpdir = tempfile.mkdtemp()
portfile = os.path.join(tmpdir, "port")
stub = subprocess.Popen(["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "..", "lib",
                                                          "stub_listing.py"), portfile])
try:
    for _ in range(200):
        if os.path.exists(portfile):
            break
        time.sleep(0.05)
    port = open(portfile).read()
    conn.execute("CREATE SERVER stub FOREIGN DATA WRAPPER lakefs_s3 OPTIONS "
                 "(endpoint 'http://127.0.0.1:%s', region 'us-east-1', url_style 'path', "
                 "max_retries '0')" % port)
    conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER stub OPTIONS "
                 "(access_key_id 'stub', secret_access_key 'stub')")
    one("SELECT lakefs_create_repository('stubrepo', 's3://ns/repo', server => 'stub')")
    one("SELECT lakefs_import('stubrepo', 'main', ARRAY['s3://good/data/'], 'good/')")
    ok(paths("main", "stubrepo") == ["good/a.txt", "good/b.txt"],
       "the stub's correct listing imports (the control)", paths("main", "stubrepo"))
    # (the listing layer may refuse the last three itself, in its own words)
    for bucket, desc, word in [
        ("outside", "a listed key outside the requested prefix", "outside the"),
        ("unordered", "listed keys out of order", None),
        ("duplicate", "a key listed twice on one page", None),
        ("repeat", "a page's last key repeated on the next page", None),
    ]:
        refused(desc, "SELECT lakefs_import('stubrepo', 'main', ARRAY['s3://%s/data/'], 'bad/')" % bucket,
                "08P01", want_in=word)
finally:
    stub.kill()
    stub.wait()
    shutil.rmtree(tmpdir, ignore_errors=True)

conn.close()
done()
