"""test/lib/lakefs_test.py — shared helpers for the script tests under test/t/.

TAP output (ok / not ok lines counted by test/run), a fresh database with the
extension for each test program, and connection helpers. Run the tests with
Debian's /usr/bin/python3 (python3-psycopg); test/run exports PGHOST, PGPORT and
PGUSER for its throwaway cluster.
"""
import os
import sys

import psycopg

_n = 0
_failed = 0


def ok(cond, desc, diag=None):
    """Print one TAP result; diag (a string) is printed as comments on failure."""
    global _n, _failed
    _n += 1
    if not cond:
        _failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (_n, desc), flush=True)
    if not cond and diag:
        for line in str(diag).splitlines():
            print("#   " + line)
    return cond


def note(msg):
    print("# " + msg, flush=True)


def done():
    """Print the plan and exit non-zero when anything failed."""
    print("1..%d" % _n)
    sys.exit(1 if _failed else 0)


def fresh_database(name):
    """Drop and create database name with the extension; return its conninfo."""
    with psycopg.connect(dbname="postgres", autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
        conn.execute('CREATE DATABASE "%s"' % name)
    conninfo = "dbname=%s" % name
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_lakefs")
    return conninfo


def connect(conninfo, autocommit=True):
    return psycopg.connect(conninfo, autocommit=autocommit)


def seed_from_env(default):
    return int(os.environ.get("LAKEFS_TEST_SEED", default))


def s3_env():
    """The S3 test server's settings from test/run, or None (then skip)."""
    if not os.environ.get("LAKEFS_S3_ENDPOINT"):
        return None
    return {k: os.environ[k] for k in ("LAKEFS_S3_ENDPOINT", "LAKEFS_S3_ACCESS_KEY",
                                       "LAKEFS_S3_SECRET_KEY", "LAKEFS_S3_REGION")}


def skip_all(reason):
    print("# skip: " + reason)
    print("1..0")
    sys.exit(0)


def create_s3_server(conn, name="minio", secret=None):
    """CREATE SERVER name for the S3 test server and a user mapping for PUBLIC."""
    env = s3_env()
    conn.execute("CREATE SERVER %s FOREIGN DATA WRAPPER lakefs_s3 OPTIONS "
                 "(endpoint '%s', region '%s', url_style 'path')"
                 % (name, env["LAKEFS_S3_ENDPOINT"], env["LAKEFS_S3_REGION"]))
    conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER %s OPTIONS "
                 "(access_key_id '%s', secret_access_key '%s')"
                 % (name, env["LAKEFS_S3_ACCESS_KEY"], secret or env["LAKEFS_S3_SECRET_KEY"]))


def expect_error(conn, sql, args=(), sqlstate=None):
    """Run sql; return the error (or None). The connection must be autocommit."""
    try:
        conn.execute(sql, args)
    except psycopg.Error as e:  # noqa: PERF203
        if sqlstate and e.sqlstate != sqlstate:
            return e
        return e
    return None
