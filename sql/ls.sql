-- Listing: prefixes, delimiters (common prefixes like S3), staging overlay, stat
SELECT lakefs_create_repository('repo-ls', 's3://example/repo-ls') IS NOT NULL;
SELECT lakefs_stage_objects('repo-ls', 'main', $$
	SELECT p AS path, 'data/' || md5(p) AS physical_address, length(p) AS size, md5(p) AS checksum
	FROM unnest(ARRAY['raw/Images/beagle/1.jpg', 'raw/Images/beagle/2.jpg',
					  'raw/Images/pug/1.jpg', 'raw/labels.csv', 'rawdata.txt',
					  'artifacts/model.pkl', 'z']) p$$);
SELECT lakefs_commit('repo-ls', 'main', 'layout') IS NOT NULL;

SELECT path, path_type, size FROM lakefs_ls('repo-ls', 'main');
SELECT path, path_type FROM lakefs_ls('repo-ls', 'main', prefix => 'raw/');
SELECT path, path_type FROM lakefs_ls('repo-ls', 'main', delimiter => '/');
SELECT path, path_type FROM lakefs_ls('repo-ls', 'main', prefix => 'raw/', delimiter => '/');
SELECT path, path_type FROM lakefs_ls('repo-ls', 'main', prefix => 'raw/Images/', delimiter => '/');
SELECT path, path_type FROM lakefs_ls('repo-ls', 'main', prefix => 'raw');
SELECT count(*) FROM lakefs_ls('repo-ls', 'main', prefix => 'nothing/');

-- a branch ref lists its staged changes; branch@ and commit ids do not
SELECT lakefs_stage_object('repo-ls', 'main', 'raw/Images/akita/1.jpg', 'data/akita', 9, 'a');
SELECT lakefs_delete_object('repo-ls', 'main', 'rawdata.txt');
SELECT path FROM lakefs_ls('repo-ls', 'main', prefix => 'raw');
SELECT path FROM lakefs_ls('repo-ls', 'main@', prefix => 'raw');
SELECT path FROM lakefs_ls('repo-ls', lakefs_resolve_ref('repo-ls', 'main'), prefix => 'raw');
SELECT path, path_type FROM lakefs_ls('repo-ls', 'main', prefix => 'raw/Images/', delimiter => '/');

-- stat
SELECT path, path_type, physical_address = 's3://example/repo-ls/data/' || md5(path) AS relative_address,
	   size, checksum = md5(path) AS checksum_ok
	FROM lakefs_stat('repo-ls', 'main@', 'raw/labels.csv');
SELECT path, physical_address, size FROM lakefs_stat('repo-ls', 'main', 'raw/Images/akita/1.jpg');

-- errors
SELECT * FROM lakefs_stat('repo-ls', 'main', 'rawdata.txt');
SELECT * FROM lakefs_stat('repo-ls', 'main@', 'raw/Images/akita/1.jpg');
SELECT * FROM lakefs_ls('repo-ls', 'no-branch');

SELECT lakefs_delete_repository('repo-ls');
