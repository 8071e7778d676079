# test/lib/pgcluster.sh — a private PostgreSQL install and throwaway cluster for tests.
#
# Sourced by test/run, the benchmarks and the demo. tmp_install copies the server's
# installation tree next to the build (hard links where possible) and installs the
# extension into that copy with DESTDIR, the way PostgreSQL's own "make check" uses
# tmp_install: the system installation is never touched, and several checkouts can
# test at once. Postgres finds its share and lib directories relative to its binary,
# so the copy behaves as a complete installation.
#
# The cluster is owned by an unprivileged OS user (postgres when run as root, else
# the caller), listens only on a private socket directory and loopback port.

: "${PG_CONFIG:=pg_config}"
: "${LAKEFS_PGPORT:=55432}"

pgc_root() { cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd; }

# tmp_install DIR: make DIR a private copy of the server installation with the
# extension installed into it; sets PGBIN.
tmp_install() {
    local dest=$1 bindir sharedir
    bindir=$($PG_CONFIG --bindir)
    sharedir=$($PG_CONFIG --sharedir)
    local libroot=${bindir%/bin}
    rm -rf "$dest"
    mkdir -p "$dest$(dirname "$libroot")" "$dest$(dirname "$sharedir")"
    cp -al "$libroot" "$dest$(dirname "$libroot")/" 2>/dev/null ||
        cp -a "$libroot" "$dest$(dirname "$libroot")/"
    cp -a "$sharedir" "$dest$(dirname "$sharedir")/"
    make -s -C "$(pgc_root)" install DESTDIR="$dest" >/dev/null
    PGBIN=$dest$bindir
    export PGBIN
}

# sanitize_pg_ctl DIR: make the private installation's pg_ctl start the server
# with the AddressSanitizer runtime preloaded, for an extension built with
# -fsanitize=address,undefined (the server itself is not: the runtime must come
# first in the library list). pg_ctl in PGBIN becomes a wrapper around pg_ctl.real,
# so every test that starts a server through it (cluster_start, the standby and
# crash tests) gets the runtime. ASan and UBSan reports go to the server's stderr,
# that is its log file (pg_ctl -l; log_path is not honoured by a runtime that
# initializes this late): sanitizer_reports finds them. Leak detection is off
# (Postgres frees by dropping memory contexts and exiting, which LeakSanitizer
# reports as leaks).
#
# The runtime, preloaded, initializes late: from the first malloc, which for the
# server binary is in libp11-kit's constructor (pulled in by libldap -> gnutls),
# inside newlocale(). There it looks up swift_demangle with dlsym, and the failed
# lookup's dlerror() calls gettext, which corrupts glibc's locale locks: the server
# then hangs in bindtextdomain() before main. A preloaded stub that defines
# swift_demangle (returning NULL: no Swift names here) makes the lookup succeed.
sanitize_pg_ctl() {
    local dir=$1 rt stub=$1/libswift_demangle_stub.so
    rt=$(${CC:-gcc} -print-file-name=libasan.so)
    [ -f "$rt" ] || { echo "sanitize_pg_ctl: no libasan.so ($rt)"; return 1; }
    rm -rf "$dir"
    mkdir -p "$dir"
    printf '%s\n' 'char *swift_demangle(const char *, unsigned long, char *, unsigned long *, unsigned);' \
        'char *swift_demangle(const char *n, unsigned long l, char *o, unsigned long *ol, unsigned f)' \
        '{ (void) n; (void) l; (void) o; (void) ol; (void) f; return 0; }' >"$dir/stub.c"
    ${CC:-gcc} -shared -fPIC -O2 -o "$stub" "$dir/stub.c" ||
        { echo "sanitize_pg_ctl: cannot build $stub"; return 1; }
    # PGBIN's files are hard links to the system's: replace the link, never write
    # through it
    mv "$PGBIN/pg_ctl" "$PGBIN/pg_ctl.real"
    cat >"$PGBIN/pg_ctl" <<WRAP
#!/bin/sh
# pg_ctl with the ASan runtime preloaded into the server (test/lib/pgcluster.sh)
export LD_PRELOAD="$rt:$stub\${LD_PRELOAD:+:\$LD_PRELOAD}"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1"
exec "\$(dirname "\$0")/pg_ctl.real" "\$@"
WRAP
    chmod 755 "$PGBIN/pg_ctl"
}

# sanitizer_reports DIR: print every ASan/UBSan report in the *.log files under DIR
# (the servers' logs) with its stack, one "== FILE" header each; the report count
# is the number of lines matching the report headers.
SANITIZER_REPORT_RE='^==[0-9]+==ERROR: AddressSanitizer|^[^ ].*:[0-9]+:[0-9]+: runtime error: '
sanitizer_reports() {
    local f
    grep -rlE --include='*.log' "$SANITIZER_REPORT_RE" "$1" 2>/dev/null | while read -r f; do
        echo "== $f"
        grep -E -A 25 "$SANITIZER_REPORT_RE" "$f"
    done
}

# pg_as_owner CMD...: run CMD as the cluster's owner.
pg_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# cluster_start DIR: initdb and start a cluster under DIR; exports PGHOST, PGPORT,
# PGUSER, PGDATABASE for the clients.
cluster_start() {
    local dir=$1
    # a cluster still running there (a kept demo, an interrupted run) is
    # stopped first: removing its data directory would orphan its postmaster
    if [ -f "$dir/data/postmaster.pid" ]; then
        pg_as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    mkdir -p "$dir/sock"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
    pg_as_owner "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $LAKEFS_PGPORT
unix_socket_directories = '$dir/sock'
max_connections = 60
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
max_prepared_transactions = 10
${LAKEFS_PGCONF:-}
CONF
    pg_as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
        { cat "$dir/server.log"; return 1; }
    export PGHOST=$dir/sock PGPORT=$LAKEFS_PGPORT PGUSER=postgres PGDATABASE=postgres
    PGCLUSTER_DIR=$dir
}

# cluster_stop: stop the cluster started by cluster_start (fast shutdown).
cluster_stop() {
    [ -n "${PGCLUSTER_DIR:-}" ] || return 0
    pg_as_owner "$PGBIN/pg_ctl" -D "$PGCLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    PGCLUSTER_DIR=
}
