-- Staging: upserts, tombstones, bulk staging from a query, reset
SELECT lakefs_create_repository('repo-stage', 's3://example/repo-stage') IS NOT NULL;

SELECT lakefs_stage_object('repo-stage', 'main', 'images/cat.png', 'data/c1', 2048, 'etag-cat',
						   content_type => 'image/png', metadata => '{"label": "cat"}');
SELECT lakefs_stage_object('repo-stage', 'main', 'images/dog.png', 's3://sample-data/dogs/dog.png', 4096, 'etag-dog');
SELECT branch, path, change, physical_address, size, content_type, metadata
	FROM lakefs_staged_changes WHERE repository = 'repo-stage' ORDER BY path;

-- staging the same path again replaces the staged entry
SELECT lakefs_stage_object('repo-stage', 'main', 'images/cat.png', 'data/c2', 2049, 'etag-cat-2');
SELECT path, physical_address, size FROM lakefs_ls('repo-stage', 'main');

-- bulk staging from a query
SELECT lakefs_stage_objects('repo-stage', 'main',
	$$SELECT format('bulk/%s.bin', lpad(g::text, 5, '0')) AS path,
			 format('data/b%s', g) AS physical_address,
			 g::bigint AS size, md5(g::text) AS checksum,
			 'application/octet-stream' AS content_type
	  FROM generate_series(1, 10000) g$$) AS staged;
SELECT count(*), sum(size) FROM lakefs_ls('repo-stage', 'main', 'bulk/');
SELECT lakefs_commit('repo-stage', 'main', 'bulk') IS NOT NULL AS committed;
SELECT count(*) AS staged_after_commit FROM lakefs_staged_changes WHERE repository = 'repo-stage';

-- a tombstone hides the committed entry until commit, then removes it
SELECT lakefs_delete_object('repo-stage', 'main', 'images/dog.png');
SELECT change FROM lakefs_staged_changes WHERE repository = 'repo-stage';
SELECT path FROM lakefs_ls('repo-stage', 'main', 'images/');
SELECT path FROM lakefs_ls('repo-stage', 'main@', 'images/');

-- reset by prefix, then all
SELECT lakefs_stage_object('repo-stage', 'main', 'tmp/x', 'data/x', 1, 'x');
SELECT lakefs_reset('repo-stage', 'main', prefix => 'tmp/') AS reset_rows;
SELECT path, change FROM lakefs_staged_changes WHERE repository = 'repo-stage';
SELECT lakefs_reset('repo-stage', 'main') AS reset_rows;
SELECT path FROM lakefs_ls('repo-stage', 'main', 'images/');

-- bulk runs and single rows mix: the latest staged change of a path wins
SELECT lakefs_stage_objects('repo-stage', 'main', $$SELECT 'mix/' || g AS path, 'data/run1-' || g AS physical_address, 1 AS size, 'r1' AS checksum FROM generate_series(1, 4) g$$);
SELECT lakefs_stage_object('repo-stage', 'main', 'mix/2', 'data/row', 2, 'row');
SELECT lakefs_stage_objects('repo-stage', 'main', $$SELECT 'mix/' || g AS path, 'data/run2-' || g AS physical_address, 3 AS size, 'r2' AS checksum FROM generate_series(3, 5) g$$);
SELECT lakefs_delete_object('repo-stage', 'main', 'mix/4');
SELECT path, change, physical_address, size FROM lakefs_staged_changes WHERE repository = 'repo-stage' ORDER BY path;
SELECT path, size FROM lakefs_ls('repo-stage', 'main', 'mix/');
SELECT lakefs_reset('repo-stage', 'main', 'mix/3') AS reset_rows;
SELECT path, change, size FROM lakefs_staged_changes WHERE repository = 'repo-stage' ORDER BY path;
SELECT lakefs_commit('repo-stage', 'main', 'mix') IS NOT NULL AS committed;
SELECT path, size FROM lakefs_ls('repo-stage', 'main', 'mix/');
SELECT count(*) AS staged_after_commit FROM lakefs_staged_changes WHERE repository = 'repo-stage';

-- an input larger than maintenance_work_mem becomes several runs of one call;
-- a path the query returns again in a later run: the later row wins
SET maintenance_work_mem = '1MB';
SELECT lakefs_stage_objects('repo-stage', 'main', $$SELECT 'many/' || lpad((g % 20000)::text, 5, '0') AS path, 'data/many-' || g AS physical_address, g AS size, 'm' AS checksum FROM generate_series(1, 20001) g$$) AS staged;
RESET maintenance_work_mem;
SELECT count(DISTINCT seq) BETWEEN 2 AND 20 AS several_runs FROM lakefs.staging_runs s
  JOIN lakefs.repositories r ON r.id = s.repo_id WHERE r.name = 'repo-stage';
SELECT lakefs_commit('repo-stage', 'main', 'many') IS NOT NULL AS committed;
SELECT count(*) AS entries, min(path) AS first, max(path) AS last FROM lakefs_ls('repo-stage', 'main', 'many/');
SELECT path, size FROM lakefs_ls('repo-stage', 'main', 'many/00001');

-- errors
SELECT lakefs_stage_objects('repo-stage', 'main', $$SELECT 'dup' AS path, 'a' AS physical_address, 1 AS size, 'c' AS checksum FROM generate_series(1, 2)$$);
-- a path twice where two parts of a run (65,536 entries each) meet
SELECT lakefs_stage_objects('repo-stage', 'main', $$SELECT format('d/%s', lpad(least(g, 65536)::text, 6, '0')) AS path, 'a' AS physical_address, 1 AS size, 'c' AS checksum FROM generate_series(1, 65537) g$$);
SELECT lakefs_stage_objects('repo-stage', 'main', $$SELECT 'neg' AS path, 'a' AS physical_address, -1 AS size, 'c' AS checksum$$);
SELECT lakefs_stage_objects('repo-stage', 'main', $$SELECT 'noaddr' AS path, '' AS physical_address, 1 AS size, 'c' AS checksum$$);
SELECT lakefs_stage_object('repo-stage', 'main', '', 'data/x', 1, 'x');
SELECT lakefs_stage_object('repo-stage', 'main', repeat('p', 1025), 'data/x', 1, 'x');
SELECT lakefs_stage_object('repo-stage', 'main', 'x', '', 1, 'x');
SELECT lakefs_stage_object('repo-stage', 'main', 'x', 'data/x', -1, 'x');
SELECT lakefs_stage_object('repo-stage', 'main', 'x', 'data/x', 1, 'x', metadata => '[1, 2]');
SELECT lakefs_stage_object('repo-stage', 'nope', 'x', 'data/x', 1, 'x');
SELECT lakefs_delete_object('repo-stage', 'main', 'no/such/object');
SELECT lakefs_stage_objects('repo-stage', 'main', 'SELECT 1 AS path');
SELECT lakefs_stage_objects('repo-stage', 'main', 'SELEC nothing');
SELECT lakefs_stage_objects('repo-stage', 'main', $$SELECT '' AS path, 'a' AS physical_address, 1 AS size, 'c' AS checksum$$);
SELECT lakefs_stage_objects('repo-stage', 'main', 'DELETE FROM lakefs.staging');
-- nothing was staged by the failed calls
SELECT count(*) FROM lakefs_staged_changes WHERE repository = 'repo-stage';

-- a checksum or content type is an HTTP header when served: no CR, LF
SELECT lakefs_stage_object('repo-stage', 'main', 'hdr/a', 'data/h', 1, E'etag\r\nX-Evil: 1');
SELECT lakefs_stage_object('repo-stage', 'main', 'hdr/a', 'data/h', 1, 'etag', E'text/plain\nX-Evil: 1');
SELECT lakefs_stage_objects('repo-stage', 'main', $$SELECT 'hdr/b' AS path, 'data/h' AS physical_address,
	1::bigint AS size, E'e\n' AS checksum$$);
SELECT lakefs_stage_objects('repo-stage', 'main', $$SELECT 'hdr/b' AS path, 'data/h' AS physical_address,
	1::bigint AS size, 'e' AS checksum, E'a\rb' AS content_type$$);
SELECT count(*) FROM lakefs_staged_changes WHERE repository = 'repo-stage' AND path LIKE 'hdr/%';

SELECT lakefs_delete_repository('repo-stage');
