#!/usr/bin/env bash
# test/bench/gc_bench.sh — garbage collection figures (a benchmark, not a test: it
# prints numbers and asserts nothing).
#
#   test/bench/gc_bench.sh [ENTRIES] [BRANCHES] [COMMITS] [SWEEP_OBJECTS]
#
# Defaults: 1,000,000 entries on main, 100 branches with 1 commit of 100 entries
# each (pass COMMITS=10 for 10), half of the branches then deleted and their
# commits moved past the retention; 10,000 objects for the sweep. Builds and
# installs into tmp_install/, starts a throwaway cluster (LAKEFS_PGPORT) and the
# RGW test server (LAKEFS_S3_PORT), runs, and stops both. Prints:
#   - mark time (lakefs_gc dry run) and the backend's peak anonymous memory
#     during it (RssAnon sampled every 20 ms; shared buffers excluded),
#   - sweep rate of lakefs_gc (objects/s) against raw DeleteObjects of the same
#     number of objects with curl (1,000 keys a request, one connection), and
#   - the catalog bytes (stored range and metarange bytes, commit rows) the run
#     reclaimed.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. test/lib/pgcluster.sh
ENTRIES=${1:-1000000}
BRANCHES=${2:-100}
COMMITS=${3:-1}
K=${4:-10000}
WORK=$ROOT/tmp_check/gc_bench
mkdir -p "$WORK"
make -s >/dev/null || exit 1
tmp_install "$ROOT/tmp_install" || exit 1
cluster_start "$WORK/pg" || exit 1
cleanup() { cluster_stop; test/s3server/stop.sh "$WORK/s3" >/dev/null 2>&1; }
trap cleanup EXIT
test/s3server/start.sh "$WORK/s3" >/dev/null || exit 1
. "$WORK/s3/env.sh"

q() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }
ms() { date +%s%3N; }
SIG=(--aws-sigv4 "aws:amz:$LAKEFS_S3_REGION:s3" --user "$LAKEFS_S3_ACCESS_KEY:$LAKEFS_S3_SECRET_KEY")

q -c "CREATE EXTENSION pg_lakefs" >/dev/null
q <<SQL >/dev/null
CREATE SERVER rgw FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint '$LAKEFS_S3_ENDPOINT');
CREATE USER MAPPING FOR PUBLIC SERVER rgw
    OPTIONS (access_key_id '$LAKEFS_S3_ACCESS_KEY', secret_access_key '$LAKEFS_S3_SECRET_KEY');
SELECT lakefs_s3_create_bucket('rgw', 'bench');
SELECT lakefs_create_repository('gcbench', 's3://bench/gcbench', server => 'rgw');
SELECT lakefs_set_gc_rules('gcbench', '7 days');
SQL

echo "== setup: $ENTRIES entries, $BRANCHES branches x $COMMITS commits"
t0=$(ms)
q <<SQL >/dev/null
SELECT lakefs_stage_objects('gcbench', 'main', \$\$SELECT 'main/' || lpad(i::text, 8, '0') AS path,
    'data/m' || i AS physical_address, 1024::bigint AS size, md5(i::text) AS checksum
    FROM generate_series(1, $ENTRIES) i\$\$);
SELECT lakefs_commit('gcbench', 'main', 'base');
DO \$\$
BEGIN
  FOR b IN 1..$BRANCHES LOOP
    PERFORM lakefs_create_branch('gcbench', 'exp-' || b, 'main');
    FOR c IN 1..$COMMITS LOOP
      PERFORM lakefs_stage_objects('gcbench', 'exp-' || b,
        format(\$q\$SELECT 'main/' || lpad((i * 9973 %% $ENTRIES + 1)::text, 8, '0') AS path,
               'data/b%s-%s-' || i AS physical_address, 2048::bigint AS size, 'x%s' AS checksum
               FROM generate_series(1, 100) i\$q\$, b, c, c));
      PERFORM lakefs_commit('gcbench', 'exp-' || b, 'c' || c);
    END LOOP;
  END LOOP;
END \$\$;
-- half of the experiments lose: their branches go, their commits age past the retention
UPDATE lakefs.commits SET created_at = created_at - interval '30 days'
 WHERE message LIKE 'c%';
DO \$\$
BEGIN
  FOR b IN 1..$BRANCHES BY 2 LOOP
    PERFORM lakefs_delete_branch('gcbench', 'exp-' || b);
  END LOOP;
END \$\$;
SQL
echo "setup took $(( $(ms) - t0 )) ms"

catalog_bytes() {
    q -c "SELECT (SELECT coalesce(sum(pg_column_size(r)), 0) FROM lakefs.ranges r)
               + (SELECT coalesce(sum(pg_column_size(m)), 0) FROM lakefs.metaranges m)
               + (SELECT coalesce(sum(pg_column_size(c)), 0) FROM lakefs.commits c)"
}

# run SQL in a session named gcbench-mark, sampling its RssAnon; prints "ms peak_kib"
measured() {
    local sql=$1 out="$WORK/measured.out"
    PGAPPNAME=gcbench-mark psql -XAtq -v ON_ERROR_STOP=1 -c '\timing on' -c "$sql" >"$out" 2>&1 &
    local job=$! pid="" peak=0 v
    while kill -0 "$job" 2>/dev/null; do
        [ -z "$pid" ] && pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'gcbench-mark'")
        if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
            v=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
            [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
        fi
        sleep 0.02
    done
    wait "$job" || { cat "$out"; exit 1; }
    grep -m1 '|' "$out" >"$WORK/result.row"
    echo "$(sed -n 's/^Time: \([0-9]*\)\..*/\1/p' "$out" | tail -1) $peak"
}

echo "== mark (dry run)"
read -r mark_ms mark_kib < <(measured "SELECT * FROM lakefs_gc('gcbench')")
echo "lakefs_gc dry run: $mark_ms ms, backend peak RssAnon $((mark_kib / 1024)) MiB"
echo "row (active_commits|ranges_read|candidates|candidate_bytes|deleted): $(cat "$WORK/result.row")"
read -r mark2_ms mark2_kib < <(measured "SELECT * FROM lakefs_gc('gcbench')")
echo "second dry run: $mark2_ms ms, peak RssAnon $((mark2_kib / 1024)) MiB"

echo "== sweep: $K objects, lakefs_gc against curl DeleteObjects"
q <<SQL >/dev/null
SELECT lakefs_create_repository('gcsweep', 's3://bench/gcsweep', server => 'rgw');
SELECT lakefs_set_gc_rules('gcsweep', '1 day');
SELECT lakefs_create_branch('gcsweep', 'tmp', 'main');
SELECT count(lakefs_s3_put('rgw', 's3://bench/gcsweep/data/s' || lpad(i::text, 7, '0'), 'x'))
  FROM generate_series(1, $K) i;
SELECT count(lakefs_s3_put('rgw', 's3://bench/raw/s' || lpad(i::text, 7, '0'), 'x'))
  FROM generate_series(1, $K) i;
SELECT lakefs_stage_objects('gcsweep', 'tmp', \$\$SELECT 'o/' || i AS path,
    'data/s' || lpad(i::text, 7, '0') AS physical_address, 1::bigint AS size, 'e' AS checksum
    FROM generate_series(1, $K) i\$\$);
SELECT lakefs_commit('gcsweep', 'tmp', 'doomed');
UPDATE lakefs.commits SET created_at = created_at - interval '30 days' WHERE message = 'doomed';
SELECT lakefs_delete_branch('gcsweep', 'tmp');
SQL
read -r dry_ms _ < <(measured "SELECT * FROM lakefs_gc('gcsweep')")
read -r full_ms _ < <(measured "SELECT * FROM lakefs_gc('gcsweep', false)")
sweep_ms=$((full_ms - dry_ms))
[ "$sweep_ms" -le 0 ] && sweep_ms=1
echo "lakefs_gc: mark $dry_ms ms, mark + sweep $full_ms ms: sweep $sweep_ms ms = $((K * 1000 / sweep_ms)) objects/s"

# raw: the same number of keys with curl, 1,000 per request, one connection
for ((i = 1; i <= K; i += 1000)); do
    {
        echo '<Delete><Quiet>true</Quiet>'
        for ((j = i; j < i + 1000 && j <= K; j++)); do printf '<Object><Key>raw/s%07d</Key></Object>' "$j"; done
        echo '</Delete>'
    } >"$WORK/del-$i.xml"
done
t0=$(ms)
args=()
for ((i = 1; i <= K; i += 1000)); do
    md5=$(openssl dgst -md5 -binary "$WORK/del-$i.xml" | base64)
    sha=$(sha256sum "$WORK/del-$i.xml" | cut -d' ' -f1)
    # "?delete=": curl 7.88 signs a bare "?delete" differently from S3
    args+=(--next -sf -o /dev/null "${SIG[@]}" -X POST -H "Content-MD5: $md5"
           -H "x-amz-content-sha256: $sha" -H "Content-Type: application/xml"
           --data-binary "@$WORK/del-$i.xml" "$LAKEFS_S3_ENDPOINT/bench?delete=")
done
curl "${args[@]:1}" || echo "curl DeleteObjects failed"
raw_ms=$(( $(ms) - t0 ))
[ "$raw_ms" -le 0 ] && raw_ms=1
left=$(q -c "SELECT count(*) FROM lakefs_list_objects('rgw', 's3://bench/raw/')")
echo "curl DeleteObjects: $raw_ms ms = $((K * 1000 / raw_ms)) objects/s ($left left)"
echo "lakefs_gc sweep / raw: $(echo "scale=2; $raw_ms / $sweep_ms" | bc)x"

echo "== catalog"
before=$(catalog_bytes)
read -r gc_ms _ < <(measured "SELECT * FROM lakefs_gc('gcbench', false)")
after=$(catalog_bytes)
echo "lakefs_gc('gcbench', false): $gc_ms ms; row $(cat "$WORK/result.row")"
echo "catalog bytes (ranges, metaranges, commits as stored): $before -> $after, reclaimed $((before - after))"
