"""test/lib/stub_server.py — tiny loopback servers for the S3 failure tests.

    stub_server.py hang PORTFILE      accept connections, never answer
    stub_server.py garbage PORTFILE   answer every request with HTTP 200 and a
                                      malformed XML body (the malformed-reply tests)
    stub_server.py truncated PORTFILE answer 200 with a listing cut mid-element
    stub_server.py s3 PORTFILE        a minimal in-memory S3 (path style: PUT, GET with
                                      Range, HEAD, DELETE, ListObjectsV2, multipart)
                                      whose replies can be made to break the protocol
                                      on purpose (test/t/s3_faults.py)

The s3 mode checks no signature. It is steered over HTTP on the same port, by
requests under /_stub/ (no S3 path starts so):

    POST /_stub/fault?name=F   from now on behave per fault F ("none" = a correct S3):
        get_understate   GET: Content-Length 5 bytes short of the body, body sent whole
        get_overstate    GET: Content-Length 5 bytes more than the body, then close
        get_close_early  GET: 200, no Content-Length, half the body, then close
        get_md5          GET: right length, a wrong byte, the real (plain MD5) ETag
        get_short_range  GET with Range: 206 with 5 bytes fewer than asked for, the
                         Content-Range and Content-Length saying so
        put_no_etag      PUT: 200 without an ETag header
        head_no_length   HEAD: 200 without a Content-Length header
        list_unordered   ListObjectsV2: one page with keys [b, a]
        list_duplicate   two pages [a, b] and [b, c]
        list_unordered_pages  two pages [a, c] and [b]
        list_outside     one page [a, a key outside the prefix]
        drop_keepalive   close a kept-alive connection, unanswered, whenever a request
                         arrives on it after the first (a server's idle close racing
                         the client's next request)
        freeze_parts     answer the multipart initiation, then nothing at all
        freeze           answer nothing at all
    GET  /_stub/log            JSON {"requests": [request heads], "drops": n}
    POST /_stub/reset          forget the log (objects stay)

Listens on 127.0.0.1, an ephemeral port written to PORTFILE once listening.
Runs until killed.
"""
import hashlib
import json
import os
import socket
import sys
import threading
import urllib.parse
from email.utils import formatdate

mode, portfile = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)

BODIES = {
    "garbage": b"<?xml version='1.0'?><ListBucketResult><Contents><Key>x</Key>"
               b"<Size>not-a-number</Size></Contents<<>>garbage",
    "truncated": b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
                 b"xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
                 b"<IsTruncated>false</IsTruncated><Contents><Key>a</Key><Si",
}
held = []

# --- the s3 mode's state (one lock around all of it)
lock = threading.Lock()
objects = {}        # (bucket, key) -> bytes
uploads = {}        # upload id -> {part number: bytes}
etags = {}          # (bucket, key) -> ETag of a multipart object (else the MD5)
state = {"fault": "none", "log": [], "drops": 0, "frozen": False, "next_upload": 1}
XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


class Close(Exception):
    """Close the connection without (another) reply."""


def read_request(conn, buf):
    """One request from conn: (method, target, headers dict, raw head, body, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            raise Close()
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    method, target, _ = lines[0].decode("latin-1").split(" ", 2)
    headers = {}
    for line in lines[1:]:
        k, _, v = line.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while len(buf) < length:
        chunk = conn.recv(65536)
        if not chunk:
            raise Close()
        buf += chunk
    return method, target, headers, head.decode("latin-1"), buf[:length], buf[length:]


def reply(conn, status, headers=(), body=b"", length=None):
    """Send a reply; length None means Content-Length = len(body), False none."""
    out = ["HTTP/1.1 %s" % status, "x-amz-request-id: stub-1"]
    if length is None:
        length = len(body)
    if length is not False:
        out.append("Content-Length: %d" % length)
    out.extend("%s: %s" % h for h in headers)
    conn.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)


def xml(body):
    return ('<?xml version="1.0" encoding="UTF-8"?>' + body).encode()


def etag_of(data, where=None):
    return etags.get(where) or '"%s"' % hashlib.md5(data).hexdigest()


def list_page(bucket, prefix, keys, truncated, token):
    parts = ['<ListBucketResult xmlns="%s"><Name>%s</Name><Prefix>%s</Prefix>'
             '<KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>'
             '<IsTruncated>%s</IsTruncated>'
             % (XMLNS, bucket, urllib.parse.quote(prefix), len(keys),
                "true" if truncated else "false")]
    if truncated:
        parts.append("<NextContinuationToken>%s</NextContinuationToken>" % token)
    for k in keys:
        data = objects.get((bucket, k), b"x")
        parts.append("<Contents><Key>%s</Key><LastModified>2026-11-25T13:38:06.000Z"
                     "</LastModified><ETag>%s</ETag><Size>%d</Size>"
                     "<StorageClass>STANDARD</StorageClass></Contents>"
                     % (urllib.parse.quote(k), etag_of(data, (bucket, k)).replace('"', "&quot;"), len(data)))
    parts.append("</ListBucketResult>")
    return xml("".join(parts))


FAULT_PAGES = {
    # fault: pages of key suffixes under the prefix ("/" marks a key outside it)
    "list_unordered": [["b", "a"]],
    "list_duplicate": [["a", "b"], ["b", "c"]],
    "list_unordered_pages": [["a", "c"], ["b"]],
    "list_outside": [["a", "/elsewhere/z"]],
}


def do_list(conn, bucket, q, fault):
    prefix = q.get("prefix", "")
    token = q.get("continuation-token")
    if fault in FAULT_PAGES:
        pages = FAULT_PAGES[fault]
        i = int(token or "0")
        keys = [k[1:] if k.startswith("/") else prefix + k for k in pages[i]]
        reply(conn, "200 OK", [("Content-Type", "application/xml")],
              list_page(bucket, prefix, keys, i + 1 < len(pages), str(i + 1)))
        return
    maxkeys = int(q.get("max-keys", "1000"))
    keys = sorted(k for (b, k) in objects if b == bucket and k.startswith(prefix)
                  and (token is None or k > token))
    page = keys[:maxkeys]
    reply(conn, "200 OK", [("Content-Type", "application/xml")],
          list_page(bucket, prefix, page, len(keys) > maxkeys, page[-1] if page else ""))


def do_get(conn, bucket, key, headers, fault):
    data = objects.get((bucket, key))
    if data is None:
        reply(conn, "404 Not Found", [("Content-Type", "application/xml")],
              xml("<Error><Code>NoSuchKey</Code><Message>none</Message></Error>"))
        return
    etag = etag_of(data, (bucket, key))
    status, extra, body = "200 OK", [], data
    rng = headers.get("range", "")
    if rng.startswith("bytes="):
        a, _, b = rng[6:].partition("-")
        a = int(a)
        b = min(int(b), len(data) - 1) if b else len(data) - 1
        if a >= len(data):
            reply(conn, "416 Requested Range Not Satisfiable", [("Content-Type", "application/xml")],
                  xml("<Error><Code>InvalidRange</Code></Error>"))
            return
        if fault == "get_short_range":
            b = max(a, b - 5)
        status, body = "206 Partial Content", data[a:b + 1]
        extra.append(("Content-Range", "bytes %d-%d/%d" % (a, b, len(data))))
    extra += [("ETag", etag), ("Last-Modified", formatdate(usegmt=True))]
    if fault == "get_understate":
        reply(conn, status, extra, body, length=max(len(body) - 5, 0))
        raise Close()
    if fault == "get_overstate":
        reply(conn, status, extra, body, length=len(body) + 5)
        raise Close()
    if fault == "get_close_early":
        extra = [h for h in extra if h[0] != "Content-Range"] + [("Connection", "close")]
        reply(conn, "200 OK", extra, data[:len(data) // 2], length=False)
        raise Close()
    if fault == "get_md5":
        body = bytes([body[0] ^ 0xFF]) + body[1:]
    reply(conn, status, extra, body)


def serve_s3(conn):
    buf = b""
    nreq = 0
    try:
        while True:
            method, target, headers, head, body, buf = read_request(conn, buf)
            url = urllib.parse.urlsplit(target)
            q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            path = urllib.parse.unquote(url.path)
            if path.startswith("/_stub/"):
                with lock:
                    if path == "/_stub/fault":
                        state["fault"] = q["name"]
                        state["frozen"] = False
                        reply(conn, "200 OK")
                    elif path == "/_stub/log":
                        reply(conn, "200 OK", [("Content-Type", "application/json")],
                              json.dumps({"requests": state["log"],
                                          "drops": state["drops"]}).encode())
                    elif path == "/_stub/reset":
                        state["log"] = []
                        state["drops"] = 0
                        reply(conn, "200 OK")
                continue
            nreq += 1
            with lock:
                state["log"].append(head)
                fault = state["fault"]
                frozen = state["frozen"]
            if frozen or fault == "freeze":
                while conn.recv(65536):     # say nothing until the client gives up
                    pass
                return
            if fault == "drop_keepalive" and nreq >= 2:
                with lock:
                    state["drops"] += 1
                raise Close()
            bucket, _, key = path[1:].partition("/")
            with lock:
                if method == "GET" and not key and "list-type" in q:
                    do_list(conn, bucket, q, fault)
                elif method == "GET":
                    do_get(conn, bucket, key, headers, fault)
                elif method == "HEAD":
                    data = objects.get((bucket, key))
                    if data is None:
                        reply(conn, "404 Not Found", length=False)
                    else:
                        h = [("ETag", etag_of(data, (bucket, key))), ("Last-Modified", formatdate(usegmt=True))]
                        reply(conn, "200 OK", h, b"",
                              length=False if fault == "head_no_length" else len(data))
                elif method == "PUT" and "partNumber" in q:
                    uploads[q["uploadId"]][int(q["partNumber"])] = body
                    reply(conn, "200 OK", [("ETag", etag_of(body))])
                elif method == "PUT" and not key:
                    reply(conn, "200 OK")
                elif method == "PUT":
                    objects[(bucket, key)] = body
                    etags.pop((bucket, key), None)
                    reply(conn, "200 OK",
                          [] if fault == "put_no_etag" else [("ETag", etag_of(body))])
                elif method == "POST" and "uploads" in q:
                    uid = "upload-%d" % state["next_upload"]
                    state["next_upload"] += 1
                    uploads[uid] = {}
                    reply(conn, "200 OK", [("Content-Type", "application/xml")],
                          xml('<InitiateMultipartUploadResult xmlns="%s"><Bucket>%s</Bucket>'
                              '<Key>%s</Key><UploadId>%s</UploadId>'
                              '</InitiateMultipartUploadResult>' % (XMLNS, bucket, key, uid)))
                    if fault == "freeze_parts":
                        state["frozen"] = True
                elif method == "POST" and "uploadId" in q:
                    parts = uploads.pop(q["uploadId"])
                    data = b"".join(parts[n] for n in sorted(parts))
                    objects[(bucket, key)] = data
                    etag = '"%s-%d"' % (hashlib.md5(data).hexdigest(), len(parts))
                    etags[(bucket, key)] = etag
                    reply(conn, "200 OK", [("Content-Type", "application/xml")],
                          xml('<CompleteMultipartUploadResult xmlns="%s"><ETag>%s</ETag>'
                              '</CompleteMultipartUploadResult>'
                              % (XMLNS, etag.replace('"', "&quot;"))))
                elif method == "DELETE":
                    if "uploadId" in q:
                        uploads.pop(q["uploadId"], None)
                    else:
                        objects.pop((bucket, key), None)
                    reply(conn, "204 No Content", length=False)
                else:
                    reply(conn, "400 Bad Request", length=0)
    except (Close, OSError, ValueError, KeyError):
        pass
    finally:
        conn.close()


def serve(conn):
    try:
        buf = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buf += chunk
            while b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v.strip())
                while len(buf) < length:
                    buf += conn.recv(65536)
                buf = buf[length:]
                body = BODIES[mode]
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    except OSError:
        pass
    finally:
        conn.close()


while True:
    conn, _ = srv.accept()
    if mode == "hang":
        held.append(conn)          # keep it open, say nothing
    elif mode == "s3":
        threading.Thread(target=serve_s3, args=(conn,), daemon=True).start()
    else:
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
