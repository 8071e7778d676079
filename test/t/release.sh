#!/usr/bin/env bash
# test/t/release.sh — the release rules hold.
#
# - EXTVERSION in the Makefile is the one version: the control file's
#   default_version, META.json's versions and the library's lakefs_version()
#   all say the same.
# - Released install scripts are frozen: their bytes hash to what was released.
# - Every released version updates to the current one (pg_extension_update_paths).
# - README.md opens with its title and no tracked file is over 2 MiB.
# - Every function and view of the extension has a COMMENT (\df+ and \dv+ say what
#   it does), so a new one cannot ship undocumented.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib/sqltap.sh"
export PGOPTIONS="-c client_min_messages=warning"

ext=$(sed -n 's/^EXTVERSION *= *//p' "$ROOT/Makefile")
ctl=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$ROOT/pg_lakefs.control")
meta=$(/usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['version'], m['provides']['pg_lakefs']['version'])" "$ROOT/META.json")
is "the control file's default_version is EXTVERSION" "$ctl" "$ext"
is "META.json's versions are EXTVERSION" "$meta" "$ext $ext"
# the README is a document, not the output of a runaway edit: it opens with
# its title, and no tracked file comes near a code host's 100 MiB limit
is "README.md opens with its title" "$(head -1 "$ROOT/README.md")" "# pg_lakefs"
big=$(cd "$ROOT" && git ls-files -z 2>/dev/null | xargs -0 -r stat -c '%s %n' 2>/dev/null | awk '$1 > 2097152 { print $2 }')
is "no tracked file is over 2 MiB" "$big" ""

# released install scripts and their SHA-256 at release
declare -A released=(
    [0.1.0]=af07ad3fd0c70bbdf44af99947bd2909fc56cf5ddce95b5fa03513cb435058c0
)
for v in "${!released[@]}"; do
    got=$(sha256sum "$ROOT/extension/pg_lakefs--$v.sql" | cut -d' ' -f1)
    is "the released install script of $v is unchanged (ship changes as an upgrade script)" "$got" "${released[$v]}"
done

tap_db lakefs_t_release >/dev/null || { nok "create database"; tap_done; exit 1; }
is "the library reports EXTVERSION" "$(q -c "SELECT lakefs_version()")" "$ext"
for v in "${!released[@]}"; do
    [ "$v" = "$ext" ] && continue
    is "$v updates to $ext" "$(q -c "SELECT count(*) FROM pg_extension_update_paths('pg_lakefs') WHERE source = '$v' AND target = '$ext' AND path IS NOT NULL")" "1"
done
undocumented=$(q <<'SQL'
SELECT p.oid::regprocedure::text FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_lakefs')
   AND obj_description(p.oid, 'pg_proc') IS NULL
UNION ALL
SELECT c.oid::regclass::text FROM pg_class c
  JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_lakefs')
   AND c.relkind = 'v' AND obj_description(c.oid, 'pg_class') IS NULL
ORDER BY 1;
SQL
)
is "every function and view has a COMMENT" "$undocumented" ""
tap_done
