"""test/t/objects.py — object I/O by repository, ref and path against the S3
test server: put, get, stat, presign, upload URL + link, repositories on a
foreign server, and their errors.
"""
import hashlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from lakefs_test import (ok, note, done, fresh_database, connect, s3_env, skip_all,  # noqa: E402
                         create_s3_server, expect_error)

if not s3_env():
    skip_all("no S3 test server (LAKEFS_S3_ENDPOINT unset)")
conninfo = fresh_database("lakefs_objects")
conn = connect(conninfo)
create_s3_server(conn)
conn.execute("SELECT lakefs_s3_create_bucket('minio', 'example')")


def one(sql, *args):
    return conn.execute(sql, args).fetchone()


def bucket_count(prefix):
    return one("SELECT count(*) FROM lakefs_list_objects('minio', %s)", prefix)[0]


# repositories on a server write their marker object
one("SELECT lakefs_create_repository('objs', 's3://example/objs', server => 'minio')")
ok(bucket_count("s3://example/objs/_lakefs/") == 1, "creating a repository writes the namespace marker")
e = expect_error(conn, "SELECT lakefs_create_repository('nobucket', 's3://no-such-bucket/x', server => 'minio')")
ok(e is not None and e.sqlstate == "42704", "a namespace in a missing bucket is refused (%s)" % (e and e.sqlstate))
ok(one("SELECT count(*) FROM lakefs_repositories WHERE name = 'nobucket'")[0] == 0,
   "and no repository row is left behind")
e = expect_error(conn, "SELECT lakefs_create_repository('noserver', 's3://example/y', server => 'nope')")
ok(e is not None and e.sqlstate == "42704", "an unknown server is refused")

# put / get / stat
data = os.urandom(100_000)
addr, size, checksum = one("SELECT * FROM lakefs_put_object('objs', 'main', 'artifacts/model.pkl', %s, 'application/octet-stream', '{\"framework\": \"sklearn\"}')", data)
ok(addr.startswith("s3://example/objs/data/") and size == len(data), "put stores under <namespace>/data/<id>")
ok(checksum == hashlib.md5(data).hexdigest(), "the checksum is the object's ETag (MD5)")
got = one("SELECT lakefs_get_object('objs', 'main', 'artifacts/model.pkl')")[0]
ok(bytes(got) == data, "get on the branch (staged) returns the bytes")
got = one("SELECT lakefs_get_object('objs', 'main', 'artifacts/model.pkl', 1000, 10)")[0]
ok(bytes(got) == data[1000:1010], "range get returns the slice")
got = one("SELECT length(lakefs_get_object('objs', 'main', 'artifacts/model.pkl', 99990))")[0]
ok(got == 10, "a get past the middle stops at the end")
one("SELECT lakefs_commit('objs', 'main', 'model')")
st = one("SELECT physical_address, size, checksum, content_type, metadata->>'framework' FROM lakefs_stat_object('objs', 'main', 'artifacts/model.pkl')")
ok(st == (addr, len(data), checksum, "application/octet-stream", "sklearn"), "stat shows address, size, checksum, type, metadata")
got = one("SELECT lakefs_get_object('objs', lakefs_resolve_ref('objs', 'main'), 'artifacts/model.pkl')")[0]
ok(bytes(got) == data, "get by commit id returns the bytes")

# a multipart-sized object keeps its checksum
big = os.urandom(12 * 1024 * 1024)
conn.execute("SET pg_lakefs.multipart_threshold = '5MB'")
addr2, size2, _ = one("SELECT * FROM lakefs_put_object('objs', 'main', 'big.bin', %s)", big)
got = one("SELECT lakefs_get_object('objs', 'main', 'big.bin')")[0]
ok(size2 == len(big) and hashlib.sha256(bytes(got)).digest() == hashlib.sha256(big).digest(),
   "a 12 MiB object round-trips through multipart upload")
conn.execute("RESET pg_lakefs.multipart_threshold")

# presign: fetched with plain curl
url = one("SELECT lakefs_presign('objs', 'main', 'artifacts/model.pkl', '5 minutes')")[0]
out = subprocess.run(["curl", "-sf", url], capture_output=True)
ok(out.returncode == 0 and out.stdout == data, "a presigned URL fetched with curl returns the object")
e = expect_error(conn, "SELECT lakefs_presign('objs', 'main', 'artifacts/model.pkl', '30 days')")
ok(e is not None and e.sqlstate == "22023", "expiry beyond 7 days is refused")

# upload URL + link: bytes go straight to the store
paddr, purl = one("SELECT * FROM lakefs_upload_url('objs', 'main', 'metrics/metrics.json')")
body = b'{"accuracy": 0.93}'
put = subprocess.run(["curl", "-sf", "-X", "PUT", "--data-binary", "@-", purl], input=body, capture_output=True)
ok(put.returncode == 0, "curl PUT to the upload URL succeeds")
linked = one("SELECT * FROM lakefs_link_object('objs', 'main', 'metrics/metrics.json', %s, 'application/json')", paddr)
ok(linked[1] == len(body) and linked[2] == hashlib.md5(body).hexdigest(), "link HEADs size and ETag")
got = one("SELECT convert_from(lakefs_get_object('objs', 'main', 'metrics/metrics.json'), 'UTF8')")[0]
ok(got == body.decode(), "the linked object reads back by path")
rel = one("SELECT physical_address FROM lakefs_staged('objs', 'main') WHERE path = 'metrics/metrics.json'")[0]
ok(rel == paddr, "a linked address inside the namespace is stored relative (shown in full)")

# deleting on a branch never deletes in the store
n_before = bucket_count("s3://example/objs/data/")
one("SELECT lakefs_commit('objs', 'main', 'more')")
one("SELECT lakefs_delete_object('objs', 'main', 'big.bin')")
one("SELECT lakefs_commit('objs', 'main', 'delete big')")
ok(bucket_count("s3://example/objs/data/") == n_before, "a committed delete leaves the object in the store")
got = one("SELECT length(lakefs_get_object('objs', 'main~1', 'big.bin'))")[0]
ok(got == len(big), "the deleted object still reads at the previous commit")

# errors
one("SELECT lakefs_create_repository('catalog-only', 's3://example/catalog-only')")
for desc, sql, state in [
    ("get of a missing path", "SELECT lakefs_get_object('objs', 'main', 'nope')", "42704"),
    ("get at an unknown ref", "SELECT lakefs_get_object('objs', 'nope', 'big.bin')", "42704"),
    ("put to an unknown branch", "SELECT lakefs_put_object('objs', 'nope', 'x', 'abc')", "42704"),
    ("put with an empty path", "SELECT lakefs_put_object('objs', 'main', '', 'abc')", "22023"),
    ("negative offset", "SELECT lakefs_get_object('objs', 'main', 'artifacts/model.pkl', -1)", "22023"),
    ("link of a missing object", "SELECT lakefs_link_object('objs', 'main', 'x', 's3://example/objs/data/nope')", "42704"),
    ("put into a repository without a server", "SELECT lakefs_put_object('catalog-only', 'main', 'x', 'abc')", "55000"),
]:
    e = expect_error(conn, sql)
    ok(e is not None and e.sqlstate == state, "%s: %s" % (desc, e.sqlstate if e else "no error"),
       e and str(e))

# a failed put leaves nothing staged: the bucket behind the repository is gone
one("SELECT lakefs_create_repository('gonerepo', 's3://example/r', server => 'minio')")
conn.execute("UPDATE lakefs.repositories SET storage_namespace = 's3://vanished-bucket/r' WHERE name = 'gonerepo'")
e = expect_error(conn, "SELECT lakefs_put_object('gonerepo', 'main', 'x', 'abc')")
ok(e is not None and e.sqlstate == "42704", "put into a missing bucket fails clearly (%s)" % (e and e.sqlstate), e)
ok(one("SELECT count(*) FROM lakefs_staged('gonerepo', 'main')")[0] == 0, "and stages nothing")

conn.close()
done()
