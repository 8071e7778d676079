"""test/t/gc_cluster.py — garbage collection on a private cluster (never the shared
one test/run started, which this test must not restart): kill -9 of the backend in
the middle of a sweep, then a rerun that finishes with nothing lost; and one GC run
by pg_cron (shared_preload_libraries = pg_cron, cron.database_name = this test's
database), as the README's nightly schedule does. Port: LAKEFS_GC_PGPORT, default
PGPORT + 1 (as test/t/crash.py, which runs at another time).
"""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from lakefs_test import ok, note, done, s3_env, skip_all, create_s3_server  # noqa: E402

import psycopg  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PGBIN = os.environ.get("PGBIN")
if not PGBIN:
    skip_all("PGBIN unset (run through test/run)")
if not s3_env():
    skip_all("no S3 test server (LAKEFS_S3_ENDPOINT unset)")
if not os.path.exists(os.path.join(PGBIN, "..", "lib", "pg_cron.so")):
    skip_all("pg_cron is not installed (Debian: postgresql-15-cron)")
PORT = int(os.environ.get("LAKEFS_GC_PGPORT") or int(os.environ.get("PGPORT", "55432")) + 1)
DIR = os.path.join(ROOT, "tmp_check", "gc_cluster")
SOCK = os.path.join(DIR, "sock")
DATA = os.path.join(DIR, "data")
N = int(os.environ.get("LAKEFS_GC_CRASH_OBJECTS", "6000"))
AS_OWNER = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
CONF = """shared_preload_libraries = 'pg_cron'
cron.database_name = 'gccluster'
cron.use_background_workers = on
max_worker_processes = 16
restart_after_crash = on"""


def conninfo(app="gc"):
    return "host=%s port=%d user=postgres dbname=gccluster application_name=%s" % (SOCK, PORT, app)


def pg_ctl(*args):
    return subprocess.run(AS_OWNER + [os.path.join(PGBIN, "pg_ctl"), "-D", DATA] + list(args),
                          capture_output=True, text=True)


env = dict(os.environ, LAKEFS_PGPORT=str(PORT), LAKEFS_PGCONF=CONF)
r = subprocess.run(["bash", "-c", '. "$1/test/lib/pgcluster.sh" && cluster_start "$2"',
                    "cluster_start", ROOT, DIR], env=env, capture_output=True, text=True)
if r.returncode != 0:
    print(r.stdout + r.stderr)
    ok(False, "private cluster starts")
    done()
try:
    with psycopg.connect("host=%s port=%d user=postgres dbname=postgres" % (SOCK, PORT),
                         autocommit=True) as c:
        c.execute("CREATE DATABASE gccluster")

    def connect(app="gc"):
        for _ in range(300):
            try:
                return psycopg.connect(conninfo(app), autocommit=True)
            except psycopg.OperationalError:
                time.sleep(0.1)   # the postmaster is still resetting after the crash
        return psycopg.connect(conninfo(app), autocommit=True)

    conn = connect()
    conn.execute("CREATE EXTENSION pg_lakefs")
    create_s3_server(conn)
    bucket = "gcc-%d" % os.getpid()
    conn.execute("SELECT lakefs_s3_create_bucket('minio', %s)", (bucket,))
    ns = "s3://%s/crashrepo" % bucket

    def one(sql, *args):
        return conn.execute(sql, args).fetchone()

    def data_keys():
        return [r[0] for r in conn.execute("SELECT key FROM lakefs_list_objects('minio', %s)",
                                           (ns + "/data/",)).fetchall()]

    one("SELECT lakefs_create_repository('crashrepo', %s, server => 'minio')", ns)
    one("SELECT lakefs_set_gc_rules('crashrepo', '1 day')")
    one("SELECT lakefs_create_branch('crashrepo', 'tmp', 'main')")
    conn.execute("SELECT count(lakefs_s3_put('minio', %s || '/data/x' || lpad(i::text, 6, '0'), "
                 "convert_to(i::text, 'UTF8'))) FROM generate_series(1, %s) i", (ns, N))
    one("SELECT lakefs_stage_objects('crashrepo', 'tmp', $$SELECT 'o/' || i AS path, "
        "'data/x' || lpad(i::text, 6, '0') AS physical_address, length(i::text)::bigint AS size, "
        "'e' AS checksum FROM generate_series(1, %d) i$$)" % N)
    old = one("SELECT lakefs_commit('crashrepo', 'tmp', 'doomed')")[0]
    conn.execute("UPDATE lakefs.commits SET created_at = created_at - interval '30 days' WHERE id = %s",
                 (old,))
    one("SELECT lakefs_delete_branch('crashrepo', 'tmp')")
    live = os.urandom(5000)
    one("SELECT lakefs_put_object('crashrepo', 'main', 'model.pkl', %s)", live)
    one("SELECT lakefs_commit('crashrepo', 'main', 'keep')")
    ok(one("SELECT candidates FROM lakefs_gc('crashrepo')")[0] == N, "%d candidates" % N)

    # kill -9 the backend once the sweep has deleted its first batch
    victim = connect("gc-victim")
    pid = victim.execute("SELECT pg_backend_pid()").fetchone()[0]
    result = {}

    def sweep():
        try:
            victim.execute("SELECT * FROM lakefs_gc('crashrepo', false)")
            result["done"] = True
        except psycopg.Error as e:
            result["error"] = e

    t = threading.Thread(target=sweep)
    t.start()
    first = ns + "/data/x000001"
    killed = False
    for _ in range(3000):
        try:
            conn.execute("SELECT lakefs_s3_stat('minio', %s)", (first,))
        except psycopg.Error:
            os.kill(pid, signal.SIGKILL)
            killed = True
            break
        if not t.is_alive():
            break
        time.sleep(0.005)
    t.join()
    note("killed: %s, the sweep %s" % (killed, "had finished" if "done" in result else "was cut"))
    conn.close()
    # the postmaster ends every session once it sees the killed backend: a
    # connection made before that goes with them, so retry until one lasts
    for attempt in range(60):
        try:
            conn = connect()
            left = len(data_keys())
            break
        except psycopg.OperationalError:
            time.sleep(0.5)
    else:
        raise RuntimeError("the cluster did not come back after the kill")
    note("objects left after the kill: %d of %d" % (left, N + 1))
    ok(killed and "error" in result, "the backend was killed mid-sweep")
    ok(one("SELECT count(*) FROM lakefs.gc_candidates WHERE swept_at IS NOT NULL")[0] == 0,
       "the killed sweep recorded nothing as swept")
    st = one("SELECT * FROM lakefs_gc('crashrepo', false)")
    ok(st[4] == N, "the rerun deletes what is left and records all %d (%s)" % (N, st))
    ok(data_keys() == [ns[len("s3://" + bucket) + 1:] + "/" +
                       one("SELECT physical_address FROM lakefs_ls('crashrepo', 'main')")[0][len(ns) + 1:]],
       "the bucket holds exactly the live object")
    ok(bytes(one("SELECT lakefs_get_object('crashrepo', 'main', 'model.pkl')")[0]) == live,
       "which reads back byte for byte")
    ok(one("SELECT count(*) FROM lakefs_fsck('crashrepo') WHERE kind <> 'commit_id_mismatch'")[0] == 0,
       "the catalog is whole")
    ok(one("SELECT deleted FROM lakefs_gc('crashrepo', false)")[0] == 0, "a further run deletes nothing")

    # pg_cron runs GC as the README schedules it
    conn.execute("CREATE EXTENSION pg_cron")
    gone = one("SELECT physical_address FROM lakefs_ls('crashrepo', 'main')")[0]
    one("SELECT lakefs_put_object('crashrepo', 'main', 'model.pkl', 'v2')")
    one("SELECT lakefs_commit('crashrepo', 'main', 'v2')")
    one("SELECT lakefs_put_object('crashrepo', 'main', 'model.pkl', 'v3')")
    one("SELECT lakefs_commit('crashrepo', 'main', 'v3')")
    conn.execute("UPDATE lakefs.commits SET created_at = created_at - interval '30 days' "
                 "WHERE message IN ('keep', 'v2')")
    job = one("SELECT cron.schedule('lakefs-gc', '* * * * *', "
              "$$SELECT lakefs_gc(repository, dry_run => false) FROM lakefs_gc_rules$$)")[0]
    status = None
    for _ in range(1500):     # the job starts at the next minute
        row = one("SELECT status, return_message FROM cron.job_run_details WHERE jobid = %s "
                  "AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1", job)
        if row:
            status = row
            break
        time.sleep(0.1)
    conn.execute("SELECT cron.unschedule(%s)", (job,))
    ok(status is not None and status[0] == "succeeded", "pg_cron ran lakefs_gc (%s)" % (status,))
    names = data_keys()
    ok(gone[len("s3://" + bucket) + 1:] not in names and len(names) == 2,
       "and it collected the version outside the retention (%d objects left)" % len(names))
    conn.close()
finally:
    pg_ctl("-m", "immediate", "-w", "stop")
done()
