"""test/lib/stub_server.py — tiny loopback servers for the S3 failure tests.

    stub_server.py hang PORTFILE      accept connections, never answer
    stub_server.py garbage PORTFILE   answer every request with HTTP 200 and a
                                      malformed XML body (the malformed-reply tests;
                                      the only place a stub stands in for S3)
    stub_server.py truncated PORTFILE answer 200 with a listing cut mid-element

Listens on 127.0.0.1, an ephemeral port written to PORTFILE once listening.
Runs until killed.
"""
import socket
import sys
import threading

mode, portfile = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.rename(portfile + ".tmp", portfile)

BODIES = {
    "garbage": b"<?xml version='1.0'?><ListBucketResult><Contents><Key>x</Key>"
               b"<Size>not-a-number</Size></Contents<<>>garbage",
    "truncated": b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
                 b"xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
                 b"<IsTruncated>false</IsTruncated><Contents><Key>a</Key><Si",
}
held = []


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
    else:
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
