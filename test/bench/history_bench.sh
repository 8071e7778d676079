#!/usr/bin/env bash
# test/bench/history_bench.sh — history features: diff paging, path history, three-dot.
#
#   test/bench/history_bench.sh                         1M entries, 10,000 commits
#   LAKEFS_BENCH_N=100000 LAKEFS_BENCH_COMMITS=1000 test/bench/history_bench.sh
#
# Not a test: it prints figures (milliseconds, server side, best of a few runs)
# from a throwaway cluster (test/lib/pgcluster.sh):
#   diff paging    page 1 and page 5,000 (amount 100) of a diff of N rows (every
#                  entry of main rewritten on a branch), and the full diff;
#   path history   lakefs_log(paths => ...) for the last 10 commits that touched a
#                  path changed every 10th commit, and a path changed every
#                  (COMMITS/10)th commit (its 10 commits span the whole history),
#                  against the naive walk that compares each commit's entry with
#                  its first parent's (lakefs_ls at the path), newest first;
#   three-dot      lakefs_diff two-dot and three-dot of main against a branch
#                  forked COMMITS/2 commits ago with 100 changes of its own.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. test/lib/pgcluster.sh

N=${LAKEFS_BENCH_N:-1000000}
COMMITS=${LAKEFS_BENCH_COMMITS:-10000}
REPS=${LAKEFS_BENCH_REPS:-5}
WORK=$ROOT/tmp_check/bench-history
mkdir -p "$WORK"

make -s >/dev/null || exit 1
tmp_install "$ROOT/tmp_install" || exit 1
# lakefs_create_repository(..., 'local://...') needs the local blockstore's root
mkdir -p "$WORK/root"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK/root"
export LAKEFS_PGCONF="${LAKEFS_PGCONF:-}
pg_lakefs.local_root = '$WORK/root'"
cluster_start "$WORK/pg" || exit 1
trap cluster_stop EXIT

psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

psql_q -d postgres -c "CREATE DATABASE bench"
psql_q -d bench <<'SQL'
CREATE EXTENSION pg_lakefs;
CREATE FUNCTION bench(q text, reps int) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8 := 'infinity';
BEGIN
	FOR i IN 1..reps LOOP
		t0 := clock_timestamp();
		EXECUTE q;
		best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
	RETURN round(best::numeric, 1);
END $$;
-- the naive path history: every commit's entry at the path against its first
-- parent's, newest first, until k commits changed it
CREATE FUNCTION naive_path_log(repo text, ref text, p text, k int) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE c record; n int := 0;
BEGIN
	FOR c IN SELECT id, parents FROM lakefs_log(repo, ref) LOOP
		IF (SELECT array_agg(e) FROM lakefs_ls(repo, c.id, p) e WHERE e.path = p) IS DISTINCT FROM
		   (SELECT array_agg(e) FROM lakefs_ls(repo, c.parents[1], p) e WHERE e.path = p
			 AND c.parents[1] IS NOT NULL) THEN
			RETURN NEXT c.id;
			n := n + 1;
			EXIT WHEN n >= k;
		END IF;
	END LOOP;
END $$;
SQL

t0=$(date +%s.%N)
psql_q -d bench -o /dev/null <<SQL || exit 1
SELECT lakefs_create_repository('hist', 'local://hist') IS NOT NULL;
SELECT lakefs_stage_objects('hist', 'main', \$q\$SELECT 'data/' || lpad(i::text, 10, '0') AS path,
	'obj-' || i AS physical_address, i AS size, md5(i::text) AS checksum,
	'2026-01-01'::timestamptz AS last_modified FROM generate_series(1, $N) i\$q\$) > 0;
SELECT lakefs_commit('hist', 'main', 'N entries') IS NOT NULL;
SELECT lakefs_create_branch('hist', 'rewrite', 'main') IS NOT NULL;
SELECT lakefs_stage_objects('hist', 'rewrite', \$q\$SELECT 'data/' || lpad(i::text, 10, '0') AS path,
	'new-' || i AS physical_address, i AS size, md5('new' || i) AS checksum,
	'2026-01-01'::timestamptz AS last_modified FROM generate_series(1, $N) i\$q\$) > 0;
SELECT lakefs_commit('hist', 'rewrite', 'every entry rewritten') IS NOT NULL;
SQL
t1=$(date +%s.%N)
printf 'build: %.1f s (%d entries, a branch rewriting all of them)\n' "$(echo "$t1 - $t0" | bc)" "$N"

echo "== diff paging (a diff of $N rows, amount 100; page 5,000 starts after row min(499,900, N/2))"
after=$(psql_q -d bench -c "SELECT 'data/' || lpad(least(499900, $N / 2)::text, 10, '0')")
psql_q -d bench <<SQL
SELECT format('page 1:      %s ms', bench(\$\$SELECT count(*) FROM lakefs_diff('hist', 'main', 'rewrite', amount => 100)\$\$, $REPS));
SELECT format('page 5,000:  %s ms', bench(\$\$SELECT count(*) FROM lakefs_diff('hist', 'main', 'rewrite', after => '$after', amount => 100)\$\$, $REPS));
SELECT format('full diff:   %s ms (%s rows)', bench(\$\$SELECT count(*) FROM lakefs_diff('hist', 'main', 'rewrite')\$\$, 1),
	(SELECT count(*) FROM lakefs_diff('hist', 'main', 'rewrite')));
SELECT format('delimiter:   %s ms (one prefix_changed row)', bench(\$\$SELECT count(*) FROM lakefs_diff('hist', 'main', 'rewrite', delimiter => '/')\$\$, $REPS));
SQL

echo "== building $COMMITS commits of 10 changes each on main"
t0=$(date +%s.%N)
psql_q -d bench -o /dev/null <<SQL || exit 1
DO \$\$
DECLARE every int := greatest($COMMITS / 10, 1);
BEGIN
	FOR k IN 1..$COMMITS LOOP
		PERFORM lakefs_stage_objects('hist', 'main', format(\$q\$SELECT 'data/' || lpad((1 + (%s * 7919 + j * 104729) %% $N)::text, 10, '0') AS path,
			'c%s-' || j AS physical_address, j::bigint AS size, 'c%s' AS checksum FROM generate_series(1, 10) j\$q\$, k, k, k));
		IF k % 10 = 0 THEN
			PERFORM lakefs_stage_object('hist', 'main', 'hot/every-10', 'hot-' || k, k, 'h');
		END IF;
		IF k % every = 0 THEN
			PERFORM lakefs_stage_object('hist', 'main', 'cold/spread', 'cold-' || k, k, 'c');
		END IF;
		PERFORM lakefs_commit('hist', 'main', 'commit ' || k);
		IF k = $COMMITS / 2 THEN
			PERFORM lakefs_create_branch('hist', 'feature', 'main');
		END IF;
	END LOOP;
END \$\$;
SELECT lakefs_stage_objects('hist', 'feature', \$q\$SELECT 'feature/' || j AS path, 'f-' || j AS physical_address,
	j::bigint AS size, 'f' AS checksum FROM generate_series(1, 100) j\$q\$);
SELECT lakefs_commit('hist', 'feature', '100 changes');
VACUUM ANALYZE;
SQL
t1=$(date +%s.%N)
printf 'build: %.1f s (%d commits)\n' "$(echo "$t1 - $t0" | bc)" "$COMMITS"
psql_q -d bench -c "SELECT format('history index: %s rows', count(*)) FROM lakefs.commit_paths"

echo "== path history: the last 10 commits that touched a path ($COMMITS commits)"
# each statement is its own transaction: the commit cache starts cold
echo "(each figure one run in a fresh transaction, commit rows read from the catalog)"
for i in 1 2 3; do
psql_q -d bench <<SQL
SELECT lakefs_resolve_ref('hist', 'main') IS NULL AS warm_up_the_session;
SELECT format('changed every 10th commit:     index %s ms',
	bench(\$\$SELECT count(*) FROM lakefs_log('hist', 'main', max_count => 10, paths => ARRAY['hot/every-10'])\$\$, 1));
SELECT format('10 commits across the history: index %s ms',
	bench(\$\$SELECT count(*) FROM lakefs_log('hist', 'main', max_count => 10, paths => ARRAY['cold/spread'])\$\$, 1));
SQL
done
psql_q -d bench <<SQL
SELECT format('changed every 10th commit:     naive walk %s ms',
	bench(\$\$SELECT count(*) FROM naive_path_log('hist', 'main', 'hot/every-10', 10)\$\$, 1));
SELECT format('10 commits across the history: naive walk %s ms',
	bench(\$\$SELECT count(*) FROM naive_path_log('hist', 'main', 'cold/spread', 10)\$\$, 1));
SELECT format('the same, first_parent:        index %s ms',
	bench(\$\$SELECT count(*) FROM lakefs_log('hist', 'main', max_count => 10, paths => ARRAY['cold/spread'], first_parent => true)\$\$, 1));
SELECT format('the whole log (no filter):     %s ms',
	bench(\$\$SELECT count(*) FROM lakefs_log('hist', 'main')\$\$, 1));
SQL

echo "== three-dot vs two-dot (main against a branch forked $((COMMITS / 2)) commits ago with 100 changes)"
psql_q -d bench <<SQL
SELECT format('two-dot:   %s ms (%s rows)', bench(\$\$SELECT count(*) FROM lakefs_diff('hist', 'main', 'feature')\$\$, $REPS),
	(SELECT count(*) FROM lakefs_diff('hist', 'main', 'feature')));
SELECT format('three-dot: %s ms (%s rows)', bench(\$\$SELECT count(*) FROM lakefs_diff('hist', 'main', 'feature', mode => 'three-dot')\$\$, $REPS),
	(SELECT count(*) FROM lakefs_diff('hist', 'main', 'feature', mode => 'three-dot')));
SELECT format('merge base alone: %s ms', bench(\$\$SELECT lakefs_merge_base('hist', 'main', 'feature')\$\$, $REPS));
SQL
