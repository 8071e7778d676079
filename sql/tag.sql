-- Tags: names for commits
SELECT lakefs_create_repository('repo-tag', 's3://example/repo-tag') IS NOT NULL;
SELECT lakefs_stage_object('repo-tag', 'main', 'a', 'data/a', 1, 'a');
SELECT lakefs_commit('repo-tag', 'main', 'v1 data') IS NOT NULL;
SELECT lakefs_create_tag('repo-tag', 'v1', 'main') = lakefs_resolve_ref('repo-tag', 'main') AS tags_head;
SELECT lakefs_stage_object('repo-tag', 'main', 'b', 'data/b', 1, 'b');
SELECT lakefs_commit('repo-tag', 'main', 'v2 data') IS NOT NULL;

-- a tag does not move with the branch
SELECT path FROM lakefs_ls('repo-tag', 'v1');
SELECT path FROM lakefs_ls('repo-tag', 'main');
SELECT lakefs_resolve_ref('repo-tag', 'v1') = lakefs_resolve_ref('repo-tag', 'main~1') AS v1_is_parent;
SELECT tag FROM lakefs_tags WHERE repository = 'repo-tag';

-- tag a tag expression
SELECT lakefs_create_tag('repo-tag', 'v0', 'v1~1') = lakefs_resolve_ref('repo-tag', 'main~2') AS tag_of_expression;
SELECT lakefs_delete_tag('repo-tag', 'v0');
SELECT tag FROM lakefs_tags WHERE repository = 'repo-tag' ORDER BY tag;

-- errors
SELECT lakefs_create_tag('repo-tag', 'v1', 'main');
SELECT lakefs_create_tag('repo-tag', 'v 2', 'main');
SELECT lakefs_create_tag('repo-tag', 'v2', 'nowhere');
SELECT lakefs_delete_tag('repo-tag', 'v9');
-- tags are read-only: a write names the tag as such
SELECT lakefs_stage_object('repo-tag', 'v1', 'c', 'data/c', 1, 'c');
SELECT lakefs_commit('repo-tag', 'v1', 'onto a tag');

SELECT lakefs_delete_repository('repo-tag');
