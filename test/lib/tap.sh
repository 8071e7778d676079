# test/lib/tap.sh — counting TAP results for test/run.
#
# A test program prints "ok N - ..." and "not ok N - ..." lines. tap_run runs one,
# adds its counts to PASS and FAIL, prints its output when anything failed, and
# counts a program that exits non-zero without a "not ok" line as one failure.

PASS=0
FAIL=0

# tap_run NAME CMD...: run a TAP-printing command and count its results.
tap_run() {
    local name=$1; shift
    local log
    log=$(mktemp)
    local start=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    local p f
    p=$(grep -cE '^ok ' "$log")
    f=$(grep -cE '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "not ok - $name exited with status $rc" >>"$log"
    fi
    PASS=$((PASS + p)); FAIL=$((FAIL + f))
    printf '%-50s %4d passed, %d failed (%ds)\n' "$name" "$p" "$f" $((SECONDS - start))
    if [ "$f" -gt 0 ] || [ -n "${LAKEFS_VERBOSE:-}" ]; then
        sed 's/^/    /' "$log" | tail -n 200
    fi
    grep -E '^# (skip|SKIP)' "$log" | sed 's/^/    /'
    rm -f "$log"
}

# tap_fail NAME: count one failure that happened outside a test program.
tap_fail() {
    FAIL=$((FAIL + 1))
    echo "not ok - $1"
}
