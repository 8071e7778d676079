-- Content identity, as lakeFS's entry identity: two entries are the same when
-- their size, checksum, content type and user metadata are, whatever their
-- physical address or last-modified time (diff, commit and merge alike).
SELECT lakefs_create_repository('ident', 'local://ident') IS NOT NULL AS created;
CREATE TEMP TABLE first AS
	SELECT * FROM lakefs_put_object('ident', 'main', 'a.txt', 'hello', 'text/plain');
SELECT size, checksum FROM first;
SELECT lakefs_commit('ident', 'main', 'hello') IS NOT NULL AS committed;

-- uploading the same 5 bytes again: a new object, but no change
CREATE TEMP TABLE again AS
	SELECT * FROM lakefs_put_object('ident', 'main', 'a.txt', 'hello', 'text/plain');
SELECT a.physical_address <> f.physical_address AS new_object, a.checksum = f.checksum AS same_etag
	FROM again a, first f;
SELECT count(*) AS staged FROM lakefs.staging s JOIN lakefs.repositories r ON r.id = s.repo_id
	WHERE r.name = 'ident';
SELECT * FROM lakefs_diff_uncommitted('ident', 'main');
SELECT * FROM lakefs_diff('ident', 'main@', 'main');
-- a commit of it is empty (lakeFS: "no changes")
SELECT lakefs_commit('ident', 'main', 're-upload');
-- with allow_empty the commit is made; its tree keeps the committed entry
SELECT lakefs_commit('ident', 'main', 're-upload', allow_empty => true) IS NOT NULL AS committed;
SELECT s.physical_address = f.physical_address AS kept_first_address
	FROM lakefs_stat('ident', 'main', 'a.txt') s, first f;
SELECT count(*) AS changes FROM lakefs_diff('ident', 'main~1', 'main');
SELECT lakefs_get_object('ident', 'main', 'a.txt') AS bytes;

-- the same content next to a real change: only the real change is committed,
-- a.txt keeps its committed address (the re-uploaded object is referenced by
-- nothing once the staging is gone: GC collects it, see test/t/gc.py)
SELECT physical_address <> (SELECT physical_address FROM first) AS new_object
	FROM lakefs_put_object('ident', 'main', 'a.txt', 'hello', 'text/plain');
SELECT size FROM lakefs_put_object('ident', 'main', 'b.txt', 'world!');
SELECT change, path FROM lakefs_diff_uncommitted('ident', 'main');
SELECT lakefs_commit('ident', 'main', 'b') IS NOT NULL AS committed;
SELECT change, path FROM lakefs_diff('ident', 'main~1', 'main');
SELECT s.physical_address = f.physical_address AS kept_first_address
	FROM lakefs_stat('ident', 'main', 'a.txt') s, first f;
SELECT id = (SELECT id FROM lakefs_log('ident', 'main', max_count => 1, paths => ARRAY['b.txt'])) AS b_only
	FROM lakefs_log('ident', 'main', max_count => 1);
SELECT count(*) AS commits_touching_a FROM lakefs_log('ident', 'main', paths => ARRAY['a.txt']);

-- the last-modified time alone is no change; neither is another address kind
SELECT lakefs_stage_object('ident', 'main', 'a.txt', 's3://elsewhere/a', 5,
						   (SELECT checksum FROM first), 'text/plain',
						   last_modified => '2001-02-03 04:05:06+00');
SELECT count(*) AS changes FROM lakefs_diff('ident', 'main@', 'main');
SELECT lakefs_reset('ident', 'main');

-- a different content type, metadata, size or checksum IS a change
SELECT lakefs_stage_object('ident', 'main', 'a.txt', (SELECT physical_address FROM first), 5,
						   (SELECT checksum FROM first), 'text/csv');
SELECT change, path, left_size, right_size FROM lakefs_diff('ident', 'main@', 'main');
SELECT lakefs_stage_object('ident', 'main', 'a.txt', (SELECT physical_address FROM first), 5,
						   (SELECT checksum FROM first), 'text/plain', '{"k": "v"}');
SELECT change, path FROM lakefs_diff('ident', 'main@', 'main');
SELECT lakefs_stage_object('ident', 'main', 'a.txt', (SELECT physical_address FROM first), 6,
						   (SELECT checksum FROM first), 'text/plain');
SELECT change, path FROM lakefs_diff('ident', 'main@', 'main');
SELECT lakefs_stage_object('ident', 'main', 'a.txt', (SELECT physical_address FROM first), 5,
						   'another-etag', 'text/plain');
SELECT change, path FROM lakefs_diff('ident', 'main@', 'main');
-- ...and commits as one
SELECT lakefs_commit('ident', 'main', 'new etag') IS NOT NULL AS committed;
SELECT change, path FROM lakefs_diff('ident', 'main~1', 'main');
-- metadata given as {} is no metadata (lakeFS hashes an empty map the same)
SELECT lakefs_stage_object('ident', 'main', 'a.txt', 'x', 5, 'another-etag', 'text/plain', '{}');
SELECT count(*) AS changes FROM lakefs_diff('ident', 'main@', 'main');
SELECT lakefs_reset('ident', 'main');

-- a tree cut with other range sizes (pg_lakefs.range_size_bits is per session):
-- re-uploads alone are still no change, though the touched range is re-cut
SET pg_lakefs.range_size_bits = 2;
SELECT lakefs_stage_objects('ident', 'main', $$SELECT 'many/' || lpad(i::text, 4, '0') AS path,
	'many-' || i AS physical_address, i AS size, 'etag-' || i AS checksum
	FROM generate_series(1, 300) i$$) AS staged;
SELECT lakefs_commit('ident', 'main', 'small ranges') IS NOT NULL AS committed;
RESET pg_lakefs.range_size_bits;
SELECT lakefs_stage_object('ident', 'main', 'many/0150', 'many-150-again', 150, 'etag-150');
SELECT count(*) AS changes FROM lakefs_diff('ident', 'main@', 'main');
SELECT lakefs_commit('ident', 'main', 'same bytes, other range size');
SELECT lakefs_reset('ident', 'main');
-- a tombstone of a path the tree lacks changes nothing either, also when this
-- session writes trees in the other format (another metarange, same entries)
SELECT lakefs_stage_object('ident', 'main', 'never-committed.txt', 'nc', 1, 'etag-nc');
SELECT lakefs_delete_object('ident', 'main', 'never-committed.txt');
SELECT count(*) AS staged_rows FROM lakefs.staging s JOIN lakefs.repositories r ON r.id = s.repo_id
	WHERE r.name = 'ident';
SET pg_lakefs.metarange_format = 1;
SELECT lakefs_commit('ident', 'main', 'a tombstone of nothing');
RESET pg_lakefs.metarange_format;
SELECT lakefs_commit('ident', 'main', 'a tombstone of nothing');
SELECT lakefs_reset('ident', 'main');

-- a merge: the same content written on both sides is no conflict
SELECT lakefs_create_branch('ident', 'left', 'main') IS NOT NULL AS branched,
	   lakefs_create_branch('ident', 'right', 'main') IS NOT NULL AS branched;
CREATE TEMP TABLE l AS SELECT * FROM lakefs_put_object('ident', 'left', 'both.txt', 'same bytes');
CREATE TEMP TABLE r AS SELECT * FROM lakefs_put_object('ident', 'right', 'both.txt', 'same bytes');
SELECT l.physical_address <> r.physical_address AS two_objects FROM l, r;
SELECT size FROM lakefs_put_object('ident', 'right', 'a.txt', 'changed on the right');
SELECT lakefs_commit('ident', 'left', 'left') IS NOT NULL, lakefs_commit('ident', 'right', 'right') IS NOT NULL;
SELECT change, path FROM lakefs_diff('ident', 'left', 'right', mode => 'three-dot');
SELECT * FROM lakefs_merge_conflicts('ident', 'right', 'left');
SELECT lakefs_merge('ident', 'right', 'left') IS NOT NULL AS merged;
-- the destination keeps its own entry; the source's change to a.txt is taken
SELECT s.physical_address = l.physical_address AS dest_entry_kept
	FROM lakefs_stat('ident', 'left', 'both.txt') s, l;
SELECT convert_from(lakefs_get_object('ident', 'left', 'a.txt'), 'UTF8') AS a;
SELECT change, path FROM lakefs_diff('ident', 'left~1', 'left');
-- the same bytes with different metadata on the two sides is a conflict
SELECT size FROM lakefs_put_object('ident', 'left', 'meta.txt', 'm', metadata => '{"side": "left"}');
SELECT size FROM lakefs_put_object('ident', 'right', 'meta.txt', 'm', metadata => '{"side": "right"}');
SELECT lakefs_commit('ident', 'left', 'l2') IS NOT NULL, lakefs_commit('ident', 'right', 'r2') IS NOT NULL;
SELECT path FROM lakefs_merge_conflicts('ident', 'right', 'left');
SELECT change, path FROM lakefs_diff('ident', 'left', 'right', mode => 'three-dot') WHERE change = 'conflict';
SELECT lakefs_merge('ident', 'right', 'left');

SELECT lakefs_delete_repository('ident');
