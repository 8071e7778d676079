#!/usr/bin/env bash
# test/t/exports.sh — the library exports its SQL entry points and nothing else.
#
# A server loads extension libraries into one symbol namespace, so internal names
# (catalog_get_repo, check_path, ...) must not be exported. The Makefile's version
# script (src/exports.map, derived from every PG_FUNCTION_INFO_V1) does that; this
# checks the built library against the sources and against pg_proc.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"
lib=$ROOT/pg_lakefs.so
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort)
entry=$(sed -n 's/^PG_FUNCTION_INFO_V1(\([a-z_0-9]*\));.*/\1/p' "$ROOT"/src/*.c | sort)
want=$( { echo _PG_init; echo Pg_magic_func; for f in $entry; do echo "$f"; echo "pg_finfo_$f"; done; } | sort)
extra=$(comm -23 <(echo "$exported") <(echo "$want"))
missing=$(comm -13 <(echo "$exported") <(echo "$want"))
is "no symbol beyond the entry points, _PG_init and Pg_magic_func" "$extra" ""
is "every entry point is exported" "$missing" ""

PGOPTIONS="-c client_min_messages=warning" tap_db lakefs_t_exports >/dev/null ||
    { nok "create database"; tap_done; exit 1; }
sql_funcs=$(q -c "SELECT DISTINCT prosrc FROM pg_proc WHERE probin = '\$libdir/pg_lakefs' ORDER BY 1")
unexported=$(comm -23 <(echo "$sql_funcs") <(echo "$exported"))
is "every C function the SQL scripts declare is exported" "$unexported" ""
[ "$(echo "$sql_funcs" | wc -l)" -ge 40 ] && ok "pg_proc lists the extension's C functions" ||
    nok "pg_proc lists the extension's C functions" "$sql_funcs"
tap_done
