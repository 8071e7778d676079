-- lakefs_set_default_branch: which branch a repository defaults to.
SELECT lakefs_create_repository('defaults', 'local://defaults') IS NOT NULL AS created;
SELECT lakefs_create_branch('defaults', 'develop') IS NOT NULL AS branched;
SELECT lakefs_set_default_branch('defaults', 'develop');
SELECT default_branch FROM lakefs_repositories WHERE name = 'defaults';
-- the new default is protected from deletion, the old one is not
SELECT lakefs_delete_branch('defaults', 'develop');
SELECT lakefs_delete_branch('defaults', 'main');
-- a branch created without a source starts at the default branch
SELECT lakefs_stage_object('defaults', 'develop', 'a', 'obj-a', 1, 'etag-a');
SELECT lakefs_commit('defaults', 'develop', 'a') IS NOT NULL AS committed;
SELECT lakefs_create_branch('defaults', 'feature') = lakefs_resolve_ref('defaults', 'develop') AS from_default;
-- setting the current default again is fine
SELECT lakefs_set_default_branch('defaults', 'develop');
-- errors
SELECT lakefs_set_default_branch('defaults', 'main');
SELECT lakefs_set_default_branch('defaults', 'v1');
SELECT lakefs_set_default_branch('nope', 'develop');
SELECT lakefs_set_default_branch('defaults', NULL);
SELECT lakefs_set_default_branch(NULL, 'develop');
SELECT lakefs_delete_repository('defaults');
