"""test/t/gateway.py — the S3 gateway (pg_lakefs_gateway) driven by boto3.

Starts the gateway next to the throwaway cluster and the RGW test server, logged
in as an "authenticator" role that may become the roles of the access keys, and
replays the reference workflow's S3 calls: ListObjectsV2 with Delimiter='/',
download_fileobj (HEAD + ranged GETs above the multipart threshold), put_object,
a SQL commit and the result read back by commit id. Then paging, odd keys,
copy, delete, presigned URLs, aws-chunked bodies, and the bad input a client
can send: wrong secret, unknown key, a write to a tag or a commit id, missing
repository or key, a role without privileges, a lying Content-Length, a
malformed or wrongly signed aws-chunked body, 100 concurrent connections. The
gateway must answer each with the right S3 error and keep serving; SIGTERM
ends it with status 0.

LAKEFS_GATEWAY_PORT chooses its port (default: a free port the system picks).
"""
import atexit
import base64
import datetime
import hashlib
import hmac
import io
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from lakefs_test import (ok, note, done, fresh_database, connect, s3_env, skip_all, expect_error,  # noqa: E402
                         create_s3_server)

if not s3_env():
    skip_all("no S3 test server (LAKEFS_S3_ENDPOINT unset)")
try:
    import boto3
    import botocore.config
    from botocore.exceptions import ClientError
except ImportError:
    skip_all("python3-boto3 is not installed")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = int(os.environ.get("LAKEFS_GATEWAY_PORT") or free_port())
ENDPOINT = "http://127.0.0.1:%d" % PORT
DB = "lakefs_gateway"
AUTH_ROLE = "lk_gw_authenticator"
ROLES = ("lk_gw_writer", "lk_gw_reader", "lk_gw_nobody")


def gateway_binary():
    for d in (os.environ.get("PGBIN"), os.path.join(ROOT, "gateway")):
        if d and os.access(os.path.join(d, "pg_lakefs_gateway"), os.X_OK):
            return os.path.join(d, "pg_lakefs_gateway")
    skip_all("pg_lakefs_gateway is not built")


conninfo = fresh_database(DB)
conn = connect(conninfo)
create_s3_server(conn)
try:
    conn.execute("SELECT lakefs_s3_create_bucket('minio', 'gateway')")
except Exception:  # noqa: BLE001 - it is there from an earlier run
    pass
conn.execute("SELECT lakefs_create_repository('repo', 's3://gateway/repo-%d', server => 'minio')"
             % int(time.time() * 1000))

# roles: the authenticator the gateway logs in as, and the roles keys stand for
for role in ROLES + (AUTH_ROLE,):
    conn.execute("DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN "
                 "EXECUTE 'DROP OWNED BY %s'; EXECUTE 'DROP ROLE %s'; END IF; END $$" % (role, role, role))
conn.execute("CREATE ROLE %s LOGIN NOINHERIT" % AUTH_ROLE)
for role in ROLES:
    conn.execute("CREATE ROLE %s" % role)
    conn.execute("GRANT %s TO %s" % (role, AUTH_ROLE))
conn.execute("GRANT EXECUTE ON FUNCTION lakefs_verify_signature(text, text, text, text, text, text) TO %s"
             % AUTH_ROLE)
# what a key may do is its role's repository privileges (lakefs_grant)
for role, privilege in (("lk_gw_writer", "write"), ("lk_gw_reader", "read")):
    conn.execute("SELECT lakefs_grant('repo', %s, %s)", (role, privilege))
    conn.execute("GRANT USAGE ON FOREIGN SERVER minio TO %s" % role)


def one(sql, *args):
    return conn.execute(sql, args).fetchone()


keys = {role: one("SELECT access_key_id, secret_access_key FROM lakefs_create_access_key(%s)", role)
        for role in ROLES}
ok(one("SELECT count(*) FROM lakefs_access_keys")[0] == 3, "three access keys, listed without secrets")
ok("secret_access_key" not in [c.name for c in conn.execute("SELECT * FROM lakefs_access_keys").description],
   "the lakefs_access_keys view has no secret column")

# fixtures: images on main, committed; a tag; a branch for the experiment
images = {}
for cat in ("cat", "dog", "bird"):
    for i in range(3):
        path = "raw/Images/%s/%d.jpg" % (cat, i)
        images[path] = os.urandom(1000 + i)
        conn.execute("SELECT lakefs_put_object('repo', 'main', %s, %s)", (path, images[path]))
big = os.urandom(12 * 1024 * 1024 + 17)
conn.execute("SET pg_lakefs.multipart_threshold = '5MB'")
conn.execute("SELECT lakefs_put_object('repo', 'main', 'raw/big.bin', %s)", (big,))
main_commit = one("SELECT lakefs_commit('repo', 'main', 'images')")[0]
conn.execute("SELECT lakefs_create_tag('repo', 'v1', 'main')")
conn.execute("SELECT lakefs_create_branch('repo', 'experiment-1', 'main')")

log = open(os.path.join(ROOT, "tmp_check", "gateway.log") if os.path.isdir(os.path.join(ROOT, "tmp_check"))
           else os.devnull, "w")
dsn = "%s user=%s" % (conninfo, AUTH_ROLE)
gw = subprocess.Popen([gateway_binary(), "--dsn", dsn, "--listen", "127.0.0.1:%d" % PORT,
                       "--workers", "4", "--log-level", "info"], stdout=log, stderr=log)
atexit.register(lambda: gw.poll() is None and gw.kill())
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)
ok(gw.poll() is None, "the gateway starts and listens on port %d" % PORT)


def client(role="lk_gw_writer", secret=None, akid=None, **cfg):
    k = keys[role]
    return boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1",
                        aws_access_key_id=akid or k[0], aws_secret_access_key=secret or k[1],
                        config=botocore.config.Config(retries={"max_attempts": 0}, signature_version="s3v4",
                                                      **cfg))


def error_of(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"].get("Code"))
    return None


s3 = client()

# ---------------------------------------------------------------- reading
buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
ok(buckets == ["repo"], "ListBuckets lists the repository", buckets)
ok(s3.head_bucket(Bucket="repo")["ResponseMetadata"]["HTTPStatusCode"] == 200, "HeadBucket")
r = s3.list_objects_v2(Bucket="repo", Prefix="experiment-1/raw/Images/", Delimiter="/")
cps = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
ok(cps == ["experiment-1/raw/Images/bird/", "experiment-1/raw/Images/cat/", "experiment-1/raw/Images/dog/"]
   and "Contents" not in r, "ListObjectsV2 with Delimiter='/' gives the categories as CommonPrefixes", cps)
got_all = True
for cp in cps:
    listed = s3.list_objects_v2(Bucket="repo", Prefix=cp)["Contents"]
    for o in listed:
        buf = io.BytesIO()
        s3.download_fileobj("repo", o["Key"], buf)
        path = o["Key"][len("experiment-1/"):]
        got_all = got_all and buf.getvalue() == images[path] and o["Size"] == len(images[path])
ok(got_all, "every image of every category downloads byte for byte (download_fileobj)")
r = s3.list_objects_v2(Bucket="repo", Prefix="", Delimiter="/")
ok([p["Prefix"] for p in r["CommonPrefixes"]] == ["experiment-1/", "main/"],
   "a listing without a ref lists the branches as common prefixes")
buf = io.BytesIO()
s3.download_fileobj("repo", "main/raw/big.bin", buf,
                    Config=boto3.s3.transfer.TransferConfig(multipart_threshold=4 * 1024 * 1024,
                                                            multipart_chunksize=4 * 1024 * 1024))
ok(buf.getvalue() == big, "a 12 MiB object downloads in ranged GETs byte for byte")
r = s3.get_object(Bucket="repo", Key="main/raw/big.bin", Range="bytes=100-199")
ok(r["Body"].read() == big[100:200] and r["ContentRange"] == "bytes 100-199/%d" % len(big),
   "GetObject with Range answers 206 with the slice and Content-Range")
r = s3.get_object(Bucket="repo", Key="main/raw/big.bin", Range="bytes=-10")
ok(r["Body"].read() == big[-10:], "a suffix range gives the last bytes")
ok(error_of(s3.get_object, Bucket="repo", Key="main/raw/big.bin", Range="bytes=%d-" % (len(big) + 5))
   == (416, "InvalidRange"), "a range past the end is 416 InvalidRange")
h = s3.head_object(Bucket="repo", Key="v1/raw/big.bin")
ok(h["ContentLength"] == len(big), "HeadObject by tag gives the size")
etag = h["ETag"]
ok(error_of(s3.get_object, Bucket="repo", Key="main/raw/big.bin", IfNoneMatch=etag) == (304, "304"),
   "If-None-Match with the ETag answers 304")
ok(error_of(s3.get_object, Bucket="repo", Key="main/raw/big.bin", IfMatch='"nope"') == (412, "PreconditionFailed"),
   "If-Match with another ETag answers 412")

# ---------------------------------------------------------------- writing
model = os.urandom(300_000)
r = s3.put_object(Bucket="repo", Key="experiment-1/artifacts/model.pkl", Body=model,
                  ContentType="application/x-pickle", Metadata={"framework": "sklearn"})
ok(r["ETag"] == '"%s"' % hashlib.md5(model).hexdigest(), "put_object answers the ETag (MD5)")
staged = one("SELECT size, content_type, metadata->>'framework' FROM lakefs_staged('repo', 'experiment-1') "
             "WHERE path = 'artifacts/model.pkl'")
ok(staged == (len(model), "application/x-pickle", "sklearn"), "the object is staged on the branch", staged)
h = s3.head_object(Bucket="repo", Key="experiment-1/artifacts/model.pkl")
ok(h["ContentType"] == "application/x-pickle" and h["Metadata"] == {"framework": "sklearn"},
   "HeadObject gives Content-Type and x-amz-meta-* back", h.get("Metadata"))
commit = one("SELECT lakefs_commit('repo', 'experiment-1', 'model')")[0]
got = s3.get_object(Bucket="repo", Key="%s/artifacts/model.pkl" % commit)["Body"].read()
ok(got == model, "after a SQL commit the object reads back by commit id")
ok(error_of(s3.head_object, Bucket="repo", Key="main/artifacts/model.pkl") == (404, "404"),
   "and not on main")

# odd keys round trip byte for byte
odd = ["dir with space/a b.txt", "plus+sign.txt", "per%cent%20.txt", "ünïcödé/日本.txt", "double//slash.txt",
       "q?mark&amp=1.txt", "dir/"]
for k in odd:
    s3.put_object(Bucket="repo", Key="experiment-1/odd/" + k, Body=k.encode())
listed = [o["Key"] for o in s3.list_objects_v2(Bucket="repo", Prefix="experiment-1/odd/")["Contents"]]
ok(listed == sorted(["experiment-1/odd/" + k for k in odd], key=lambda s: s.encode()),
   "keys with spaces, +, %, unicode, // and a 0-byte dir/ marker list as written", listed)
ok(all(s3.get_object(Bucket="repo", Key="experiment-1/odd/" + k)["Body"].read() == k.encode() for k in odd),
   "and read back byte for byte")
ok(sorted(p for (p,) in conn.execute("SELECT path FROM lakefs_ls('repo', 'experiment-1', 'odd/')"))
   == sorted("odd/" + k for k in odd), "the catalog holds exactly those paths")

# paging: O(page) listings through lakefs_ls(after, amount)
for i in range(25):
    conn.execute("SELECT lakefs_stage_object('repo', 'experiment-1', %s, 'data/x', 1, 'c')", ("page/%02d" % i,))
pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="repo", Prefix="experiment-1/page/",
                                                          PaginationConfig={"PageSize": 7}))
keys_seen = [o["Key"] for p in pages for o in p.get("Contents", [])]
ok(len(pages) == 4 and keys_seen == ["experiment-1/page/%02d" % i for i in range(25)],
   "ListObjectsV2 pages of 7 with continuation tokens: 4 pages, every key once, in order", len(pages))
r = s3.list_objects_v2(Bucket="repo", Prefix="experiment-1/page/", StartAfter="experiment-1/page/20")
ok([o["Key"][-2:] for o in r["Contents"]] == ["21", "22", "23", "24"], "StartAfter starts after the key")
pages = list(s3.get_paginator("list_objects").paginate(Bucket="repo", Prefix="experiment-1/page/",
                                                       PaginationConfig={"PageSize": 10}))
ok([o["Key"] for p in pages for o in p.get("Contents", [])] == keys_seen, "ListObjects v1 pages with markers")
r = s3.list_objects_v2(Bucket="repo", Prefix="experiment-1/", Delimiter="/", MaxKeys=2)
r2 = s3.list_objects_v2(Bucket="repo", Prefix="experiment-1/", Delimiter="/",
                        ContinuationToken=r["NextContinuationToken"])
ok([p["Prefix"] for p in r["CommonPrefixes"]] == ["experiment-1/artifacts/", "experiment-1/odd/"]
   and [p["Prefix"] for p in r2["CommonPrefixes"]] == ["experiment-1/page/", "experiment-1/raw/"],
   "common prefixes page by token without repeating")
ok(one("SELECT count(*) FROM lakefs_ls('repo', 'experiment-1', 'page/', NULL, 'page/10', 3)")[0] == 3 and
   one("SELECT min(path) FROM lakefs_ls('repo', 'experiment-1', 'page/', NULL, 'page/10', 3)")[0] == "page/11",
   "lakefs_ls(after, amount) returns the page after the path")
ok(error_of(s3.list_objects_v2, Bucket="repo", Prefix="main/", ContinuationToken="!!!") == (400, "InvalidArgument"),
   "a bad continuation token is 400 InvalidArgument")

# copy (shallow) and delete
s3.copy_object(Bucket="repo", Key="experiment-1/artifacts/model-copy.pkl",
               CopySource={"Bucket": "repo", "Key": "experiment-1/artifacts/model.pkl"})
a = one("SELECT physical_address FROM lakefs_stat_object('repo', 'experiment-1', 'artifacts/model.pkl')")
b = one("SELECT physical_address FROM lakefs_stat_object('repo', 'experiment-1', 'artifacts/model-copy.pkl')")
ok(a == b, "CopyObject is shallow: the copy points at the same physical object")
s3.delete_object(Bucket="repo", Key="experiment-1/artifacts/model-copy.pkl")
ok(error_of(s3.head_object, Bucket="repo", Key="experiment-1/artifacts/model-copy.pkl") == (404, "404"),
   "DeleteObject stages a tombstone")
ok(s3.delete_object(Bucket="repo", Key="experiment-1/never-there")["ResponseMetadata"]["HTTPStatusCode"] == 204,
   "deleting a missing key succeeds, as on S3")
r = s3.delete_objects(Bucket="repo", Delete={"Objects": [{"Key": "experiment-1/page/%02d" % i} for i in range(5)]})
ok(len(r.get("Deleted", [])) == 5 and one("SELECT count(*) FROM lakefs_ls('repo', 'experiment-1', 'page/')")[0] == 20,
   "DeleteObjects deletes every key it lists")

# multipart: upload_file of 20 MiB in 8 MiB parts, then the low-level calls
blob = os.urandom(20 * 1024 * 1024 + 3)
path = os.path.join(ROOT, "tmp_check") if os.path.isdir(os.path.join(ROOT, "tmp_check")) else "/tmp"
fn = os.path.join(path, "gateway-upload-%d.bin" % os.getpid())
with open(fn, "wb") as f:
    f.write(blob)
s3.upload_file(fn, "repo", "experiment-1/big/upload.bin",
               Config=boto3.s3.transfer.TransferConfig(multipart_threshold=8 * 1024 * 1024,
                                                       multipart_chunksize=8 * 1024 * 1024))
# S3 takes Content-Type and x-amz-meta-* at CreateMultipartUpload: Complete applies them
s3.upload_file(fn, "repo", "experiment-1/ct/big.parquet",
               ExtraArgs={"ContentType": "application/vnd.apache.parquet", "Metadata": {"owner": "alice"}},
               Config=boto3.s3.transfer.TransferConfig(multipart_threshold=8 * 1024 * 1024,
                                                       multipart_chunksize=8 * 1024 * 1024))
os.unlink(fn)
# the marker keeps them: lakefs_multipart_create and lakefs_multipart_upload from SQL
mid = one("SELECT lakefs_multipart_create('repo', 'experiment-1', 'ct/sql.bin', 'text/csv', '{\"a\": \"b\"}')")[0]
doc = one("SELECT lakefs_multipart_upload('repo', 'experiment-1', %s)", mid)[0]
ok(doc.get("content_type") == "text/csv" and doc.get("metadata") == {"a": "b"} and doc.get("path") == "ct/sql.bin",
   "lakefs_multipart_upload gives the marker with the content type and metadata of the create", doc)
conn.execute("SELECT lakefs_multipart_abort('repo', 'experiment-1', %s)", (mid,))
for sql, state, what in (
        ("SELECT lakefs_multipart_create('repo', 'experiment-1', 'x', NULL, '[1]')", "22023",
         "metadata that is not a JSON object"),
        ("SELECT lakefs_multipart_upload('repo', 'experiment-1', '%s')" % mid, "42704", "an upload that is gone"),
        ("SELECT lakefs_multipart_upload('repo', 'experiment-1', 'nope')", "22023", "a malformed upload id"),
        ("SELECT lakefs_multipart_upload('repo', 'v1', '%s')" % mid, "42704", "a tag")):
    e = expect_error(conn, sql)
    ok(e is not None and e.sqlstate == state, "%s is %s" % (what, state), e and e.sqlstate)
h = s3.head_object(Bucket="repo", Key="experiment-1/ct/big.parquet")
ok(h["ContentType"] == "application/vnd.apache.parquet" and h["Metadata"] == {"owner": "alice"}
   and h["ContentLength"] == len(blob),
   "a multipart upload_file keeps the ContentType and Metadata given at Create",
   (h["ContentType"], h["Metadata"]))
ok(one("SELECT size, checksum FROM lakefs_staged('repo', 'experiment-1') WHERE path = 'big/upload.bin'")
   == (len(blob), hashlib.md5(blob).hexdigest()), "upload_file of 20 MiB (multipart, 3 parts) stages one object")
ok(s3.get_object(Bucket="repo", Key="experiment-1/big/upload.bin")["Body"].read() == blob,
   "and it reads back byte for byte")
mp = s3.create_multipart_upload(Bucket="repo", Key="experiment-1/big/parts.bin")
uid = mp["UploadId"]
e1 = s3.upload_part(Bucket="repo", Key="experiment-1/big/parts.bin", UploadId=uid, PartNumber=1,
                    Body=b"a" * (5 * 1024 * 1024))["ETag"]
e2 = s3.upload_part(Bucket="repo", Key="experiment-1/big/parts.bin", UploadId=uid, PartNumber=2, Body=b"tail")["ETag"]
ok(error_of(s3.complete_multipart_upload, Bucket="repo", Key="experiment-1/big/parts.bin", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": '"%s"' % ("0" * 32)}]})
   == (400, "InvalidPart"), "Complete with a wrong part ETag is 400 InvalidPart")
ok(error_of(s3.complete_multipart_upload, Bucket="repo", Key="experiment-1/big/parts.bin", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})
   == (400, "InvalidPartOrder"), "Complete with parts out of order is 400 InvalidPartOrder")
ok(one("SELECT count(*) FROM lakefs_staged('repo', 'experiment-1') WHERE path = 'big/parts.bin'")[0] == 0,
   "a failed Complete stages nothing")
s3.complete_multipart_upload(Bucket="repo", Key="experiment-1/big/parts.bin", UploadId=uid,
                             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
ok(s3.get_object(Bucket="repo", Key="experiment-1/big/parts.bin")["Body"].read() == b"a" * (5 * 1024 * 1024) + b"tail",
   "Complete joins the parts in order")
env = s3_env()
store = boto3.client("s3", endpoint_url=env["LAKEFS_S3_ENDPOINT"], region_name=env["LAKEFS_S3_REGION"],
                     aws_access_key_id=env["LAKEFS_S3_ACCESS_KEY"], aws_secret_access_key=env["LAKEFS_S3_SECRET_KEY"],
                     config=botocore.config.Config(signature_version="s3v4"))
namespace = one("SELECT storage_namespace FROM lakefs_repositories WHERE name = 'repo'")[0]


def upload_objects(upload_id):
    """The keys the store holds under the gateway's folder of upload_id."""
    prefix = namespace[len("s3://gateway/"):] + "/_lakefs/multipart/%s/" % upload_id
    r = store.list_objects_v2(Bucket="gateway", Prefix=prefix)
    return [o["Key"][len(prefix):] for o in r.get("Contents", [])]


ok(upload_objects(uid) == [], "Complete deletes the upload's parts and marker from the store")
ok(error_of(s3.abort_multipart_upload, Bucket="repo", Key="experiment-1/big/parts.bin", UploadId=uid)
   == (404, "NoSuchUpload"), "a completed upload is gone: Abort is 404 NoSuchUpload")

# ListParts: the store's listing of the upload's folder, paged as S3 pages it
key = "experiment-1/big/listed.bin"
lid = s3.create_multipart_upload(Bucket="repo", Key=key)["UploadId"]
ok(upload_objects(lid) == ["upload"], "CreateMultipartUpload writes the upload's marker object")
r = s3.list_parts(Bucket="repo", Key=key, UploadId=lid)
ok(r.get("Parts", []) == [] and r["IsTruncated"] is False and r["UploadId"] == lid,
   "ListParts of a fresh upload lists no parts")
petags = {}
for n in (1, 2, 3, 5):
    petags[n] = s3.upload_part(Bucket="repo", Key=key, UploadId=lid, PartNumber=n,
                               Body=bytes([n]) * (1000 * n))["ETag"]
r = s3.list_parts(Bucket="repo", Key=key, UploadId=lid)
ok([(p["PartNumber"], p["ETag"], p["Size"]) for p in r["Parts"]] == [(n, petags[n], 1000 * n) for n in (1, 2, 3, 5)]
   and r["IsTruncated"] is False, "ListParts lists every uploaded part with its ETag and Size",
   [(p["PartNumber"], p["Size"]) for p in r["Parts"]])
ok(all(abs((p["LastModified"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < 3600
       for p in r["Parts"]), "each part has its LastModified")
pages, marker = [], 0
while len(pages) < 10:
    r = s3.list_parts(Bucket="repo", Key=key, UploadId=lid, MaxParts=2, PartNumberMarker=marker)
    pages.append([p["PartNumber"] for p in r.get("Parts", [])])
    if not r["IsTruncated"]:
        break
    marker = r["NextPartNumberMarker"]
ok(pages == [[1, 2], [3, 5]], "MaxParts=2 pages with IsTruncated and NextPartNumberMarker", pages)
listed = [p["PartNumber"] for page in s3.get_paginator("list_parts").paginate(
    Bucket="repo", Key=key, UploadId=lid, PaginationConfig={"PageSize": 3}) for p in page.get("Parts", [])]
ok(listed == [1, 2, 3, 5], "boto3's list_parts paginator walks every part", listed)
r = s3.list_parts(Bucket="repo", Key=key, UploadId=lid)
ok(r.get("Initiator") == {"ID": "lk_gw_writer", "DisplayName": "lk_gw_writer"}
   and r.get("Owner") == {"ID": "lk_gw_writer", "DisplayName": "lk_gw_writer"},
   "ListParts gives Initiator and Owner (the key's role)", (r.get("Initiator"), r.get("Owner")))
ok(error_of(s3.list_parts, Bucket="repo", Key=key, UploadId="0" * 32) == (404, "NoSuchUpload"),
   "ListParts of an unknown upload id is 404 NoSuchUpload")
ok(error_of(s3.list_parts, Bucket="repo", Key=key, UploadId="not-an-id") == (400, "InvalidArgument"),
   "ListParts with a malformed upload id is 400 InvalidArgument")
ok(error_of(s3.list_parts, Bucket="repo", Key=key, UploadId=lid, PartNumberMarker=10001) == (400, "InvalidArgument"),
   "a part-number-marker past 10000 is 400 InvalidArgument")
ok(error_of(client("lk_gw_reader").list_parts, Bucket="repo", Key=key, UploadId=lid) == (403, "AccessDenied"),
   "ListParts needs the privilege to write the branch")
ok(error_of(s3.upload_part, Bucket="repo", Key=key, UploadId="0" * 32, PartNumber=1, Body=b"x")
   == (404, "NoSuchUpload"), "UploadPart into an unknown upload is 404 NoSuchUpload")
ok(s3.abort_multipart_upload(Bucket="repo", Key=key, UploadId=lid)
   ["ResponseMetadata"]["HTTPStatusCode"] == 204, "AbortMultipartUpload answers 204")
ok(upload_objects(lid) == [], "Abort deletes the parts and the marker from the store")
ok(error_of(s3.list_parts, Bucket="repo", Key=key, UploadId=lid) == (404, "NoSuchUpload"),
   "after Abort, ListParts is 404 NoSuchUpload")
ok(error_of(s3.abort_multipart_upload, Bucket="repo", Key=key, UploadId=lid) == (404, "NoSuchUpload"),
   "and a second Abort too")

# incomplete uploads: lakefs_multipart_abort_incomplete, as an AbortIncompleteMultipartUpload rule
old_id = s3.create_multipart_upload(Bucket="repo", Key=key)["UploadId"]
s3.upload_part(Bucket="repo", Key=key, UploadId=old_id, PartNumber=1, Body=b"left behind")
ok(one("SELECT lakefs_multipart_abort_incomplete('repo', '1 hour')")[0] == 0 and
   upload_objects(old_id) == ["00001", "upload"], "an upload younger than older_than is kept")
ok(one("SELECT lakefs_multipart_abort_incomplete('repo', '0 seconds')")[0] >= 1 and upload_objects(old_id) == [],
   "an older one loses its parts and marker", upload_objects(old_id))
ok(error_of(s3.list_parts, Bucket="repo", Key=key, UploadId=old_id) == (404, "NoSuchUpload"),
   "and is gone for the gateway")

# UploadPartCopy: server-side copies into parts; boto3's managed copy() uses it above its threshold
calls = []
s3.meta.events.register("before-call.s3.UploadPartCopy", lambda **kw: calls.append(1))
s3.copy({"Bucket": "repo", "Key": "main/raw/big.bin"}, "repo", "experiment-1/copied/big.bin",
        Config=boto3.s3.transfer.TransferConfig(multipart_threshold=5 * 1024 * 1024,
                                                multipart_chunksize=5 * 1024 * 1024))
ok(len(calls) == 3 and s3.get_object(Bucket="repo", Key="experiment-1/copied/big.bin")["Body"].read() == big,
   "boto3 copy() of 12 MiB in 3 UploadPartCopy parts copies byte for byte", len(calls))
key = "experiment-1/copied/ranges.bin"
cid = s3.create_multipart_upload(Bucket="repo", Key=key)["UploadId"]
c1 = s3.upload_part_copy(Bucket="repo", Key=key, UploadId=cid, PartNumber=1,
                         CopySource={"Bucket": "repo", "Key": "main/raw/big.bin"},
                         CopySourceRange="bytes=0-5242879")["CopyPartResult"]
c2 = s3.upload_part_copy(Bucket="repo", Key=key, UploadId=cid, PartNumber=2,
                         CopySource={"Bucket": "repo", "Key": "v1/raw/Images/cat/1.jpg"},
                         CopySourceRange="bytes=100-199")["CopyPartResult"]
c3 = s3.upload_part_copy(Bucket="repo", Key=key, UploadId=cid, PartNumber=3,
                         CopySource="repo/%s/raw/Images/dog/2.jpg" % main_commit)["CopyPartResult"]
ok([p["ETag"] for p in s3.list_parts(Bucket="repo", Key=key, UploadId=cid)["Parts"]]
   == [c1["ETag"], c2["ETag"], c3["ETag"]], "each CopyPartResult's ETag is the part ListParts lists")
s3.complete_multipart_upload(Bucket="repo", Key=key, UploadId=cid, MultipartUpload={"Parts": [
    {"PartNumber": 1, "ETag": c1["ETag"]}, {"PartNumber": 2, "ETag": c2["ETag"]}, {"PartNumber": 3, "ETag": c3["ETag"]}]})
ok(s3.get_object(Bucket="repo", Key=key)["Body"].read() ==
   big[:5242880] + images["raw/Images/cat/1.jpg"][100:200] + images["raw/Images/dog/2.jpg"],
   "x-amz-copy-source-range copies a slice; sources by branch, tag and commit id")
cid = s3.create_multipart_upload(Bucket="repo", Key=key)["UploadId"]
src = {"Bucket": "repo", "Key": "main/raw/big.bin"}
ok(error_of(s3.upload_part_copy, Bucket="repo", Key=key, UploadId=cid, PartNumber=1,
            CopySource={"Bucket": "repo", "Key": "main/no/such.bin"}) == (404, "NoSuchKey"),
   "UploadPartCopy of a missing source is 404 NoSuchKey")
ok(error_of(s3.upload_part_copy, Bucket="repo", Key=key, UploadId=cid, PartNumber=1,
            CopySource={"Bucket": "nope", "Key": "main/raw/big.bin"}) == (404, "NoSuchBucket"),
   "a source in a missing repository is 404 NoSuchBucket")
ok(error_of(s3.upload_part_copy, Bucket="repo", Key=key, UploadId=cid, PartNumber=1, CopySource=src,
            CopySourceRange="bytes=10-5") == (400, "InvalidArgument"),
   "a range whose end is before its start is 400 InvalidArgument")
ok(error_of(s3.upload_part_copy, Bucket="repo", Key=key, UploadId=cid, PartNumber=1, CopySource=src,
            CopySourceRange="bytes=0-") == (400, "InvalidArgument"),
   "an open-ended range is 400 InvalidArgument")
ok(error_of(s3.upload_part_copy, Bucket="repo", Key=key, UploadId=cid, PartNumber=1, CopySource=src,
            CopySourceRange="bytes=%d-%d" % (len(big), len(big) + 10)) == (416, "InvalidRange"),
   "a range past the source's end is 416 InvalidRange")
ok(error_of(s3.upload_part_copy, Bucket="repo", Key=key, UploadId="0" * 32, PartNumber=1, CopySource=src)
   == (404, "NoSuchUpload"), "UploadPartCopy into an unknown upload is 404 NoSuchUpload")
ok(error_of(s3.upload_part_copy, Bucket="repo", Key=key, UploadId=cid, PartNumber=10001, CopySource=src)
   == (400, "InvalidArgument"), "a part number past 10000 is 400 InvalidArgument")
ok(error_of(client("lk_gw_nobody").upload_part_copy, Bucket="repo", Key=key, UploadId=cid, PartNumber=1,
            CopySource=src) == (403, "AccessDenied"), "a role without privileges gets AccessDenied")
conn.execute("SELECT lakefs_create_repository('other', 's3://gateway/other-%d', server => 'minio')"
             % int(time.time() * 1000))
secret_bytes = os.urandom(3000)
conn.execute("SELECT lakefs_put_object('other', 'main', 'secret.bin', %s)", (secret_bytes,))
osrc = {"Bucket": "other", "Key": "main/secret.bin"}
ok(error_of(s3.upload_part_copy, Bucket="repo", Key=key, UploadId=cid, PartNumber=1, CopySource=osrc)
   == (403, "AccessDenied"), "a source in a repository the role cannot read is 403 AccessDenied")
ok(upload_objects(cid) == ["upload"], "failed part copies leave no part behind", upload_objects(cid))
conn.execute("SELECT lakefs_grant('other', 'lk_gw_writer', 'read')")
c1 = s3.upload_part_copy(Bucket="repo", Key=key, UploadId=cid, PartNumber=1, CopySource=osrc,
                         CopySourceRange="bytes=1000-1999")["CopyPartResult"]
s3.complete_multipart_upload(Bucket="repo", Key=key, UploadId=cid,
                             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": c1["ETag"]}]})
ok(s3.get_object(Bucket="repo", Key=key)["Body"].read() == secret_bytes[1000:2000],
   "with the read privilege granted, a part copies from another repository of the same store")
cid = s3.create_multipart_upload(Bucket="repo", Key=key)["UploadId"]
s3.abort_multipart_upload(Bucket="repo", Key=key, UploadId=cid)
ok(error_of(s3.create_multipart_upload, Bucket="repo", Key="v1/big/x.bin") == (400, "InvalidArgument"),
   "a multipart upload to a tag is refused")
ok(error_of(s3.upload_part, Bucket="repo", Key="experiment-1/big/x.bin", UploadId="not-an-id", PartNumber=1,
            Body=b"x") == (400, "InvalidArgument"), "a malformed upload id is 400 InvalidArgument")

# the S3A commit protocol, as Spark writes metrics/: part files under _temporary/,
# HEAD probes, a 0-byte directory marker, rename = CopyObject + DeleteObjects, _SUCCESS
job = "experiment-1/metrics/"
ok(error_of(s3.head_object, Bucket="repo", Key=job + "_SUCCESS") == (404, "404"), "S3A: the probe of _SUCCESS is 404")
s3.put_object(Bucket="repo", Key=job, Body=b"")
parts = {}
for i in range(3):
    parts["part-%05d.json" % i] = os.urandom(5000 + i)
    s3.put_object(Bucket="repo", Key=job + "_temporary/0/task_%d/part-%05d.json" % (i, i),
                  Body=parts["part-%05d.json" % i])
for i, name in enumerate(parts):
    s3.copy_object(Bucket="repo", Key=job + name,
                   CopySource={"Bucket": "repo", "Key": job + "_temporary/0/task_%d/%s" % (i, name)})
tmp = [o["Key"] for o in s3.list_objects_v2(Bucket="repo", Prefix=job + "_temporary/")["Contents"]]
s3.delete_objects(Bucket="repo", Delete={"Objects": [{"Key": k} for k in tmp], "Quiet": True})
s3.put_object(Bucket="repo", Key=job + "_SUCCESS", Body=b"")
r = s3.list_objects_v2(Bucket="repo", Prefix=job, Delimiter="/")
ok(sorted(o["Key"][len(job):] for o in r["Contents"]) == sorted(["", "_SUCCESS"] + list(parts))
   and "CommonPrefixes" not in r, "S3A: after the rename only the parts, the marker and _SUCCESS remain",
   [o["Key"] for o in r["Contents"]])
s3a_commit = one("SELECT lakefs_commit('repo', 'experiment-1', 'metrics')")[0]
ok(all(s3.get_object(Bucket="repo", Key="%s/metrics/%s" % (s3a_commit, n))["Body"].read() == b
       for n, b in parts.items()), "S3A: the committed parts read back by commit id")

# presigned URLs work with a plain HTTP client
url = s3.generate_presigned_url("get_object", Params={"Bucket": "repo", "Key": "main/raw/Images/cat/0.jpg"},
                                ExpiresIn=60)
ok(urllib.request.urlopen(url).read() == images["raw/Images/cat/0.jpg"], "a presigned GET URL works with urllib")
url = s3.generate_presigned_url("put_object", Params={"Bucket": "repo", "Key": "experiment-1/presigned.txt"},
                                ExpiresIn=60)
req = urllib.request.Request(url, data=b"via presigned PUT", method="PUT")
urllib.request.urlopen(req).read()
ok(s3.get_object(Bucket="repo", Key="experiment-1/presigned.txt")["Body"].read() == b"via presigned PUT",
   "a presigned PUT URL uploads (UNSIGNED-PAYLOAD)")
url = s3.generate_presigned_url("get_object", Params={"Bucket": "repo", "Key": "main/raw/Images/cat/0.jpg"},
                                ExpiresIn=1)
time.sleep(2)
try:
    urllib.request.urlopen(url)
    code = 200
except urllib.error.HTTPError as e:
    code = e.code
ok(code == 403, "an expired presigned URL is 403")


# ---------------------------------------------------------------- by hand
def sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def raw_request(method, path, body=b"", headers=None, role="lk_gw_writer", when=None, payload_hash=None,
                send_body=None):
    """A SigV4 header-auth request written by hand (for what boto3 never sends)."""
    akid, secret = keys[role]
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    headers = dict(headers or {})
    headers["host"] = "127.0.0.1:%d" % PORT
    headers["x-amz-date"] = amz_date
    headers["x-amz-content-sha256"] = payload_hash or hashlib.sha256(body).hexdigest()
    names = sorted(h.lower() for h in headers)
    canon = "\n".join([method, urllib.parse.quote(path, safe="/~"), "",
                       "".join("%s:%s\n" % (n, headers[n]) for n in names), ";".join(names),
                       headers["x-amz-content-sha256"]])
    scope = "%s/us-east-1/s3/aws4_request" % date
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canon.encode()).hexdigest()])
    k = sign(sign(sign(sign(("AWS4" + secret).encode(), date), "us-east-1"), "s3"), "aws4_request")
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        akid, scope, ";".join(names), sig)
    return headers, k, sig, amz_date, scope


def send(method, path, headers, body):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=30)
    head = "%s %s HTTP/1.1\r\n" % (method, urllib.parse.quote(path, safe="/~"))
    head += "".join("%s: %s\r\n" % kv for kv in headers.items())
    s.sendall(head.encode() + b"\r\n" + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        if b"\r\n\r\n" in data:
            hdr, _, rest = data.partition(b"\r\n\r\n")
            cl = [int(line.split(b":")[1]) for line in hdr.split(b"\r\n") if line.lower().startswith(b"content-length:")]
            if cl and len(rest) >= cl[0]:
                break
    s.close()
    return int(data.split(b" ")[1]) if data else 0, data


def chunked_body(chunks, k, seed, amz_date, scope, corrupt=None):
    out, prev = b"", seed
    for i, c in enumerate(chunks + [b""]):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev,
                         hashlib.sha256(b"").hexdigest(), hashlib.sha256(c).hexdigest()])
        sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        prev = sig
        if corrupt == i:
            sig = "0" * 64
        out += b"%x;chunk-signature=%s\r\n" % (len(c), sig.encode()) + c + b"\r\n"
    return out


def put_chunked(path, chunks, corrupt=None, malformed=False, truncate=False):
    data = b"".join(chunks)
    hdrs = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))}
    headers, k, seed, amz_date, scope = raw_request("PUT", path, headers=hdrs,
                                                    payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    body = chunked_body(chunks, k, seed, amz_date, scope, corrupt)
    if malformed:
        body = body.replace(b";chunk-signature=", b";chunk-signatur=", 1)
    if truncate:
        body = body[:-90]
    headers["content-length"] = str(len(body))
    return send("PUT", path, headers, body)


chunks = [os.urandom(65536), os.urandom(65536), os.urandom(1000)]
status, _ = put_chunked("/repo/experiment-1/chunked.bin", chunks)
got = s3.get_object(Bucket="repo", Key="experiment-1/chunked.bin")["Body"].read() if status == 200 else None
ok(status == 200 and got == b"".join(chunks), "an aws-chunked upload with every chunk signed is stored", status)
status, data = put_chunked("/repo/experiment-1/badsig.bin", chunks, corrupt=1)
ok(status == 403 and b"SignatureDoesNotMatch" in data, "a chunk with a wrong signature is refused (403)", status)
status, data = put_chunked("/repo/experiment-1/malformed.bin", chunks, malformed=True)
ok(status == 400 and b"IncompleteBody" in data, "a malformed aws-chunked chunk header is refused (400)", status)
status, data = put_chunked("/repo/experiment-1/truncated.bin", chunks, truncate=True)
ok(status == 400 and b"IncompleteBody" in data, "an aws-chunked body without its final chunk is refused (400)",
   status)
ok(one("SELECT count(*) FROM lakefs_staged('repo', 'experiment-1') "
       "WHERE path IN ('badsig.bin', 'malformed.bin', 'truncated.bin')")[0] == 0, "and none of them is staged")



body = b"signed payload"
headers, *_ = raw_request("PUT", "/repo/experiment-1/hash.txt", body=body)
headers["content-length"] = str(len(body))
status, data = send("PUT", "/repo/experiment-1/hash.txt", headers, b"signed paylaod")
ok(status == 400 and b"XAmzContentSHA256Mismatch" in data, "a body that does not match its signed SHA-256 is refused",
   status)


# Content-MD5 and x-amz-checksum-*: checked as the body streams, as S3 does
def put_checked(key, body, hdrs, sent=None):
    headers, *_ = raw_request("PUT", "/repo/experiment-1/" + key, headers=hdrs, payload_hash="UNSIGNED-PAYLOAD")
    headers["content-length"] = str(len(sent if sent is not None else body))
    return send("PUT", "/repo/experiment-1/" + key, headers, sent if sent is not None else body)


def b64(d):
    return base64.b64encode(d).decode()


digests = {"crc32": lambda b: zlib.crc32(b).to_bytes(4, "big"), "sha1": lambda b: hashlib.sha1(b).digest(),
           "sha256": lambda b: hashlib.sha256(b).digest()}
body = os.urandom(200_000)
status, _ = put_checked("ck/md5.bin", body, {"content-md5": b64(hashlib.md5(body).digest())})
ok(status == 200 and s3.get_object(Bucket="repo", Key="experiment-1/ck/md5.bin")["Body"].read() == body,
   "PutObject with a right Content-MD5 is stored", status)
status, data = put_checked("ck/md5-bad.bin", body, {"content-md5": b64(hashlib.md5(body).digest())},
                           sent=body[:-1] + bytes([body[-1] ^ 1]))
ok(status == 400 and b"<Code>BadDigest</Code>" in data, "a body that does not match its Content-MD5 is 400 BadDigest",
   status)
status, data = put_checked("ck/md5-malformed.bin", body, {"content-md5": "not-base64"})
ok(status == 400 and b"<Code>InvalidDigest</Code>" in data, "a malformed Content-MD5 is 400 InvalidDigest", status)
ok(error_of(s3.put_object, Bucket="repo", Key="experiment-1/ck/boto-md5.bin", Body=b"abc",
            ContentMD5=b64(hashlib.md5(b"abd").digest())) == (400, "BadDigest"),
   "boto3 put_object with a wrong ContentMD5 is 400 BadDigest")
for algo, fn in digests.items():
    status, _ = put_checked("ck/%s.bin" % algo, body, {"x-amz-checksum-" + algo: b64(fn(body))})
    ok(status == 200 and s3.get_object(Bucket="repo", Key="experiment-1/ck/%s.bin" % algo)["Body"].read() == body,
       "PutObject with a right x-amz-checksum-%s is stored" % algo, status)
    status, data = put_checked("ck/%s-bad.bin" % algo, body, {"x-amz-checksum-" + algo: b64(fn(body + b"x"))})
    ok(status == 400 and b"<Code>BadDigest</Code>" in data,
       "a body that does not match its x-amz-checksum-%s is 400 BadDigest" % algo, status)
status, data = put_checked("ck/crc32-malformed.bin", body, {"x-amz-checksum-crc32": "AAAA"})
ok(status == 400 and b"<Code>InvalidRequest</Code>" in data, "a malformed x-amz-checksum-crc32 is 400 InvalidRequest",
   status)
status, data = put_checked("ck/two.bin", body, {"x-amz-checksum-crc32": b64(digests["crc32"](body)),
                                                "x-amz-checksum-sha1": b64(digests["sha1"](body))})
ok(status == 400 and b"<Code>InvalidRequest</Code>" in data, "two x-amz-checksum-* headers are 400 InvalidRequest",
   status)
status, data = put_checked("ck/crc32c.bin", body, {"x-amz-checksum-crc32c": "AAAAAA=="})
ok(status == 501 and b"<Code>NotImplemented</Code>" in data, "x-amz-checksum-crc32c is 501 NotImplemented", status)
ok(sorted(p for (p,) in conn.execute("SELECT path FROM lakefs_staged('repo', 'experiment-1') WHERE path LIKE 'ck/%'"))
   == ["ck/crc32.bin", "ck/md5.bin", "ck/sha1.bin", "ck/sha256.bin"], "no body that failed a check is staged")
mp = s3.create_multipart_upload(Bucket="repo", Key="experiment-1/ck/parts.bin")
good = s3.upload_part(Bucket="repo", Key="experiment-1/ck/parts.bin", UploadId=mp["UploadId"], PartNumber=1,
                      Body=b"good part")["ETag"]
ok(error_of(s3.upload_part, Bucket="repo", Key="experiment-1/ck/parts.bin", UploadId=mp["UploadId"], PartNumber=1,
            Body=b"bad part!", ContentMD5=b64(hashlib.md5(b"other").digest())) == (400, "BadDigest"),
   "UploadPart with a wrong Content-MD5 is 400 BadDigest")
parts = s3.list_parts(Bucket="repo", Key="experiment-1/ck/parts.bin", UploadId=mp["UploadId"])["Parts"]
ok([(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, good, 9)],
   "and the part uploaded before is still the one listed", parts)
s3.abort_multipart_upload(Bucket="repo", Key="experiment-1/ck/parts.bin", UploadId=mp["UploadId"])

# aws-chunked bodies with a trailing checksum (botocore >= 1.36 sends them by default
# over HTTPS): STREAMING-UNSIGNED-PAYLOAD-TRAILER and STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
def put_trailer(key, chunks, algo="crc32", signed=False, value=None, bad_sig=False, cut=0):
    data = b"".join(chunks)
    name = "x-amz-checksum-" + algo
    value = value or b64(digests[algo](data) if algo in digests else b"\0" * 4)
    hdrs = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)), "x-amz-trailer": name}
    path = "/repo/experiment-1/" + key
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" if signed else "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    headers, k, seed, amz_date, scope = raw_request("PUT", path, headers=hdrs, payload_hash=mode)
    trailer = "%s:%s" % (name, value)
    if signed:
        body = chunked_body(chunks, k, seed, amz_date, scope)[:-2]   # the final chunk without its CRLF
        final = body[body.rindex(b"chunk-signature=") + 16:-2].decode()
        sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, final,
                         hashlib.sha256((trailer + "\n").encode()).hexdigest()])
        sig = "0" * 64 if bad_sig else hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        body += ("%s\r\nx-amz-trailer-signature:%s\r\n\r\n" % (trailer, sig)).encode()
    else:
        body = b"".join(b"%x\r\n" % len(c) + c + b"\r\n" for c in chunks)
        body += ("0\r\n%s\r\n\r\n" % trailer).encode()
    if cut:
        body = body[:-cut]
    headers["content-length"] = str(len(body))
    return send("PUT", path, headers, body)


for signed in (False, True):
    kind = "signed" if signed else "unsigned"
    for algo in ("crc32", "sha256"):
        status, data = put_trailer("tr/%s-%s.bin" % (kind, algo), chunks, algo=algo, signed=signed)
        got = s3.get_object(Bucket="repo", Key="experiment-1/tr/%s-%s.bin" % (kind, algo))["Body"].read() \
            if status == 200 else data
        ok(status == 200 and got == b"".join(chunks),
           "a %s aws-chunked body with a trailing x-amz-checksum-%s is stored" % (kind, algo), (status, got[:200]))
    status, data = put_trailer("tr/%s-corrupt.bin" % kind, chunks, signed=signed,
                               value=b64(digests["crc32"](b"other")))
    ok(status == 400 and b"<Code>BadDigest</Code>" in data,
       "a %s trailer whose checksum does not match the body is 400 BadDigest" % kind, status)
    status, data = put_trailer("tr/%s-cut.bin" % kind, chunks, signed=signed, cut=10)
    ok(status == 400 and b"<Code>IncompleteBody</Code>" in data, "a %s body with a truncated trailer is 400" % kind,
       status)
status, data = put_trailer("tr/badsig.bin", chunks, signed=True, bad_sig=True)
ok(status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in data,
   "a trailer with a wrong x-amz-trailer-signature is 403 SignatureDoesNotMatch", status)
status, data = put_trailer("tr/crc32c.bin", chunks, algo="crc32c")
ok(status == 501 and b"<Code>NotImplemented</Code>" in data, "a trailing x-amz-checksum-crc32c is 501 NotImplemented",
   status)
ok(sorted(p for (p,) in conn.execute("SELECT path FROM lakefs_staged('repo', 'experiment-1') WHERE path LIKE 'tr/%'"))
   == ["tr/signed-crc32.bin", "tr/signed-sha256.bin", "tr/unsigned-crc32.bin", "tr/unsigned-sha256.bin"],
   "no trailer body that failed a check is staged")


def as_trailer(params, **kw):
    """botocore sends a trailing checksum over HTTPS only: ask for it over HTTP too"""
    algo = params.get("context", {}).get("checksum", {}).get("request_algorithm")
    if isinstance(algo, dict):
        algo["in"] = "trailer"


tc = client()
tc.meta.events.register("before-call.s3.PutObject", as_trailer)
tc.meta.events.register("before-call.s3.UploadPart", as_trailer)
sent_modes = []
tc.meta.events.register("before-send.s3", lambda request, **kw: sent_modes.append(
    request.headers.get("x-amz-content-sha256", b"")))
tc.put_object(Bucket="repo", Key="experiment-1/tr/botocore.bin", Body=b"".join(chunks), ChecksumAlgorithm="CRC32")
ok(s3.get_object(Bucket="repo", Key="experiment-1/tr/botocore.bin")["Body"].read() == b"".join(chunks),
   "botocore's own STREAMING-UNSIGNED-PAYLOAD-TRAILER put_object (x-amz-checksum-crc32 trailer) is stored")
mp = tc.create_multipart_upload(Bucket="repo", Key="experiment-1/tr/botocore-mp.bin")
et = tc.upload_part(Bucket="repo", Key="experiment-1/tr/botocore-mp.bin", UploadId=mp["UploadId"], PartNumber=1,
                    Body=b"".join(chunks), ChecksumAlgorithm="SHA256")["ETag"]
tc.complete_multipart_upload(Bucket="repo", Key="experiment-1/tr/botocore-mp.bin", UploadId=mp["UploadId"],
                             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": et}]})
ok(s3.get_object(Bucket="repo", Key="experiment-1/tr/botocore-mp.bin")["Body"].read() == b"".join(chunks),
   "and so is its UploadPart with an x-amz-checksum-sha256 trailer")
ok([m for m in sent_modes if b"TRAILER" in bytes(m if isinstance(m, bytes) else m.encode())] ==
   [b"STREAMING-UNSIGNED-PAYLOAD-TRAILER"] * 2, "botocore did send those two bodies with a trailer", sent_modes)
try:
    trailer_cfg = botocore.config.Config(request_checksum_calculation="when_supported")
except TypeError:
    trailer_cfg = None
if trailer_cfg is None:
    note("botocore %s has no request_checksum_calculation: its trailer bodies are not tried" % botocore.__version__)
else:
    c = client(request_checksum_calculation="when_supported")
    c.put_object(Bucket="repo", Key="experiment-1/tr/boto.bin", Body=b"".join(chunks), ChecksumAlgorithm="CRC32")
    ok(c.get_object(Bucket="repo", Key="experiment-1/tr/boto.bin")["Body"].read() == b"".join(chunks),
       "botocore's own checksummed put_object is stored")


old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
headers, *_ = raw_request("GET", "/repo", when=old)
status, data = send("GET", "/repo", headers, b"")
ok(status == 403 and b"RequestTimeTooSkewed" in data, "a request signed 20 minutes ago is RequestTimeTooSkewed",
   status)

# a Content-Length that lies: the client sends half and goes away
headers, *_ = raw_request("PUT", "/repo/experiment-1/liar.bin", payload_hash="UNSIGNED-PAYLOAD")
headers["content-length"] = "100000"
s = socket.create_connection(("127.0.0.1", PORT), timeout=30)
s.sendall(("PUT /repo/experiment-1/liar.bin HTTP/1.1\r\n" + "".join("%s: %s\r\n" % kv for kv in headers.items())
           + "\r\n").encode() + b"x" * 50000)
time.sleep(0.3)
s.close()
time.sleep(0.5)
ok(one("SELECT count(*) FROM lakefs_staged('repo', 'experiment-1') WHERE path = 'liar.bin'")[0] == 0,
   "a client that disconnects mid-upload stages nothing")

# ---------------------------------------------------------------- errors
ok(error_of(client(secret="wrong" * 8).list_buckets) == (403, "SignatureDoesNotMatch"),
   "a wrong secret is 403 SignatureDoesNotMatch")
ok(error_of(client(akid="AKPGNOSUCHKEY0000000").list_buckets) == (403, "InvalidAccessKeyId"),
   "an unknown key is 403 InvalidAccessKeyId")
ok(error_of(s3.put_object, Bucket="repo", Key="v1/x.txt", Body=b"x") == (400, "InvalidArgument"),
   "a write to a tag is refused")
ok(error_of(s3.put_object, Bucket="repo", Key="%s/x.txt" % main_commit, Body=b"x") == (400, "InvalidArgument"),
   "a write to a commit id is refused")
# a key whose role may write some branches only: a write to a tag is still the documented 400
conn.execute("SELECT lakefs_grant('repo', 'lk_gw_reader', 'write', branches => 'model-*')")
partial = client("lk_gw_reader")
for what, call in (("PutObject", lambda: partial.put_object(Bucket="repo", Key="v1/x.txt", Body=b"x")),
                   ("DeleteObject", lambda: partial.delete_object(Bucket="repo", Key="v1/raw/big.bin")),
                   ("CopyObject", lambda: partial.copy_object(Bucket="repo", Key="v1/copy.bin",
                                                              CopySource={"Bucket": "repo", "Key": "main/raw/big.bin"})),
                   ("CreateMultipartUpload", lambda: partial.create_multipart_upload(Bucket="repo", Key="v1/mp.bin"))):
    got = error_of(call)
    ok(got == (400, "InvalidArgument"),
       "%s to a tag with a key that may write some branches only is 400 InvalidArgument" % what, got)
ok(error_of(partial.put_object, Bucket="repo", Key="%s/x.txt" % main_commit, Body=b"x") == (400, "InvalidArgument"),
   "and so is a write to a commit id")
ok(error_of(partial.put_object, Bucket="repo", Key="main/x.txt", Body=b"x") == (403, "AccessDenied"),
   "while a write to a branch outside its grant stays 403 AccessDenied")
conn.execute("SELECT lakefs_revoke('repo', 'lk_gw_reader', 'write', branches => 'model-*')")
# a NUL byte in a key would cut it (and its signature would then not match)
ok(error_of(s3.put_object, Bucket="repo", Key="experiment-1/nul\x00x", Body=b"x") == (400, "InvalidArgument"),
   "PutObject of a key with a NUL byte is 400 InvalidArgument")
ok(error_of(s3.get_object, Bucket="repo", Key="main/nul\x00x") == (400, "InvalidArgument"),
   "and so is GetObject")
ok(error_of(s3.list_objects_v2, Bucket="repo", Prefix="main/nul\x00") == (400, "InvalidArgument"),
   "and a listing whose prefix has one")
ok(error_of(s3.copy_object, Bucket="repo", Key="experiment-1/nulcopy.bin",
            CopySource={"Bucket": "repo", "Key": "main/raw/big\x00.bin"}) == (400, "InvalidArgument"),
   "and a copy source with one")
ok(one("SELECT count(*) FROM lakefs_staged('repo', 'experiment-1') WHERE path LIKE 'nul%%'")[0] == 0,
   "nothing is staged for them")
ok(s3.head_bucket(Bucket="repo")["ResponseMetadata"]["HTTPStatusCode"] == 200,
   "the next request on the connection is served")
r = s3.list_objects_v2(Bucket="repo", Prefix="nosuchbranch/", Delimiter="/")
ok(r["ResponseMetadata"]["HTTPStatusCode"] == 200 and r["KeyCount"] == 0 and "Contents" not in r
   and "CommonPrefixes" not in r and not r["IsTruncated"],
   "listing an unknown ref is an empty listing (200), as a prefix that matches nothing", r.get("KeyCount"))
r = s3.list_objects(Bucket="repo", Prefix="nosuchbranch/raw/")
ok(r["ResponseMetadata"]["HTTPStatusCode"] == 200 and "Contents" not in r, "also for ListObjects v1")
ok(error_of(client("lk_gw_nobody").list_objects_v2, Bucket="repo", Prefix="nosuchbranch/") == (403, "AccessDenied"),
   "while a role without read on the repository still gets AccessDenied")
ok(error_of(s3.list_objects_v2, Bucket="nope", Prefix="main/") == (404, "NoSuchBucket"),
   "a missing repository is 404 NoSuchBucket")
ok(error_of(s3.get_object, Bucket="nope", Key="main/x") == (404, "NoSuchBucket"),
   "also for GetObject")
ok(error_of(s3.get_object, Bucket="repo", Key="main/no/such/key") == (404, "NoSuchKey"),
   "a missing key is 404 NoSuchKey")
ok(error_of(s3.get_object, Bucket="repo", Key="no-such-ref/raw/big.bin") == (404, "NoSuchKey"),
   "a missing ref is 404 NoSuchKey")
reader = client("lk_gw_reader")
ok(reader.get_object(Bucket="repo", Key="main/raw/Images/cat/0.jpg")["Body"].read() == images["raw/Images/cat/0.jpg"],
   "a role with read grants reads")
ok(error_of(reader.put_object, Bucket="repo", Key="experiment-1/r.txt", Body=b"x") == (403, "AccessDenied"),
   "a role without write privilege gets AccessDenied for a write")
ok(error_of(client("lk_gw_nobody").list_objects_v2, Bucket="repo", Prefix="main/") == (403, "AccessDenied"),
   "a role without any grant gets AccessDenied for a listing")
ok(error_of(s3.get_bucket_acl, Bucket="repo") == (501, "NotImplemented"),
   "what the gateway does not serve is 501 NotImplemented")
try:
    urllib.request.urlopen(ENDPOINT + "/repo")
    code = 200
except urllib.error.HTTPError as e:
    code = e.code
ok(code == 403, "an anonymous request is 403")

# garbage on the wire: malformed requests and signatures never take the gateway down
garbage = [
    b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=/,SignedHeaders=,Signature=\r\n\r\n",
    b"GET /repo HTTP/1.1\r\nHost: x\r\nx-amz-date: 2026\r\nAuthorization: AWS4-HMAC-SHA256 "
    b"Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\n\r\n",
    b"GET /repo?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Expires=-1 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /repo/%zz%00%ff?prefix=%ff&max-keys=abc HTTP/1.1\r\nHost: x\r\n\r\n",
    b"BREW /repo/main/x HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"PUT /repo/main/x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"PUT /repo/main/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"\x00\x01\x02 garbage\r\n\r\n",
]
statuses = []
for g in garbage:
    try:
        sock = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        sock.sendall(g)
        statuses.append(sock.recv(100)[:12])
        sock.close()
    except OSError as e:
        statuses.append(repr(e))
ok(gw.poll() is None and s3.head_bucket(Bucket="repo")["ResponseMetadata"]["HTTPStatusCode"] == 200,
   "%d malformed requests later the gateway still serves" % len(garbage), statuses)
for sig in ("x" * 64, "0" * 63, ""):
    headers, *_ = raw_request("GET", "/repo")
    headers["authorization"] = headers["authorization"].rsplit("Signature=", 1)[0] + "Signature=" + sig
    status, data = send("GET", "/repo", headers, b"")
    statuses.append(status)
ok(statuses[-3:] == [403, 403, 403], "garbled signatures are 403", statuses[-3:])

# 100 concurrent connections
results = []


def worker(n):
    try:
        c = client()
        a = c.list_objects_v2(Bucket="repo", Prefix="main/raw/Images/cat/")["KeyCount"] == 3
        b = c.get_object(Bucket="repo", Key="main/raw/Images/dog/%d.jpg" % (n % 3))["Body"].read() == \
            images["raw/Images/dog/%d.jpg" % (n % 3)]
        results.append(a and b)
    except Exception as e:  # noqa: BLE001
        results.append(repr(e))


threads = [threading.Thread(target=worker, args=(n,)) for n in range(100)]
for t in threads:
    t.start()
for t in threads:
    t.join()
ok(results.count(True) == 100, "100 concurrent clients list and read correctly",
   [r for r in results if r is not True][:3])
ok(gw.poll() is None, "the gateway is still running after all of it")

# the signing-key cache: a verified key's day-scoped signing key is kept (--key-cache,
# default 60 s) and dropped when lakefs_delete_access_key notifies lakefs_access_keys
akid, secret = one("SELECT access_key_id, secret_access_key FROM lakefs_create_access_key('lk_gw_reader')")
cached = client(akid=akid, secret=secret)
ok(cached.head_bucket(Bucket="repo")["ResponseMetadata"]["HTTPStatusCode"] == 200 and
   cached.head_bucket(Bucket="repo")["ResponseMetadata"]["HTTPStatusCode"] == 200,
   "a new key works, twice (the second time from the cache)")
ok(error_of(client(akid=akid, secret="x" * 40).head_bucket, Bucket="repo") == (403, "403"),
   "a cached key with a wrong signature is refused")
ok(error_of(client(akid=akid, secret="x" * 40).list_objects_v2, Bucket="repo", Prefix="main/")
   == (403, "SignatureDoesNotMatch"), "with SignatureDoesNotMatch")
conn.execute("SELECT lakefs_delete_access_key(%s)", (akid,))
refused = None
for _ in range(50):   # the notification arrives asynchronously: at most 5 s
    refused = error_of(cached.list_objects_v2, Bucket="repo", Prefix="main/")
    if refused:
        break
    time.sleep(0.1)
ok(refused == (403, "InvalidAccessKeyId"), "a deleted key is refused: its cached signing key is dropped", refused)
for bad in (["--key-cache", "-1"], ["--key-cache", "x"], ["--key-cache", "3601"], ["--redirect-get", "sometimes"]):
    r = subprocess.run([gateway_binary(), "--dsn", dsn] + bad, capture_output=True, text=True, timeout=10)
    ok(r.returncode == 2 and bad[0] in r.stderr, "%s %s is refused with status 2" % tuple(bad), r.stderr)

# --redirect-get: GetObject answers 307 with a presigned URL of the store object
def start_gateway(*args):
    port = free_port()
    g = subprocess.Popen([gateway_binary(), "--dsn", dsn, "--listen", "127.0.0.1:%d" % port,
                          "--workers", "2", "--log-level", "info"] + list(args), stdout=log, stderr=log)
    atexit.register(lambda: g.poll() is None and g.kill())
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return g, port


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


def fetch(url, follow=True):
    """(status, Location, body) of a GET of url."""
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url) as r:
            return r.status, r.headers.get("Location"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location"), e.read()


def ask_presign(request, **kw):
    request.url += ("&" if "?" in request.url else "?") + "presign=true"


cat = images["raw/Images/cat/2.jpg"]
for mode in ("ask", "always"):
    g, port = start_gateway("--redirect-get", mode)
    c = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                     aws_access_key_id=keys["lk_gw_reader"][0], aws_secret_access_key=keys["lk_gw_reader"][1],
                     config=botocore.config.Config(retries={"max_attempts": 0}, signature_version="s3v4"))
    plain = c.generate_presigned_url("get_object", Params={"Bucket": "repo", "Key": "main/raw/Images/cat/2.jpg"})
    c.meta.events.register("before-sign.s3.GetObject", ask_presign)
    asking = c.generate_presigned_url("get_object", Params={"Bucket": "repo", "Key": "main/raw/Images/cat/2.jpg"})
    status, location, body = fetch(asking, follow=False)
    ok(status == 307 and location.startswith(env["LAKEFS_S3_ENDPOINT"]) and "X-Amz-Signature=" in location,
       "%s: a GET with presign=true answers 307 to a presigned store URL" % mode, (status, location))
    ok(fetch(asking) == (200, None, cat), "%s: urllib follows it to the object's bytes" % mode)
    status, location, body = fetch(plain, follow=False)
    ok((status, body) == ((200, cat) if mode == "ask" else (307, b"")),
       "%s: without presign=true the gateway %s" % (mode, "streams the bytes itself" if mode == "ask" else "redirects too"))
    r = subprocess.run(["curl", "-sS", "-L", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                        "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "%s:%s" % keys["lk_gw_reader"],
                        "http://127.0.0.1:%d/repo/main/raw/Images/cat/2.jpg?presign=true" % port],
                       capture_output=True, timeout=30)
    ok(r.returncode == 0 and r.stdout == cat, "%s: curl -L --aws-sigv4 follows the redirect" % mode, r.stderr)
    ok(fetch(c.generate_presigned_url("get_object", Params={"Bucket": "repo", "Key": "main/no/such.jpg"}))[0] == 404,
       "%s: a missing key is 404, not a redirect" % mode)
    ok(c.head_object(Bucket="repo", Key="main/raw/Images/cat/2.jpg")["ContentLength"] == len(cat),
       "%s: HeadObject is answered by the gateway" % mode)
    g.terminate()
    ok(g.wait(timeout=15) == 0, "%s: the gateway stops" % mode)

# prepared statements: a pipeline that fails before a statement's Parse (the gateway
# cannot become the key's role) must not leave that statement marked as prepared
conn.execute("DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'lk_gw_stranger') THEN "
             "EXECUTE 'DROP OWNED BY lk_gw_stranger'; EXECUTE 'DROP ROLE lk_gw_stranger'; END IF; END $$")
conn.execute("CREATE ROLE lk_gw_stranger")
conn.execute("SELECT lakefs_grant('repo', 'lk_gw_stranger', 'read')")
stranger = one("SELECT access_key_id, secret_access_key FROM lakefs_create_access_key('lk_gw_stranger')")
g, port = start_gateway("--workers", "1")
c1 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                  aws_access_key_id=stranger[0], aws_secret_access_key=stranger[1],
                  config=botocore.config.Config(retries={"max_attempts": 0}, signature_version="s3v4"))
ok(error_of(c1.get_object, Bucket="repo", Key="main/raw/Images/cat/2.jpg") == (403, "AccessDenied"),
   "a key whose role the gateway's login role was not granted is 403 AccessDenied")
c2 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                  aws_access_key_id=keys["lk_gw_reader"][0], aws_secret_access_key=keys["lk_gw_reader"][1],
                  config=botocore.config.Config(retries={"max_attempts": 0}, signature_version="s3v4"))
ok(c2.get_object(Bucket="repo", Key="main/raw/Images/cat/2.jpg")["Body"].read() == cat and
   c2.get_object(Bucket="repo", Key="main/raw/Images/cat/2.jpg")["Body"].read() == cat,
   "the same statement then runs on the same connection, prepared anew")
g.terminate()
g.wait(timeout=15)

# a key whose role has no user mapping for the store (and no PUBLIC one): a setup
# error, 403 AccessDenied naming the fix in the gateway's log, never NoSuchKey
um = one("SELECT umoptions FROM pg_user_mappings WHERE srvname = 'minio' AND usename = 'public'")[0]
conn.execute("DROP USER MAPPING FOR PUBLIC SERVER minio")
try:
    ok(error_of(client("lk_gw_reader").get_object, Bucket="repo",
                Key="main/raw/Images/cat/2.jpg") == (403, "AccessDenied"),
       "a role without a user mapping for the store: GetObject is 403 AccessDenied, not NoSuchKey")
finally:
    conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER minio OPTIONS (%s)" % ", ".join(
        "%s %s" % (o.split("=", 1)[0], "'" + o.split("=", 1)[1].replace("'", "''") + "'") for o in um))
ok(one("SELECT umoptions FROM pg_user_mappings WHERE srvname = 'minio' AND usename = 'public'")[0] == um,
   "the PUBLIC mapping is back as it was")

# SIGTERM: finishes what it can and exits 0, also with a client that stalls mid-download
slow = urllib.request.urlopen(s3.generate_presigned_url(
    "get_object", Params={"Bucket": "repo", "Key": "main/raw/big.bin"}, ExpiresIn=60))
slow.read(1024)
t0 = time.time()
gw.terminate()
try:
    rc = gw.wait(timeout=15)
except subprocess.TimeoutExpired:
    gw.kill()
    rc = None
ok(rc == 0 and time.time() - t0 < 10,
   "SIGTERM stops the gateway with status 0 within 10 s, a stalled download in flight (%s, %.1f s)"
   % (rc, time.time() - t0))
slow.close()
nkeys = one("SELECT count(*) FROM lakefs_access_keys")[0]
conn.execute("SELECT lakefs_delete_access_key(%s)", (keys["lk_gw_nobody"][0],))
ok(one("SELECT count(*) FROM lakefs_access_keys")[0] == nkeys - 1 and
   one("SELECT count(*) FROM lakefs_access_keys WHERE access_key_id = %s", keys["lk_gw_nobody"][0])[0] == 0,
   "lakefs_delete_access_key removes a key")
done()
