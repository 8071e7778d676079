# test/lib/sqltap.sh — helpers for the bash + psql TAP scripts under test/t.
#
# Sourced by a test. Expects PGHOST/PGPORT/PGUSER (test/run exports them) and
# TEST_DB, the database the test creates for itself with tap_db.

T_N=0
T_FAILED=0

ok()  { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
nok() { T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/#   /'; }

# q SQL...: run SQL in TEST_DB, print the unaligned result, fail on error.
q() { psql -XAtq -v ON_ERROR_STOP=1 -d "$TEST_DB" "$@"; }

# is DESC GOT WANT
is() {
    if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "got:  $2
want: $3"; fi
}

# sql_is DESC SQL WANT: the result of SQL equals WANT.
sql_is() {
    local got
    got=$(q -c "$2" 2>&1)
    is "$1" "$got" "$3"
}

# sql_error DESC SQL SQLSTATE [REGEX]: SQL fails with SQLSTATE (and the message
# matches REGEX when given). Sets LAST_ERROR to the whole error report.
sql_error() {
    local desc=$1 sql=$2 state=$3 re=${4:-}
    LAST_ERROR=$(psql -XAtq -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d "$TEST_DB" -c "$sql" 2>&1)
    if ! echo "$LAST_ERROR" | grep -q "^ERROR:  $state:"; then
        nok "$desc" "$LAST_ERROR"
    elif [ -n "$re" ] && ! echo "$LAST_ERROR" | grep -Eq "$re"; then
        nok "$desc" "$LAST_ERROR"
    else
        ok "$desc"
    fi
}

# tap_db NAME: (re)create database NAME with the extension; sets TEST_DB.
tap_db() {
    TEST_DB=$1
    psql -XAtq -d postgres -c "DROP DATABASE IF EXISTS $TEST_DB" >/dev/null 2>&1
    psql -XAtq -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $TEST_DB" &&
        q -c "CREATE EXTENSION pg_lakefs"
}

# now_ms: wall clock in milliseconds.
now_ms() { date +%s%3N; }

tap_done() {
    echo "1..$T_N"
    [ "$T_FAILED" -eq 0 ]
}
