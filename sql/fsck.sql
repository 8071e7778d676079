-- lakefs_fsck: the catalog integrity checker. One row per problem found, no
-- rows for a healthy catalog.
CREATE FUNCTION pg_temp.sqlstate_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;

-- A repository with branches, a tag, a true merge and uncommitted changes.
-- Small ranges (about 16 entries each) and small index nodes (about 4 ranges
-- or nodes each) give the trees many ranges and three levels, and fixed
-- last_modified values make every range, node and metarange id the same on
-- each run.
SET pg_lakefs.range_size_bits = 4;
SET pg_lakefs.index_node_size_bits = 2;
SELECT lakefs_create_repository('fsck-repo', 'local://fsck-repo') IS NOT NULL AS created;
SELECT lakefs_stage_objects('fsck-repo', 'main',
	$$SELECT 'raw/' || lpad(i::text, 4, '0') || '.csv' AS path, 'raw-' || i AS physical_address,
			 i AS size, 'e' || i AS checksum, '2026-01-01 00:00+00'::timestamptz AS last_modified
	  FROM generate_series(1, 500) i$$) AS staged;
SELECT lakefs_commit('fsck-repo', 'main', 'raw data') IS NOT NULL AS committed;
SELECT lakefs_create_branch('fsck-repo', 'exp', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('fsck-repo', 'exp', 'model.pkl', 'model-1', 100, 'm1',
						   last_modified => '2026-01-02 00:00+00');
SELECT lakefs_delete_object('fsck-repo', 'exp', 'raw/0100.csv');
SELECT lakefs_commit('fsck-repo', 'exp', 'train') IS NOT NULL AS committed;
SELECT lakefs_stage_object('fsck-repo', 'main', 'raw/0501.csv', 'raw-501', 501, 'e501',
						   last_modified => '2026-01-02 00:00+00');
SELECT lakefs_commit('fsck-repo', 'main', 'more raw data') IS NOT NULL AS committed;
SELECT lakefs_merge('fsck-repo', 'exp', 'main') IS NOT NULL AS merged;
SELECT lakefs_create_tag('fsck-repo', 'v1', 'main') IS NOT NULL AS tagged;
-- uncommitted changes of a live branch: a bulk run and a single row
SELECT lakefs_create_branch('fsck-repo', 'wip', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_objects('fsck-repo', 'wip',
	$$SELECT 'new/' || i AS path, 'new-' || i AS physical_address, i AS size, 'n' AS checksum
	  FROM generate_series(1, 50) i$$) AS staged;
SELECT lakefs_stage_object('fsck-repo', 'wip', 'notes.txt', 'notes', 5, 'n');
SELECT count(*) AS commits, (SELECT count(*) FROM lakefs_ranges('fsck-repo', 'main')) AS ranges_of_main
FROM lakefs_log('fsck-repo', 'main');

-- Healthy: no rows, for this repository and for every repository.
SELECT * FROM lakefs_fsck('fsck-repo');
SELECT count(*) AS problems FROM lakefs_fsck();

-- Now break the catalog as a superuser, one way at a time (each inside a
-- transaction that is rolled back), and see fsck name the problem.
-- The repository's id, the range that holds raw/0250.csv, the commit 'train',
-- and a report as (kind, object type):
CREATE TEMP VIEW repo AS SELECT id FROM lakefs.repositories WHERE name = 'fsck-repo';
CREATE TEMP VIEW victim AS
	SELECT decode(id, 'hex') AS id FROM lakefs_ranges('fsck-repo', 'main')
	WHERE 'raw/0250.csv' BETWEEN min_path AND max_path;
CREATE TEMP VIEW train AS
	SELECT c.* FROM lakefs.commits c JOIN repo ON repo.id = c.repo_id
	WHERE c.message = 'train';
CREATE FUNCTION pg_temp.problems() RETURNS TABLE (kind text, object_type text, n bigint)
	LANGUAGE sql AS $$SELECT kind, split_part(object, ' ', 1), count(*)
		FROM lakefs_fsck('fsck-repo') GROUP BY 1, 2 ORDER BY 1, 2$$;

-- 1. A flipped byte in a range's data: it no longer hashes to its id (here the
--    byte is in the format's magic, so it no longer decodes either).
BEGIN;
UPDATE lakefs.ranges SET data = set_byte(data, 0, get_byte(data, 0) # 1)
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT id FROM victim);
SELECT kind, object = 'range ' || encode((SELECT id FROM victim), 'hex') AS is_victim, detail
FROM lakefs_fsck('fsck-repo') ORDER BY kind;
ROLLBACK;

-- A truncated range: the hash and the decoder both notice.
BEGIN;
UPDATE lakefs.ranges SET data = substring(data FROM 1 FOR octet_length(data) - 1)
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT id FROM victim);
SELECT kind, object = 'range ' || encode((SELECT id FROM victim), 'hex') AS is_victim, detail
FROM lakefs_fsck('fsck-repo') ORDER BY kind;
ROLLBACK;

-- The data of the next range stored under the victim's id: a valid range, but
-- not the one its id and the metaranges describe.
BEGIN;
UPDATE lakefs.ranges SET data = (SELECT data FROM lakefs.ranges
	WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT decode(id, 'hex') FROM lakefs_ranges('fsck-repo', 'main')
				WHERE min_path > 'raw/0250.csv' ORDER BY min_path LIMIT 1))
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT id FROM victim);
SELECT kind, object = 'range ' || encode((SELECT id FROM victim), 'hex') AS is_victim,
	   regexp_replace(detail, '[0-9a-f]{64}', '<id>') AS detail
FROM lakefs_fsck('fsck-repo') ORDER BY kind;
ROLLBACK;

-- A wrong entry count recorded next to the range's data.
BEGIN;
UPDATE lakefs.ranges SET entries = entries + 1
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT id FROM victim);
SELECT kind, object = 'range ' || encode((SELECT id FROM victim), 'hex') AS is_victim
FROM lakefs_fsck('fsck-repo');
ROLLBACK;

-- 2. A deleted range that metaranges name: reported once, however many
--    metaranges (here those of every commit since 'raw data') share it.
BEGIN;
DELETE FROM lakefs.ranges WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT id FROM victim);
SELECT kind, object = 'range ' || encode((SELECT id FROM victim), 'hex') AS is_victim,
	   detail LIKE '% % names it, but it does not exist' AS detail_ok
FROM lakefs_fsck('fsck-repo');
ROLLBACK;

-- 3. A tag and a branch that point at commits that do not exist (the foreign
--    keys would refuse this; replica mode turns their triggers off).
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE lakefs.tags SET commit_id = repeat('0', 64)
WHERE repo_id = (SELECT id FROM repo) AND name = 'v1';
UPDATE lakefs.branches SET head = repeat('1', 64)
WHERE repo_id = (SELECT id FROM repo) AND name = 'exp';
SELECT kind, object, detail FROM lakefs_fsck('fsck-repo') ORDER BY object;
ROLLBACK;

-- 4. A commit message changed after the fact: the id no longer recomputes
--    from the commit's fields.
BEGIN;
UPDATE lakefs.commits SET message = 'rewritten history'
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT id FROM train);
SELECT kind, object = 'commit ' || lakefs_resolve_ref('fsck-repo', 'exp') AS is_train
FROM lakefs_fsck('fsck-repo');
ROLLBACK;

-- 5. A deleted commit: its children lose a parent, the branches and tags on it
--    dangle. The first commit, 'Repository created', has one child.
BEGIN;
SET LOCAL session_replication_role = replica;
DELETE FROM lakefs.commits
WHERE repo_id = (SELECT id FROM repo) AND message = 'Repository created';
SELECT kind, object = 'commit ' || lakefs_resolve_ref('fsck-repo', 'main~2') AS is_raw_data
FROM lakefs_fsck('fsck-repo');
ROLLBACK;

-- 6. A deleted metarange, and a wrong count recorded next to another one.
BEGIN;
SET LOCAL session_replication_role = replica;
DELETE FROM lakefs.metaranges
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT metarange_id FROM train);
SELECT * FROM pg_temp.problems();
ROLLBACK;
BEGIN;
UPDATE lakefs.metaranges SET entries = entries + 1, ranges = ranges - 1
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT metarange_id FROM train);
SELECT kind, detail FROM lakefs_fsck('fsck-repo') ORDER BY detail;
ROLLBACK;

-- 7. A truncated metarange.
BEGIN;
UPDATE lakefs.metaranges SET data = substring(data FROM 1 FOR octet_length(data) - 1)
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT metarange_id FROM train);
SELECT * FROM pg_temp.problems();
ROLLBACK;

-- 8. Keys out of order: a range (stored under its true hash) whose second
--    path, "a", sorts before its first, "b".
BEGIN;
INSERT INTO lakefs.ranges (repo_id, id, entries, data)
SELECT r.id, sha256(x.d), 2, x.d
FROM repo r,
	 (SELECT '\x4c4b5201'::bytea || '\x02'::bytea ||
			 '\x000162'::bytea || '\x00000000000000'::bytea ||
			 '\x000161'::bytea || '\x00000000000000'::bytea AS d) x;
SELECT * FROM lakefs_fsck('fsck-repo');
ROLLBACK;

-- 9. A metarange (stored under its true hash) that gives the victim range
--    other bounds than the range's own keys and than the real metaranges. Its
--    first key is not valid text ("raw", a zero byte, 0xff): shown in hex.
CREATE FUNCTION pg_temp.varint(v bigint) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
	b bytea := '';
BEGIN
	WHILE v >= 128 LOOP
		b := b || set_byte('\x00'::bytea, 0, (v % 128 + 128)::int);
		v := v / 128;
	END LOOP;
	RETURN b || set_byte('\x00'::bytea, 0, v::int);
END $$;
BEGIN;
INSERT INTO lakefs.metaranges (repo_id, id, ranges, entries, data)
SELECT r.repo_id, sha256(x.d), 1, r.entries, x.d
FROM lakefs.ranges r,
	 LATERAL (SELECT '\x4c4b4d01'::bytea || '\x01'::bytea || r.id ||
			 '\x05'::bytea || '\x72617700ff'::bytea || '\x01'::bytea || 'z'::bytea ||
			 pg_temp.varint(r.entries) || pg_temp.varint(octet_length(r.data)) AS d) x
WHERE r.repo_id = (SELECT id FROM repo) AND r.id = (SELECT id FROM victim);
SELECT kind, split_part(object, ' ', 1) AS object_type,
	   regexp_replace(detail, '[0-9a-f]{64}', '<id>', 'g') AS detail
FROM lakefs_fsck('fsck-repo');
ROLLBACK;

-- 10. Staged changes of branches that do not exist: a row for a branch never
--     created, and the rows and runs of a branch deleted behind the
--     extension's back. Since 0.2.0 foreign keys forbid both, so the
--     corruption is made with the foreign-key triggers off (as a restore
--     with session_replication_role = replica could).
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO lakefs.staging (repo_id, branch, path, physical_address, size, seq)
SELECT id, 'gone', 'lost.txt', 'lost', 1, nextval('lakefs.staging_seq')
FROM repo;
DELETE FROM lakefs.branches WHERE repo_id = (SELECT id FROM repo) AND name = 'wip';
SELECT * FROM lakefs_fsck('fsck-repo') ORDER BY object;
ROLLBACK;

-- Staging rows of a repository that does not exist are reported with every
-- repository's checks (repository NULL).
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO lakefs.staging (repo_id, branch, path, physical_address, size, seq)
VALUES (-1, 'main', 'lost.txt', 'lost', 1, nextval('lakefs.staging_seq'));
SELECT * FROM lakefs_fsck() WHERE repository IS NULL;
ROLLBACK;

-- 11. Index nodes: a flipped byte (no longer hashes to its id, nor decodes),
--     a deleted node that trees name (reported once), a wrong level and a
--     wrong entry count recorded next to a node's data (nodes are read from
--     the top level down, by their recorded level: a node that claims its
--     parent's level is read before its parent, so it is reported missing
--     too), and a metarange's bytes stored as an index node.
CREATE TEMP TABLE node_victim AS
	SELECT n.id FROM lakefs.index_nodes n JOIN repo ON repo.id = n.repo_id
	WHERE n.level = 1 ORDER BY n.id LIMIT 1;
SELECT count(*) > 4 AS many_nodes, max(level) AS top_level
FROM lakefs.index_nodes n JOIN repo ON repo.id = n.repo_id;
BEGIN;
UPDATE lakefs.index_nodes SET data = set_byte(data, 0, get_byte(data, 0) # 1)
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT id FROM node_victim);
SELECT kind, object = 'index_node ' || encode((SELECT id FROM node_victim), 'hex') AS is_victim,
	   regexp_replace(detail, '[0-9a-f]{64}', '<id>') AS detail
FROM lakefs_fsck('fsck-repo') ORDER BY kind;
ROLLBACK;
BEGIN;
DELETE FROM lakefs.index_nodes
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT id FROM node_victim);
SELECT kind, object = 'index_node ' || encode((SELECT id FROM node_victim), 'hex') AS is_victim,
	   detail LIKE '% % names it, but it does not exist' AS detail_ok
FROM lakefs_fsck('fsck-repo');
ROLLBACK;
-- Reading trees over a deleted node, or over a node whose bytes are another
-- node's (it no longer matches its parent), raises XX001 data_corrupted (the
-- backend's cache of node bytes off, or it would still hold the good ones).
BEGIN;
SET LOCAL pg_lakefs.range_cache_size = 0;
DELETE FROM lakefs.index_nodes
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT id FROM node_victim);
SELECT pg_temp.sqlstate_of($$SELECT count(*) FROM lakefs.commits c
	JOIN lakefs.repositories r ON r.id = c.repo_id AND r.name = 'fsck-repo',
	LATERAL lakefs_ls('fsck-repo', c.id) l$$) AS missing_node;
ROLLBACK;
BEGIN;
SET LOCAL pg_lakefs.range_cache_size = 0;
UPDATE lakefs.index_nodes SET data = (SELECT n.data FROM lakefs.index_nodes n
	WHERE n.repo_id = (SELECT id FROM repo) AND n.level = 1
	AND n.id <> (SELECT id FROM node_victim) ORDER BY n.id LIMIT 1)
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT id FROM node_victim);
SELECT pg_temp.sqlstate_of($$SELECT count(*) FROM lakefs.commits c
	JOIN lakefs.repositories r ON r.id = c.repo_id AND r.name = 'fsck-repo',
	LATERAL lakefs_ls('fsck-repo', c.id) l$$) AS other_node;
ROLLBACK;
BEGIN;
UPDATE lakefs.index_nodes SET level = level + 1, entries = entries + 1
WHERE repo_id = (SELECT id FROM repo) AND id = (SELECT id FROM node_victim);
SELECT kind, object = 'index_node ' || encode((SELECT id FROM node_victim), 'hex') AS is_victim,
	   regexp_replace(detail, '[0-9a-f]{64}', '<id>') AS detail
FROM lakefs_fsck('fsck-repo') ORDER BY detail;
ROLLBACK;
BEGIN;
INSERT INTO lakefs.index_nodes (repo_id, id, level, entries, data)
SELECT m.repo_id, m.id, 1, m.entries, m.data FROM lakefs.metaranges m
WHERE m.repo_id = (SELECT id FROM repo) AND m.id = (SELECT metarange_id FROM train);
SELECT kind, split_part(object, ' ', 1) AS object_type, detail
FROM lakefs_fsck('fsck-repo');
ROLLBACK;

-- Everything rolled back: healthy again.
SELECT count(*) AS problems FROM lakefs_fsck('fsck-repo');

-- Rights: read on the repository (lakefs_grant); every repository at once
-- (NULL) is for superusers and lakefs_admin. Without them, 42501.
CREATE ROLE regress_fsck_reader;
SET ROLE regress_fsck_reader;
SELECT * FROM lakefs_fsck('fsck-repo');
SELECT * FROM lakefs_fsck();
RESET ROLE;
SELECT lakefs_grant('fsck-repo', 'regress_fsck_reader', 'read');
SET ROLE regress_fsck_reader;
SELECT count(*) AS problems FROM lakefs_fsck('fsck-repo');
SELECT * FROM lakefs_fsck();
RESET ROLE;
SELECT lakefs_revoke('fsck-repo', 'regress_fsck_reader', 'read');
DROP ROLE regress_fsck_reader;

-- Errors
SELECT * FROM lakefs_fsck('no-such-repo');
SELECT stmt, pg_temp.sqlstate_of(stmt) AS sqlstate FROM unnest(ARRAY[
	$$SELECT * FROM lakefs_fsck('no-such-repo')$$,	-- 42704 undefined_object
	$$SELECT * FROM lakefs_fsck('')$$
]) stmt;

RESET pg_lakefs.range_size_bits;
RESET pg_lakefs.index_node_size_bits;
SELECT lakefs_delete_repository('fsck-repo');
