"""test/bench/gateway_bench.py — figures for the S3 gateway (run by gateway_bench.sh).

The same boto3 client code runs twice on the same bytes: through pg_lakefs_gateway
(bucket = repository, key = main/<path>) and straight to the RGW bucket that holds
the repository's objects. Prints rates and gateway/direct ratios; asserts nothing.
"""
import os
import socket
import subprocess
import sys
import threading
import time

import boto3
import botocore.config
import psycopg

SIZE_MIB = int(sys.argv[1]) if len(sys.argv) > 1 else 64
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
SMALL = 500
NLIST = 2000
PAR = 16
PORT = int(os.environ.get("LAKEFS_GATEWAY_PORT", "17480"))  # pick a port of your own
env = os.environ
cfg = botocore.config.Config(signature_version="s3v4", max_pool_connections=PAR + 4,
                             retries={"max_attempts": 0})

with psycopg.connect(dbname="postgres", autocommit=True) as c:
    c.execute("DROP DATABASE IF EXISTS lakefs_gateway_bench WITH (FORCE)")
    c.execute("CREATE DATABASE lakefs_gateway_bench")
db = psycopg.connect(dbname="lakefs_gateway_bench", autocommit=True)
db.execute("CREATE EXTENSION pg_lakefs")
db.execute("CREATE SERVER rgw FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint '%s', region '%s', "
           "url_style 'path')" % (env["LAKEFS_S3_ENDPOINT"], env["LAKEFS_S3_REGION"]))
db.execute("CREATE USER MAPPING FOR PUBLIC SERVER rgw OPTIONS (access_key_id '%s', secret_access_key '%s')"
           % (env["LAKEFS_S3_ACCESS_KEY"], env["LAKEFS_S3_SECRET_KEY"]))
db.execute("SELECT lakefs_s3_create_bucket('rgw', 'gwbench')")
db.execute("SELECT lakefs_create_repository('bench', 's3://gwbench/repo', server => 'rgw')")
akid, secret = db.execute("SELECT * FROM lakefs_create_access_key()").fetchone()

gw = subprocess.Popen([os.path.join(env["PGBIN"], "pg_lakefs_gateway"), "--dsn", "dbname=lakefs_gateway_bench",
                       "--listen", "127.0.0.1:%d" % PORT, "--workers", str(PAR), "--log-level", "warning"],
                      stderr=open(env.get("GATEWAY_LOG", os.devnull), "w"))
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)

via = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % PORT, region_name="us-east-1",
                   aws_access_key_id=akid, aws_secret_access_key=secret, config=cfg)
direct = boto3.client("s3", endpoint_url=env["LAKEFS_S3_ENDPOINT"], region_name=env["LAKEFS_S3_REGION"],
                      aws_access_key_id=env["LAKEFS_S3_ACCESS_KEY"],
                      aws_secret_access_key=env["LAKEFS_S3_SECRET_KEY"], config=cfg)
G = ("bench", "main/")          # gateway bucket, key prefix
D = ("gwbench", "repo/direct/")  # the same store, straight


def best(fn):
    times = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def report(name, unit, g, d):
    print("%-34s gateway %10.1f %-10s direct %10.1f %-10s ratio %.2f" % (name, g, unit, d, unit, g / d))


blob = os.urandom(SIZE_MIB * 1024 * 1024)
# PUT: the gateway streams to the store and stages; direct is one PUT
tg = best(lambda: via.put_object(Bucket=G[0], Key=G[1] + "big.bin", Body=blob))
td = best(lambda: direct.put_object(Bucket=D[0], Key=D[1] + "big.bin", Body=blob))
report("PUT %d MiB" % SIZE_MIB, "MiB/s", SIZE_MIB / tg, SIZE_MIB / td)


def get(client, b, k):
    body = client.get_object(Bucket=b, Key=k)["Body"]
    while body.read(1024 * 1024):
        pass


tg = best(lambda: get(via, G[0], G[1] + "big.bin"))
td = best(lambda: get(direct, D[0], D[1] + "big.bin"))
report("GET %d MiB" % SIZE_MIB, "MiB/s", SIZE_MIB / tg, SIZE_MIB / td)

small = os.urandom(1024)
via.put_object(Bucket=G[0], Key=G[1] + "small.bin", Body=small)
direct.put_object(Bucket=D[0], Key=D[1] + "small.bin", Body=small)


def small_gets(client, b, k, n):
    for _ in range(n):
        client.get_object(Bucket=b, Key=k)["Body"].read()


tg = best(lambda: small_gets(via, G[0], G[1] + "small.bin", SMALL))
td = best(lambda: small_gets(direct, D[0], D[1] + "small.bin", SMALL))
report("small GET (1 KiB), sequential", "GET/s", SMALL / tg, SMALL / td)


def parallel(client, b, k):
    ts = [threading.Thread(target=small_gets, args=(client, b, k, SMALL // PAR * 2)) for _ in range(PAR)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


n = SMALL // PAR * 2 * PAR
tg = best(lambda: parallel(via, G[0], G[1] + "small.bin"))
td = best(lambda: parallel(direct, D[0], D[1] + "small.bin"))
report("small GET, %d parallel clients" % PAR, "GET/s", n / tg, n / td)

# LIST: NLIST objects in the store, staged on main under list/ pointing at them
ts = []
for i in range(NLIST):
    direct.put_object(Bucket=D[0], Key=D[1] + "list/%06d" % i, Body=b"x")
db.execute("SELECT lakefs_stage_object('bench', 'main', 'list/' || lpad(i::text, 6, '0'), "
           "'s3://gwbench/repo/direct/list/' || lpad(i::text, 6, '0'), 1, 'c') FROM generate_series(0, %d) i"
           % (NLIST - 1))
db.execute("SELECT lakefs_commit('bench', 'main', 'listing')")


def list_all(client, b, prefix):
    n = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=b, Prefix=prefix):
        n += page.get("KeyCount", 0)
    assert n == NLIST, n


tg = best(lambda: list_all(via, G[0], G[1] + "list/"))
td = best(lambda: list_all(direct, D[0], D[1] + "list/"))
report("LIST %d objects (1000 a page)" % NLIST, "obj/s", NLIST / tg, NLIST / td)
gw.terminate()
gw.wait(timeout=15)
