#!/usr/bin/env bash
# test/bench/ls_bench.sh — listing paging: page 1 vs page 5,000 of a big tree.
#
#   test/bench/ls_bench.sh                 1M and 10M entries
#   test/bench/ls_bench.sh 100000          one size
#
# Not a test: it prints figures (milliseconds, server side, best and median of
# LAKEFS_BENCH_REPS runs) from a throwaway cluster (test/lib/pgcluster.sh).
# For each size N it builds one commit of N entries (`data/NNNNNNNNNN`) and a
# branch with 1,000 staged changes scattered over it, then times
#   lakefs_ls(amount => 100)                       page 1
#   lakefs_ls(after => row 499,900, amount => 100) page 5,000
# on the commit and on the branch (head plus staging), against the plain-SQL
# way on a table of the same N paths with a btree primary key: keyset paging
# (WHERE path > after ORDER BY path LIMIT 100) and OFFSET paging.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. test/lib/pgcluster.sh

SIZES=${*:-1000000 10000000}
REPS=${LAKEFS_BENCH_REPS:-7}
WORK=$ROOT/tmp_check/bench-ls
mkdir -p "$WORK"
: "${LAKEFS_PGPORT:=55498}"

make -s >/dev/null || exit 1
tmp_install "$ROOT/tmp_install" || exit 1
cluster_start "$WORK/pg" || exit 1
trap cluster_stop EXIT

psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), PostgreSQL $($PGBIN/postgres -V | awk '{print $3}')"
psql_q -d postgres -c "CREATE DATABASE bench"
psql_q -d bench <<'SQL'
CREATE EXTENSION pg_lakefs;
-- best and median of reps runs of q, in milliseconds
CREATE FUNCTION bench(q text, reps int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; ms float8[] := '{}';
BEGIN
	FOR i IN 1..reps LOOP
		t0 := clock_timestamp();
		EXECUTE q;
		ms := ms || extract(epoch FROM clock_timestamp() - t0) * 1000;
	END LOOP;
	RETURN format('%s ms best, %s ms median',
		round((SELECT min(x) FROM unnest(ms) x)::numeric, 2),
		round((SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(ms) x)::numeric, 2));
END $$;
SQL

for N in $SIZES; do
	repo=ls$N
	echo "== $N entries"
	t0=$(date +%s.%N)
	psql_q -d bench -o /dev/null <<SQL || exit 1
SELECT lakefs_create_repository('$repo', 's3://bench/$repo') IS NOT NULL;
SELECT lakefs_stage_objects('$repo', 'main', \$q\$SELECT 'data/' || lpad(i::text, 10, '0') AS path,
	'obj-' || i AS physical_address, i AS size, md5(i::text) AS checksum,
	'2026-01-01'::timestamptz AS last_modified FROM generate_series(1, $N) i\$q\$) > 0;
SELECT lakefs_commit('$repo', 'main', 'N entries') IS NOT NULL;
SELECT lakefs_create_branch('$repo', 'dirty', 'main') IS NOT NULL;
SELECT lakefs_stage_objects('$repo', 'dirty', \$q\$SELECT 'data/' || lpad((1 + i * 7919 % $N)::text, 10, '0') AS path,
	'new-' || i AS physical_address, i AS size, 'c' AS checksum FROM generate_series(1, 1000) i\$q\$) > 0;
CREATE TABLE plain_$N (path text COLLATE "C" PRIMARY KEY, address text, size bigint, checksum text);
INSERT INTO plain_$N SELECT 'data/' || lpad(i::text, 10, '0'), 'obj-' || i, i, md5(i::text)
	FROM generate_series(1, $N) i;
VACUUM ANALYZE plain_$N;
SQL
	t1=$(date +%s.%N)
	printf 'build: %.1f s\n' "$(echo "$t1 - $t0" | bc)"
	after=$(psql_q -d bench -c "SELECT 'data/' || lpad(least(499900, $N / 2)::text, 10, '0')")
	off=$(psql_q -d bench -c "SELECT least(499900, $N / 2)")
	psql_q -d bench <<SQL
SELECT format('lakefs_ls main@, page 1:         %s', bench(\$\$SELECT count(*) FROM lakefs_ls('$repo', 'main@', amount => 100)\$\$, $REPS));
SELECT format('lakefs_ls main@, page 5,000:     %s', bench(\$\$SELECT count(*) FROM lakefs_ls('$repo', 'main@', after => '$after', amount => 100)\$\$, $REPS));
SELECT format('lakefs_ls dirty, page 1:         %s', bench(\$\$SELECT count(*) FROM lakefs_ls('$repo', 'dirty', amount => 100)\$\$, $REPS));
SELECT format('lakefs_ls dirty, page 5,000:     %s', bench(\$\$SELECT count(*) FROM lakefs_ls('$repo', 'dirty', after => '$after', amount => 100)\$\$, $REPS));
SELECT format('plain SQL keyset, page 1:        %s', bench(\$\$SELECT count(*) FROM (SELECT * FROM plain_$N ORDER BY path LIMIT 100) s\$\$, $REPS));
SELECT format('plain SQL keyset, page 5,000:    %s', bench(\$\$SELECT count(*) FROM (SELECT * FROM plain_$N WHERE path > '$after' ORDER BY path LIMIT 100) s\$\$, $REPS));
SELECT format('plain SQL OFFSET, page 5,000:    %s', bench(\$\$SELECT count(*) FROM (SELECT * FROM plain_$N ORDER BY path OFFSET $off LIMIT 100) s\$\$, 3));
SELECT format('catalog: %s (lakefs) vs %s (plain table and index)',
	pg_size_pretty((SELECT sum(pg_column_size(data)) FROM lakefs.ranges)::bigint),
	pg_size_pretty(pg_total_relation_size('plain_$N')));
SQL
	# cold: each run in a new backend, so no range is cached yet
	for what in "page 1|" "page 5,000|after => '$after', "; do
		label=${what%%|*}; arg=${what#*|}
		for i in 1 2 3 4 5; do
			psql_q -d bench -c "SELECT bench(\$\$SELECT count(*) FROM lakefs_ls('$repo', 'main@', ${arg}amount => 100)\$\$, 1)"
		done | sed 's/ ms.*//' | sort -n | awk -v l="$label" '{ v[NR] = $1 } END { printf "lakefs_ls main@, %s, cold:  %s ms best, %s ms median (a new backend each run)\n", l, v[1], v[int((NR + 1) / 2)] }'
	done
	psql_q -d bench -o /dev/null -c "SELECT lakefs_delete_repository('$repo')" -c "DROP TABLE plain_$N"
done
