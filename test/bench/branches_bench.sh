#!/usr/bin/env bash
# test/bench/branches_bench.sh — catalog growth of many experiment branches on one data set.
#
#   test/bench/branches_bench.sh              N = 10,000,000 entries
#   test/bench/branches_bench.sh 1000000      another N
#   LAKEFS_BENCH_BRANCHES=100 LAKEFS_BENCH_COMMITS=10 LAKEFS_BENCH_CHANGES=1
#   LAKEFS_BENCH_REWRITE=1      rewrite data-set paths instead of adding outputs
#
# Not a test: it prints figures from a throwaway cluster (test/lib/pgcluster.sh).
# One commit of N entries (the data set), then BRANCHES experiment branches from
# it, each with COMMITS commits of CHANGES new output files
# (runs/exp-B/step-K/out-J.json: what a training run writes per step) or,
# with LAKEFS_BENCH_REWRITE=1, of CHANGES data-set paths rewritten at places
# spread over the tree (the worst case: every change in another range). Prints the catalog size of
# the data set alone and what the experiments added (lakefs.ranges,
# lakefs.index_nodes, lakefs.metaranges, lakefs.commits, lakefs.branches and
# the history index, with their indexes and TOAST), and the ratio, which
# would be 1.0 if the experiments cost nothing.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. test/lib/pgcluster.sh

N=${1:-10000000}
BRANCHES=${LAKEFS_BENCH_BRANCHES:-100}
COMMITS=${LAKEFS_BENCH_COMMITS:-10}
CHANGES=${LAKEFS_BENCH_CHANGES:-1}
WORK=$ROOT/tmp_check/bench-branches
mkdir -p "$WORK"
: "${LAKEFS_PGPORT:=55497}"

make -s >/dev/null || exit 1
tmp_install "$ROOT/tmp_install" || exit 1
cluster_start "$WORK/pg" || exit 1
trap 'cluster_stop; rm -rf "$WORK"' EXIT

psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), PostgreSQL $($PGBIN/postgres -V | awk '{print $3}')"
psql_q -d postgres -c "CREATE DATABASE bench"
psql_q -d bench <<'SQL'
CREATE EXTENSION pg_lakefs;
CREATE FUNCTION catalog_bytes() RETURNS bigint LANGUAGE sql AS $$
	SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c
	JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = 'lakefs' AND c.relkind = 'r'
$$;
SQL
t0=$(date +%s.%N)
psql_q -d bench -o /dev/null <<SQL || exit 1
SELECT lakefs_create_repository('exp', 's3://bench/exp') IS NOT NULL;
SELECT lakefs_stage_objects('exp', 'main', \$q\$SELECT format('raw/Images/class-%s/img-%s.jpg',
	lpad((g % 1000)::text, 4, '0'), lpad(g::text, 9, '0')) AS path,
	'data/' || md5(g::text) AS physical_address, 1000 + g % 5000 AS size,
	md5(g::text) AS checksum FROM generate_series(1, $N) g\$q\$) > 0;
SELECT lakefs_commit('exp', 'main', 'the data set') IS NOT NULL;
VACUUM FULL;
SQL
base=$(psql_q -d bench -c "SELECT catalog_bytes()")
t1=$(date +%s.%N)
printf 'data set: %d entries, catalog %.1f MB (%.1f s to build)\n' "$N" "$(echo "$base / 1000000" | bc -l)" "$(echo "$t1 - $t0" | bc)"
psql_q -d bench -o /dev/null <<SQL || exit 1
DO \$\$
BEGIN
	FOR b IN 1..$BRANCHES LOOP
		PERFORM lakefs_create_branch('exp', 'exp-' || b, 'main');
		FOR k IN 1..$COMMITS LOOP
			IF ${LAKEFS_BENCH_REWRITE:-0} = 1 THEN
				PERFORM lakefs_stage_objects('exp', 'exp-' || b, format(\$q\$SELECT format('raw/Images/class-%%s/img-%%s.jpg',
					lpad((g %% 1000)::text, 4, '0'), lpad(g::text, 9, '0')) AS path,
					'data/exp-%s-%s-' || g AS physical_address, 7::bigint AS size, md5('%s-%s-' || g) AS checksum
					FROM (SELECT 1 + ((%s * 7919 + %s * 104729 + j * 15485863::bigint) %% $N) AS g
						  FROM generate_series(1, $CHANGES) j) s\$q\$, b, k, b, k, b, k));
			ELSE
				PERFORM lakefs_stage_objects('exp', 'exp-' || b, format(\$q\$SELECT format('runs/exp-%s/step-%s/out-%%s.json', j) AS path,
					'data/exp-%s-%s-' || j AS physical_address, 100::bigint AS size, md5('%s-%s-' || j) AS checksum
					FROM generate_series(1, $CHANGES) j\$q\$, b, k, b, k, b, k));
			END IF;
			PERFORM lakefs_commit('exp', 'exp-' || b, 'step ' || k);
		END LOOP;
	END LOOP;
END \$\$;
VACUUM FULL;
SQL
after=$(psql_q -d bench -c "SELECT catalog_bytes()")
t2=$(date +%s.%N)
psql_q -d bench <<SQL
SELECT format('experiments: %s branches x %s commits x %s %s: %s commits, %s s',
	$BRANCHES, $COMMITS, $CHANGES, CASE WHEN ${LAKEFS_BENCH_REWRITE:-0} = 1 THEN 'rewritten data-set paths' ELSE 'new output files' END, (SELECT count(*) FROM lakefs.commits) - 2, round(($t2 - $t1)::numeric, 1));
SELECT format('catalog: %s MB before, %s MB after: +%s MB, %s KB per commit; %s x the data set''s own catalog',
	round($base / 1e6, 1), round($after / 1e6, 1), round(($after - $base) / 1e6, 1),
	round(($after - $base) / 1e3 / ($BRANCHES * $COMMITS), 1), round($after::numeric / $base, 3));
SELECT format('  %-22s %s', c.relname, pg_size_pretty(pg_total_relation_size(c.oid)))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'lakefs' AND c.relkind = 'r' AND pg_total_relation_size(c.oid) > 65536
ORDER BY pg_total_relation_size(c.oid) DESC;
SQL
