"""test/lib/stub_listing.py — a loopback S3 stub whose listings break ListObjectsV2's
contract, for the import tests (test/t/import.py).

    stub_listing.py PORTFILE

Listens on 127.0.0.1, an ephemeral port written to PORTFILE once listening; runs
until killed. Accepts any credentials (it checks no signature). The bucket name of
a ListObjectsV2 request picks the misbehaviour; keys are built under the requested
prefix P:

    good        P+"a.txt", P+"b.txt"                  (the control: a correct listing)
    outside     P+"a.txt", "zz-outside/b.txt"         (a key outside the prefix)
    unordered   P+"b.txt", P+"a.txt"                  (keys out of order)
    duplicate   P+"a.txt", P+"a.txt"                  (one key twice on a page)
    repeat      page 1 P+"a.txt", P+"b.txt"; page 2 P+"b.txt", P+"c.txt"
                (the last key of a page repeated on the next page)
    ns          nothing (the repository's namespace: no other repository's marker)

Any PUT answers 200 with an ETag (so a repository can be created on the stub) and
HEAD answers 200 for any key; other requests get 404 NoSuchKey.
"""
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit, unquote
from xml.sax.saxutils import escape

PAGES = {
    "good": [["a.txt", "b.txt"]],
    "outside": [["a.txt", "/zz-outside/b.txt"]],   # a leading '/' means: not under P
    "unordered": [["b.txt", "a.txt"]],
    "duplicate": [["a.txt", "a.txt"]],
    "repeat": [["a.txt", "b.txt"], ["b.txt", "c.txt"]],
    "ns": [[]],
}
ETAG = '"0123456789abcdef0123456789abcdef"'


def listing(bucket, prefix, page_no):
    pages = PAGES[bucket]
    keys = [k[1:] if k.startswith("/") else prefix + k for k in pages[page_no]]
    truncated = page_no + 1 < len(pages)
    body = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
            "<Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount>"
            % (bucket, escape(prefix), len(keys)),
            "<IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false")]
    if truncated:
        body.append("<NextContinuationToken>page%d</NextContinuationToken>" % (page_no + 1))
    for k in keys:
        body.append("<Contents><Key>%s</Key><LastModified>2026-01-01T00:00:00.000Z"
                    "</LastModified><ETag>%s</ETag><Size>3</Size></Contents>"
                    % (escape(k), escape(ETAG)))
    body.append("</ListBucketResult>")
    return "".join(body).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_PUT(self):
        self.body()
        self.reply(200, headers=[("ETag", ETAG)])

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.send_header("ETag", ETAG)
        self.send_header("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT")
        self.end_headers()

    def do_GET(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        parts = url.path.lstrip("/").split("/", 1)
        bucket = unquote(parts[0])
        if q.get("list-type") == ["2"] and bucket in PAGES:
            token = q.get("continuation-token", ["page0"])[0]
            page_no = int(token[len("page"):])
            self.reply(200, listing(bucket, q.get("prefix", [""])[0], page_no),
                       [("Content-Type", "application/xml")])
        else:
            self.reply(404, b'<?xml version="1.0"?><Error><Code>NoSuchKey</Code>'
                            b'<Message>stub</Message></Error>',
                       [("Content-Type", "application/xml")])


portfile = sys.argv[1]
srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
