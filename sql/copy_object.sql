-- lakefs_copy_object (shallow) and lakefs_update_object_metadata.
SELECT lakefs_create_repository('copies', 'local://copies') IS NOT NULL AS created;
SELECT lakefs_stage_object('copies', 'main', 'src.csv', 'obj-src', 5, 'etag-src',
	content_type => 'text/csv', metadata => '{"owner": "ann"}');
SELECT lakefs_commit('copies', 'main', 'src') IS NOT NULL AS committed;
SELECT lakefs_create_branch('copies', 'exp', 'main') IS NOT NULL AS branched;
-- a copy is a new path on the same physical object, staged on the destination
SELECT lakefs_copy_object('copies', 'main', 'src.csv', 'exp', 'copy/dst.csv');
SELECT path, physical_address, size, checksum, content_type, metadata
  FROM lakefs_ls('copies', 'exp') ORDER BY path;
SELECT change, path FROM lakefs_diff_uncommitted('copies', 'exp');
-- from a commit id, a tag, a branch's staged object, or the same branch
SELECT lakefs_copy_object('copies', lakefs_resolve_ref('copies', 'main'), 'src.csv', 'exp', 'by-id.csv');
SELECT lakefs_copy_object('copies', 'exp', 'copy/dst.csv', 'exp', 'copy/again.csv');
SELECT count(*) FROM lakefs_ls('copies', 'exp') WHERE physical_address = 'local://copies/obj-src';
-- a full address (an imported object) stays full
SELECT lakefs_stage_object('copies', 'main', 'imported', 's3://other/key', 9, 'etag-i');
SELECT lakefs_copy_object('copies', 'main', 'imported', 'exp', 'imported-copy');
SELECT physical_address FROM lakefs_stat('copies', 'exp', 'imported-copy');

-- user metadata replaced, everything else kept (last_modified too)
CREATE TEMP TABLE before AS SELECT * FROM lakefs_stat('copies', 'main', 'src.csv');
SELECT lakefs_update_object_metadata('copies', 'main', 'src.csv', '{"owner": "bob", "pii": "no"}');
SELECT s.metadata, s.physical_address = b.physical_address AS same_object,
	   s.last_modified = b.last_modified AS same_time, s.content_type
  FROM lakefs_stat('copies', 'main', 'src.csv') s, before b;
SELECT lakefs_update_object_metadata('copies', 'main', 'src.csv', '{}');
SELECT metadata FROM lakefs_stat('copies', 'main', 'src.csv');
-- a staged object's metadata
SELECT lakefs_update_object_metadata('copies', 'main', 'imported', '{"k": "v"}');
SELECT physical_address, metadata FROM lakefs_stat('copies', 'main', 'imported');

-- errors
SELECT lakefs_copy_object('copies', 'main', 'nope.csv', 'exp', 'x');
SELECT lakefs_copy_object('copies', 'main', 'src.csv', 'nobranch', 'x');
SELECT lakefs_copy_object('copies', 'v9', 'src.csv', 'exp', 'x');
SELECT lakefs_copy_object('copies', 'main', 'src.csv', 'exp', '');
SELECT lakefs_copy_object('copies', 'main', 'src.csv', 'v1', 'x');
SELECT lakefs_copy_object('copies', 'main', NULL, 'exp', 'x');
SELECT lakefs_update_object_metadata('copies', 'main', 'nope.csv', '{}');
SELECT lakefs_update_object_metadata('copies', 'main', 'src.csv', '[1]');
SELECT lakefs_update_object_metadata('copies', 'main', 'src.csv', NULL);
SELECT lakefs_update_object_metadata('copies', 'nobranch', 'src.csv', '{}');
SELECT lakefs_delete_repository('copies');
