"""test/t/s3_faults.py — replies that break the S3 protocol, and requests that must
never be sent, against the local stub S3 (test/lib/stub_server.py s3).

Each case checks the SQLSTATE and that the catalog is unchanged. Covered: header
injection through content_type and session_token (22023; the stub never sees the
injected header), GET bodies shorter or longer than announced, an early close
without a length (08P01), a wrong body under a plain-MD5 ETag (XX001), listings out
of order, with a duplicate or a key outside the prefix (08P01), a PUT reply without
ETag and a HEAD reply without Content-Length (08P01), a kept-alive connection the
server drops under a PUT and a multipart part (retried), and a cancel during a
multipart upload to a store that stopped answering (returns at once, not after an
abort timeout). Needs no S3 test server; runs with test/run's cluster.
"""
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from lakefs_test import connect, done, fresh_database, note, ok  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
INJECT = "text/plain\r\nX-Amz-Acl: public-read-write"

tmp = tempfile.mkdtemp()
portfile = os.path.join(tmp, "port")
stub = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "test/lib/stub_server.py"),
                         "s3", portfile])
for _ in range(200):
    if os.path.exists(portfile):
        break
    time.sleep(0.05)
port = int(open(portfile).read())


def control(path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST" if path != "/_stub/log" else "GET", path)
    body = c.getresponse().read()
    c.close()
    return body


def fault(name):
    control("/_stub/fault?name=" + name)
    control("/_stub/reset")


def stub_log():
    return json.loads(control("/_stub/log"))


conninfo = fresh_database("lakefs_t_s3_faults")
db = connect(conninfo)


def one(sql, args=()):
    return db.execute(sql, args).fetchone()


def fails(desc, sql, sqlstate, args=(), msg=None, conn=None):
    """sql must fail with sqlstate (and msg in the message); returns the error."""
    try:
        (conn or db).execute(sql, args)
        ok(False, desc, "no error")
        return None
    except Exception as e:  # noqa: BLE001
        state = getattr(e, "sqlstate", None)
        good = state == sqlstate and (msg is None or msg in text(e))
        ok(good, "%s: %s" % (desc, sqlstate), "%s: %s" % (state, text(e)))
        return e


def text(e):
    """The whole report of an error: message, detail, hint, context."""
    d = getattr(e, "diag", None)
    if d is None:
        return str(e)
    return "\n".join(x for x in (d.message_primary, d.message_detail, d.message_hint,
                                  d.context) if x)


def catalog():
    """Everything a failed call must leave as it was: entries and staging rows."""
    return one("SELECT coalesce(string_agg(path || '|' || physical_address || '|' || size "
               "|| '|' || coalesce(checksum, ''), ',' ORDER BY path), ''), "
               "(SELECT count(*) FROM lakefs.staging) FROM lakefs_ls('faults', 'main')")


try:
    db.execute("CREATE SERVER stub FOREIGN DATA WRAPPER lakefs_s3 OPTIONS "
               "(endpoint 'http://127.0.0.1:%d', url_style 'path', max_retries '0', "
               "request_timeout '20s')" % port)
    db.execute("CREATE USER MAPPING FOR PUBLIC SERVER stub OPTIONS "
               "(access_key_id 'STUBKEY', secret_access_key 'stub-secret')")
    fault("none")
    db.execute("SELECT lakefs_create_repository('faults', 's3://bkt/repo', 'main', server => 'stub')")
    data = os.urandom(1000)
    addr, size, checksum = one("SELECT * FROM lakefs_put_object('faults', 'main', 'data.bin', %s)",
                               (data,))
    ok(size == 1000 and len(checksum) == 32, "a correct stub: put stages the object")
    ok(bytes(one("SELECT lakefs_get_object('faults', 'main', 'data.bin')")[0]) == data and
       bytes(one("SELECT lakefs_get_object('faults', 'main', 'data.bin', 10, 100)")[0]) == data[10:110] and
       bytes(one("SELECT lakefs_s3_get('stub', %s)", (addr,))[0]) == data,
       "a correct stub: whole and range reads return the bytes (MD5 verified)")
    db.execute("SELECT lakefs_create_branch('faults', 'imp')")
    before = catalog()

    # --- header injection: one gate for every header value
    fault("none")
    e = fails("CR/LF in lakefs_s3_put's content_type",
              "SELECT lakefs_s3_put('stub', 's3://bkt/inj', 'x', %s)", "22023", (INJECT,),
              "content type must not contain")
    e = fails("CR/LF in lakefs_put_object's content_type",
              "SELECT lakefs_put_object('faults', 'main', 'inj.txt', 'x', %s)", "22023", (INJECT,))
    fails("a bare LF in a multipart upload's content_type",
          "SET pg_lakefs.multipart_threshold = '5MB'; "
          "SELECT lakefs_s3_put('stub', 's3://bkt/inj', decode(repeat('00', 6 * 1024 * 1024), 'hex'), "
          "E'text/plain\\nX-Amz-Acl: public-read-write')", "22023")
    db.execute("RESET pg_lakefs.multipart_threshold")
    db.execute("CREATE SERVER stub_virtual FOREIGN DATA WRAPPER lakefs_s3 OPTIONS "
               "(endpoint 'http://127.0.0.1:%d', url_style 'virtual', max_retries '0')" % port)
    db.execute("CREATE USER MAPPING FOR PUBLIC SERVER stub_virtual OPTIONS "
               "(access_key_id 'STUBKEY', secret_access_key 'stub-secret')")
    fails("CR/LF in a bucket name bound for a virtual-style Host header",
          "SELECT lakefs_s3_put('stub_virtual', E's3://bkt\r\nX-Amz-Acl: public-read-write/k', 'x')",
          "22023", msg="bucket name")
    log = stub_log()["requests"]
    ok(not any("x-amz-acl" in r.lower() for r in log) and len(log) == 0,
       "the stub received no request and no injected header", log)
    ok(catalog() == before, "nothing staged after the injection attempt")

    db.execute("CREATE SERVER stub_tok FOREIGN DATA WRAPPER lakefs_s3 OPTIONS "
               "(endpoint 'http://127.0.0.1:%d', max_retries '0')" % port)
    e = fails("CR/LF in session_token refused by CREATE USER MAPPING",
              "CREATE USER MAPPING FOR CURRENT_USER SERVER stub_tok OPTIONS (access_key_id 'K', "
              "secret_access_key 'S', session_token %s)" % "E'tok-secret\\r\\nX-Amz-Acl: public-read-write'",
              "22023", msg='option "session_token"')
    ok(e is not None and "tok-secret" not in text(e), "the token is not in the message", e)
    fails("CR/LF in access_key_id refused by CREATE USER MAPPING",
          "CREATE USER MAPPING FOR CURRENT_USER SERVER stub_tok OPTIONS (access_key_id E'K\\nX: y', "
          "secret_access_key 'S')", "22023")
    db.execute("DROP USER MAPPING IF EXISTS FOR CURRENT_USER SERVER stub_tok")
    db.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER stub_tok OPTIONS "
               "(access_key_id 'K', secret_access_key 'S', session_token 'tok-ok')")
    fails("CR/LF in session_token refused by ALTER USER MAPPING",
          "ALTER USER MAPPING FOR CURRENT_USER SERVER stub_tok OPTIONS "
          "(SET session_token E'tok\\rX-Amz-Acl: public-read-write')", "22023")
    fault("none")
    db.execute("SELECT lakefs_s3_put('stub_tok', 's3://bkt/tok', 'x')")
    log = stub_log()["requests"]
    ok(len(log) == 1 and "x-amz-security-token: tok-ok" in log[0].lower(),
       "a valid session_token is sent as x-amz-security-token", log)
    # a mapping stored before the validator checked tokens (set behind its back)
    db.execute("UPDATE pg_user_mapping SET umoptions = ARRAY['access_key_id=K', 'secret_access_key=S', "
               "E'session_token=tok-secret\\r\\nX-Amz-Acl: public-read-write'] "
               "WHERE umserver = (SELECT oid FROM pg_foreign_server WHERE srvname = 'stub_tok')")
    fault("none")
    e = fails("a stored token with CR/LF is refused before sending",
              "SELECT lakefs_s3_put('stub_tok', 's3://bkt/tok2', 'x')", "22023",
              msg='option "session_token" of the user mapping for server "stub_tok"')
    ok(e is not None and "tok-secret" not in text(e), "the stored token is not in the message", e)
    log = stub_log()["requests"]
    ok(len(log) == 0, "the stub received nothing from the bad mapping", log)

    # --- GET bodies that do not match their lengths or checksum
    for name, get_state, s3_state, range_state in [
            ("get_understate", "08P01", "XX001", "08P01"),
            ("get_overstate", "08P01", "08P01", "08P01"),
            ("get_close_early", "08P01", "XX001", "08P01")]:
        fault(name)
        fails("%s: lakefs_get_object" % name,
              "SELECT lakefs_get_object('faults', 'main', 'data.bin')", get_state)
        fails("%s: lakefs_s3_get of the whole object" % name,
              "SELECT lakefs_s3_get('stub', %s)", s3_state, (addr,))
        fails("%s: lakefs_get_object of a range" % name,
              "SELECT lakefs_get_object('faults', 'main', 'data.bin', 10, 100)", range_state)
    fault("get_understate")
    e = fails("understated Content-Length: the range message names the Content-Range",
              "SELECT lakefs_s3_get('stub', %s, 10, 100)", "08P01", (addr,), "shorter body")
    fault("get_short_range")
    fails("a consistent 206 reply with less than the range asked for: lakefs_s3_get",
          "SELECT lakefs_s3_get('stub', %s, 10, 100)", "08P01", (addr,), "the range asked for")
    fails("the same through lakefs_get_object",
          "SELECT lakefs_get_object('faults', 'main', 'data.bin', 10, 100)", "08P01")
    fault("get_md5")
    fails("wrong bytes under a plain MD5 ETag: data corrupted",
          "SELECT lakefs_get_object('faults', 'main', 'data.bin')", "XX001", msg="checksum")
    fails("the same through lakefs_s3_get", "SELECT lakefs_s3_get('stub', %s)", "XX001", (addr,))
    got = one("SELECT length(lakefs_get_object('faults', 'main', 'data.bin', 10, 100))")[0]
    ok(got == 100, "a part of an object is not checked against the whole object's MD5")
    fault("none")
    ok(bytes(one("SELECT lakefs_get_object('faults', 'main', 'data.bin')")[0]) == data,
       "the session reads correctly again after the broken replies")
    ok(catalog() == before, "the catalog is unchanged by the failed reads")

    # an object overwritten in the store behind the catalog's back
    db.execute("SELECT lakefs_s3_put('stub', 's3://bkt/changing', '0123456789')")
    db.execute("SELECT lakefs_link_object('faults', 'main', 'changing.bin', 's3://bkt/changing')")
    db.execute("SELECT lakefs_s3_put('stub', 's3://bkt/changing', '01234')")
    fails("an object whose size in the store differs from its entry: data corrupted",
          "SELECT lakefs_get_object('faults', 'main', 'changing.bin')", "XX001",
          msg="does not match its catalog entry")
    db.execute("SELECT lakefs_reset('faults', 'main', prefix => 'changing.bin')")

    # --- PUT without ETag, HEAD without Content-Length
    fault("put_no_etag")
    fails("a PUT reply without ETag: lakefs_put_object",
          "SELECT lakefs_put_object('faults', 'main', 'noetag.bin', 'x')", "08P01", msg="no ETag")
    fails("a PUT reply without ETag: lakefs_s3_put",
          "SELECT lakefs_s3_put('stub', 's3://bkt/noetag', 'x')", "08P01")
    ok(catalog() == before, "nothing staged after a PUT without ETag")
    fault("head_no_length")
    fails("a HEAD reply without Content-Length: lakefs_link_object",
          "SELECT lakefs_link_object('faults', 'main', 'linked.bin', %s)", "08P01", (addr,),
          "no Content-Length")
    fails("a HEAD reply without Content-Length: lakefs_s3_stat",
          "SELECT * FROM lakefs_s3_stat('stub', %s)", "08P01", (addr,))
    ok(catalog() == before, "nothing staged after a HEAD without Content-Length")
    fault("none")
    db.execute("SELECT lakefs_link_object('faults', 'main', 'linked.bin', %s)", (addr,))
    ok(one("SELECT size FROM lakefs_stat('faults', 'main', 'linked.bin')")[0] == 1000,
       "with a correct HEAD the link stages the object")
    db.execute("SELECT lakefs_reset('faults', 'main', prefix => 'linked.bin')")
    ok(catalog() == before, "(link undone for the next cases)")

    # --- listings: strictly ascending, each key once, under the prefix
    for name, detail in [("list_unordered", "came after"), ("list_duplicate", "listed twice"),
                         ("list_unordered_pages", "came after"),
                         ("list_outside", "outside the requested prefix")]:
        fault(name)
        fails("%s: lakefs_list_objects" % name,
              "SELECT * FROM lakefs_list_objects('stub', 's3://bkt/src/')", "08P01", msg=None)
        e = fails("%s: lakefs_list_objects with a delimiter" % name,
                  "SELECT * FROM lakefs_list_objects('stub', 's3://bkt/src/', '/')", "08P01")
        ok(e is not None and detail in text(e), "%s: the message says what is wrong" % name,
           e and text(e))
        fails("%s: lakefs_import" % name,
              "SELECT lakefs_import('faults', 'imp', ARRAY['s3://bkt/src/'], 'raw/')", "08P01")
    fault("none")
    ok(catalog() == before and one("SELECT count(*) FROM lakefs_ls('faults', 'imp')")[0] == 0 and
       one("SELECT count(*) FROM lakefs_log('faults', 'imp')")[0] == 1,
       "nothing imported from a broken listing")

    # --- a kept-alive connection the server dropped: the upload is re-sent
    fault("drop_keepalive")
    db.execute("SELECT lakefs_s3_put('stub', 's3://bkt/ka1', 'one')")
    db.execute("SELECT lakefs_s3_put('stub', 's3://bkt/ka2', 'two')")
    r = one("SELECT * FROM lakefs_put_object('faults', 'main', 'ka.bin', 'three')")
    db.execute("SET pg_lakefs.multipart_threshold = '5MB'; SET pg_lakefs.multipart_part_size = '5MB'")
    big = os.urandom(11 * 1024 * 1024)
    etag = one("SELECT etag FROM lakefs_s3_put('stub', 's3://bkt/ka-big', %s)", (big,))[0]
    db.execute("RESET pg_lakefs.multipart_threshold; RESET pg_lakefs.multipart_part_size")
    drops = stub_log()["drops"]
    ok(drops >= 4, "the stub dropped kept-alive connections under PUTs and parts (%d drops), "
       "every upload succeeded" % drops)
    fault("none")
    got2 = bytes(one("SELECT lakefs_s3_get('stub', 's3://bkt/ka2')")[0])
    gotbig = bytes(one("SELECT lakefs_s3_get('stub', 's3://bkt/ka-big')")[0])
    ok(got2 == b"two" and gotbig == big and etag.endswith("-3"),
       "the re-sent uploads stored the right bytes (3 parts)",
       "%r %d %s" % (got2, len(gotbig), etag))
    ok(r[1] == 5 and one("SELECT count(*) FROM lakefs_ls('faults', 'main')")[0] == 2,
       "lakefs_put_object over a dropped connection staged its object")
    db.execute("SELECT lakefs_reset('faults', 'main', prefix => 'ka.bin')")

    # --- the upload runs before the branch lock: a hung store blocks no other writer
    fault("none")
    fails("put to a branch that does not exist: nothing is uploaded",
          "SELECT lakefs_put_object('faults', 'nope', 'x.bin', 'x')", "42704")
    ok(len(stub_log()["requests"]) == 0, "no request reached the store for a missing branch")
    fault("freeze")
    hung = connect(conninfo)
    hung_pid = hung.execute("SELECT pg_backend_pid()").fetchone()[0]
    hung_err = []

    def hung_put():
        try:
            hung.execute("SELECT lakefs_put_object('faults', 'main', 'hung.bin', 'x')")
        except Exception as ex:  # noqa: BLE001
            hung_err.append(ex)
    th = threading.Thread(target=hung_put)
    th.start()
    for _ in range(100):
        if stub_log()["requests"]:
            break
        time.sleep(0.05)
    other = connect(conninfo)
    try:
        other.execute("SET lock_timeout = '3s'")
        other.execute("SELECT lakefs_stage_object('faults', 'main', 'other.txt', 's3://bkt/other', 1, 'e')")
        ok(True, "another writer stages on the branch while an upload to it hangs")
    except Exception as ex:  # noqa: BLE001
        ok(False, "another writer stages on the branch while an upload to it hangs", text(ex))
    db.execute("SELECT pg_cancel_backend(%s)", (hung_pid,))
    th.join(30)
    ok(len(hung_err) == 1 and getattr(hung_err[0], "sqlstate", None) == "57014",
       "the hung upload is cancelled", hung_err)
    other.execute("SELECT lakefs_reset('faults', 'main', prefix => 'other.txt')")
    other.close()
    hung.close()
    fault("none")
    ok(catalog() == before, "nothing staged by the cancelled upload")

    # --- cancel during a multipart upload to a store that stopped answering
    fault("freeze_parts")
    db.execute("SET pg_lakefs.multipart_threshold = '5MB'; SET pg_lakefs.multipart_part_size = '5MB'")
    t0 = time.monotonic()
    fails("statement_timeout cancels a multipart upload to a frozen store",
          "SET statement_timeout = '1s'; "
          "SELECT lakefs_put_object('faults', 'main', 'frozen.bin', decode(repeat('00', 6 * 1024 * 1024), 'hex'))",
          "57014")
    elapsed = time.monotonic() - t0
    db.execute("RESET statement_timeout")
    note("cancel of a frozen multipart upload: returned %.2f s after the start, "
         "%.2f s after the 1 s statement_timeout" % (elapsed, elapsed - 1))
    ok(elapsed < 5, "the cancel returns promptly, without waiting on an abort (%.2f s)" % elapsed)
    log = stub_log()["requests"]
    ok(not any(r.startswith("DELETE ") for r in log),
       "no AbortMultipartUpload is attempted after a cancel", log)
    fault("none")
    ok(catalog() == before, "nothing staged after the cancelled upload")
    ok(one("SELECT 1")[0] == 1, "the backend survived every case")
finally:
    stub.kill()
    stub.wait()
done()
