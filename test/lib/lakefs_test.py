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
