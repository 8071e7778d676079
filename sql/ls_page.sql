-- Paged listings: lakefs_ls(after, amount) returns the rows after a path, at
-- most amount of them, by seeking (S3's start-after and continuation token).
SELECT lakefs_create_repository('ls-page', 's3://bucket/ls-page') IS NOT NULL AS created;
SELECT lakefs_stage_object('ls-page', 'main', p, 'data/' || p, 1, 'c')
  FROM unnest(ARRAY['a/1', 'a/2', 'b/1', 'b/2/x', 'b/3', 'c', 'd/1']) p;
SELECT lakefs_commit('ls-page', 'main', 'seven') IS NOT NULL AS committed;
SELECT lakefs_stage_object('ls-page', 'main', 'b/25', 'data/b25', 1, 'c');
-- pages of three, each starting after the last path of the one before
SELECT path FROM lakefs_ls('ls-page', 'main', amount => 3);
SELECT path FROM lakefs_ls('ls-page', 'main', after => 'b/1', amount => 3);
SELECT path FROM lakefs_ls('ls-page', 'main', after => 'b/3', amount => 3);
-- after is exclusive, and need not be a path that exists
SELECT path FROM lakefs_ls('ls-page', 'main', 'b/', after => 'b/2');
-- with a delimiter, a common prefix at or before after is skipped whole
SELECT path, path_type FROM lakefs_ls('ls-page', 'main', '', '/', after => 'a/', amount => 2);
SELECT path, path_type FROM lakefs_ls('ls-page', 'main', 'b/', '/', after => 'b/2/');
-- amount 0 returns nothing; a negative amount is an error
SELECT count(*) FROM lakefs_ls('ls-page', 'main', amount => 0);
SELECT count(*) FROM lakefs_ls('ls-page', 'main', amount => -1);
SELECT lakefs_delete_repository('ls-page');
