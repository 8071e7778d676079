#!/usr/bin/env bash
# test/bench/diff_merge_bench.sh — diff and merge timings against the plain-SQL way.
#
#   test/bench/diff_merge_bench.sh                  1M entries
#   LAKEFS_BENCH_SIZES="1000000 10000000" test/bench/diff_merge_bench.sh
#   LAKEFS_BENCH_10M=1 test/bench/diff_merge_bench.sh   the same
#
# For each tree size N it builds, in a throwaway cluster (test/lib/pgcluster.sh):
#   main      N entries (even numbers), committed
#   k100      main + 100 changed paths spread over the tree
#   odd       N entries at the odd numbers: disjoint from main, interleaved with it
# and prints, in milliseconds (server-side, best of a few runs):
#   diff of two commits differing in 100 paths (lakefs_diff), and the same diff the
#     plain-SQL way: a FULL OUTER JOIN of the two trees materialized from lakefs_ls
#     into indexed tables (materializing them is not counted);
#   full diff of the two disjoint trees (2N rows), as entries/s, streamed
#     (target-list call) and through a FROM clause, against the same join;
#   merge of 100 changes into a branch that moved (a true merge), and merge of
#     100 conflicting changes resolved by strategy source-wins and dest-wins
#     (each run in a subtransaction rolled back, so every run does the same work).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. test/lib/pgcluster.sh

SIZES=${LAKEFS_BENCH_SIZES:-1000000}
[ "${LAKEFS_BENCH_10M:-}" = 1 ] && [ -z "${LAKEFS_BENCH_SIZES:-}" ] && SIZES="1000000 10000000"
REPS=${LAKEFS_BENCH_REPS:-5}
WORK=$ROOT/tmp_check/bench
mkdir -p "$WORK"

make -s >/dev/null || exit 1
tmp_install "$ROOT/tmp_install" || exit 1
cluster_start "$WORK/pg" || exit 1
trap cluster_stop EXIT

psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

psql_q -d postgres -c "CREATE DATABASE bench"
psql_q -d bench <<'SQL'
CREATE EXTENSION pg_lakefs;
-- best wall time of reps runs of a query, in ms
CREATE FUNCTION bench(q text, reps int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8 := 'infinity';
BEGIN
	FOR i IN 1..reps LOOP
		t0 := clock_timestamp();
		EXECUTE q;
		best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
	RETURN best;
END $$;
-- the same for a statement whose effects are rolled back after each run
CREATE FUNCTION bench_rollback(q text, reps int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8 := 'infinity';
BEGIN
	FOR i IN 1..reps LOOP
		BEGIN
			t0 := clock_timestamp();
			EXECUTE q;
			best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
			RAISE EXCEPTION USING ERRCODE = 'LKRB0';
		EXCEPTION WHEN SQLSTATE 'LKRB0' THEN NULL;
		END;
	END LOOP;
	RETURN best;
END $$;
SQL

run_size() {
    local n=$1 repo="bench-$1" t0 t1
    echo "== N = $n entries"
    t0=$(date +%s.%N)
    psql_q -d bench -o /dev/null <<SQL || return 1
SELECT lakefs_create_repository('$repo', 's3://bench/$repo') IS NOT NULL;
SELECT lakefs_create_branch('$repo', 'odd', 'main') IS NOT NULL;
SELECT lakefs_stage_objects('$repo', 'main', \$q\$SELECT 'data/' || lpad((2 * i)::text, 10, '0') AS path,
	'obj-' || i AS physical_address, i AS size, md5(i::text) AS checksum,
	'2026-01-01'::timestamptz AS last_modified FROM generate_series(1, $n) i\$q\$) > 0;
SELECT lakefs_commit('$repo', 'main', 'N entries') IS NOT NULL;
SELECT lakefs_stage_objects('$repo', 'odd', \$q\$SELECT 'data/' || lpad((2 * i + 1)::text, 10, '0') AS path,
	'odd-' || i AS physical_address, i AS size, md5(i::text) AS checksum,
	'2026-01-01'::timestamptz AS last_modified FROM generate_series(1, $n) i\$q\$) > 0;
SELECT lakefs_commit('$repo', 'odd', 'N disjoint entries') IS NOT NULL;
-- 100 changed paths spread over the tree; 100 others for the merge tests
SELECT lakefs_create_branch('$repo', 'k100', 'main') IS NOT NULL;
SELECT lakefs_stage_objects('$repo', 'k100', \$q\$SELECT 'data/' || lpad((2 * (1 + j * ($n / 100)))::text, 10, '0') AS path,
	'k100-' || j AS physical_address, j AS size, 'k' AS checksum FROM generate_series(0, 99) j\$q\$) = 100;
SELECT lakefs_commit('$repo', 'k100', '100 changes') IS NOT NULL;
SELECT lakefs_create_branch('$repo', 'dest', 'main') IS NOT NULL;
SELECT lakefs_stage_object('$repo', 'dest', 'zzz/other', 'other', 1, 'o');
SELECT lakefs_commit('$repo', 'dest', 'unrelated change') IS NOT NULL;
SELECT lakefs_create_branch('$repo', 'cdest', 'main') IS NOT NULL;
SELECT lakefs_stage_objects('$repo', 'cdest', \$q\$SELECT 'data/' || lpad((2 * (1 + j * ($n / 100)))::text, 10, '0') AS path,
	'cdest-' || j AS physical_address, j AS size, 'c' AS checksum FROM generate_series(0, 99) j\$q\$) = 100;
SELECT lakefs_commit('$repo', 'cdest', '100 conflicting changes') IS NOT NULL;
SQL
    t1=$(date +%s.%N)
    printf 'build: %.1f s (%d entries on main, %d on odd, 4 more commits)\n' \
        "$(echo "$t1 - $t0" | bc)" "$n" "$n"
    t0=$(date +%s.%N)
    psql_q -d bench -o /dev/null <<SQL || return 1
CREATE TABLE t_main AS SELECT * FROM lakefs_ls('$repo', 'main');
CREATE TABLE t_k100 AS SELECT * FROM lakefs_ls('$repo', 'k100');
CREATE TABLE t_odd AS SELECT * FROM lakefs_ls('$repo', 'odd');
CREATE UNIQUE INDEX ON t_main (path COLLATE "C");
CREATE UNIQUE INDEX ON t_k100 (path COLLATE "C");
CREATE UNIQUE INDEX ON t_odd (path COLLATE "C");
VACUUM ANALYZE t_main, t_k100, t_odd;
SQL
    t1=$(date +%s.%N)
    printf 'materializing the three trees for the plain-SQL way: %.1f s (not counted below)\n' \
        "$(echo "$t1 - $t0" | bc)"
    psql_q -d bench <<SQL
SELECT lakefs_debug_counters() AS c0 \gset
SELECT count(*) = 100 AS ok FROM lakefs_diff('$repo', 'main', 'k100') \gset
SELECT lakefs_debug_counters() - :c0 AS loaded \gset
\echo 'sanity: 100-path diff correct: ' :ok ', ranges loaded: ' :loaded
SELECT bench(\$\$SELECT count(*) FROM lakefs_diff('$repo', 'main', 'k100')\$\$, $REPS) AS d100 \gset
SELECT bench(\$\$SELECT count(*) FROM t_main l FULL JOIN t_k100 r ON l.path = r.path
	WHERE l IS DISTINCT FROM r\$\$, $REPS) AS s100 \gset
\echo '100-path diff:     lakefs_diff ' :d100 ' ms   plain SQL join ' :s100 ' ms'
SELECT round((:s100 / :d100)::numeric, 1) AS r \gset
\echo '                   plain SQL / lakefs_diff = ' :r 'x'
SELECT bench(\$\$SELECT count(d) FROM (SELECT lakefs_diff('$repo', 'main', 'odd') d) s\$\$, 2) AS dstream \gset
SELECT bench(\$\$SELECT count(*) FROM lakefs_diff('$repo', 'main', 'odd')\$\$, 2) AS dfrom \gset
SELECT bench(\$\$SELECT count(*) FROM t_main l FULL JOIN t_odd r ON l.path = r.path
	WHERE l IS DISTINCT FROM r\$\$, 2) AS sfull \gset
SELECT round(2 * $n / (:dstream / 1000)) AS eps_stream, round(2 * $n / (:dfrom / 1000)) AS eps_from,
	round(2 * $n / (:sfull / 1000)) AS eps_sql, round((:sfull / :dstream)::numeric, 2) AS r1,
	round((:sfull / :dfrom)::numeric, 2) AS r2 \gset
\echo 'disjoint diff (' $n '+' $n 'rows):'
\echo '   streamed (target list) ' :dstream ' ms = ' :eps_stream ' entries/s'
\echo '   FROM clause            ' :dfrom ' ms = ' :eps_from ' entries/s'
\echo '   plain SQL join         ' :sfull ' ms = ' :eps_sql ' entries/s'
\echo '   plain SQL / lakefs_diff = ' :r1 'x streamed, ' :r2 'x FROM clause'
SELECT bench_rollback(\$\$SELECT lakefs_merge('$repo', 'k100', 'dest')\$\$, $REPS) AS m100 \gset
\echo 'merge of 100 changes (true merge):       ' :m100 ' ms'
SELECT bench_rollback(\$\$SELECT lakefs_merge('$repo', 'k100', 'cdest', strategy => 'source-wins')\$\$, $REPS) AS msrc \gset
SELECT bench_rollback(\$\$SELECT lakefs_merge('$repo', 'k100', 'cdest', strategy => 'dest-wins')\$\$, $REPS) AS mdst \gset
SELECT count(*) AS nconf FROM lakefs_merge_conflicts('$repo', 'k100', 'cdest') \gset
\echo 'merge with ' :nconf ' conflicts, source-wins: ' :msrc ' ms, dest-wins: ' :mdst ' ms'
SELECT lakefs_debug_counters() AS c0 \gset
SELECT lakefs_merge('$repo', 'k100', 'dest') IS NOT NULL AS merged \gset
SELECT lakefs_debug_counters() - :c0 AS loaded \gset
\echo 'ranges loaded by the 100-change merge: ' :loaded
SQL
    psql_q -d bench -c "DROP TABLE t_main, t_k100, t_odd" -c "SELECT lakefs_delete_repository('$repo')" >/dev/null
}

echo "pg_lakefs diff/merge benchmark on $(nproc) cores, $(date -u +%Y-%m-%d)"
for n in $SIZES; do
    run_size "$n" || exit 1
done
