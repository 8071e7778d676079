-- lakefs_merge_base and lakefs_is_ancestor: the commit graph in SQL.
SELECT lakefs_create_repository('graph', 'local://graph') IS NOT NULL AS created;
SELECT lakefs_stage_object('graph', 'main', 'a', 'obj-a', 1, 'etag-a');
SELECT lakefs_commit('graph', 'main', 'one') IS NOT NULL AS committed;
SELECT lakefs_create_branch('graph', 'exp', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('graph', 'exp', 'b', 'obj-b', 1, 'etag-b');
SELECT lakefs_commit('graph', 'exp', 'two on exp') IS NOT NULL AS committed;
SELECT lakefs_stage_object('graph', 'main', 'c', 'obj-c', 1, 'etag-c');
SELECT lakefs_commit('graph', 'main', 'two on main') IS NOT NULL AS committed;

-- diverged: the fork point
SELECT lakefs_merge_base('graph', 'main', 'exp') = lakefs_resolve_ref('graph', 'main~1') AS fork;
SELECT lakefs_merge_base('graph', 'exp', 'main') = lakefs_resolve_ref('graph', 'exp~1') AS symmetric;
-- one an ancestor of the other: the ancestor itself; a ref with itself
SELECT lakefs_merge_base('graph', 'main~1', 'main') = lakefs_resolve_ref('graph', 'main~1') AS ancestor;
SELECT lakefs_merge_base('graph', 'exp', 'exp') = lakefs_resolve_ref('graph', 'exp') AS itself;
-- after a merge, the merged source is the base
SELECT lakefs_merge('graph', 'exp', 'main') IS NOT NULL AS merged;
SELECT lakefs_merge_base('graph', 'main', 'exp') = lakefs_resolve_ref('graph', 'exp') AS merged_base;

SELECT lakefs_is_ancestor('graph', 'main~1', 'main') AS parent;
SELECT lakefs_is_ancestor('graph', 'exp', 'main') AS merged_in;
SELECT lakefs_is_ancestor('graph', 'main', 'exp') AS not_ancestor;
SELECT lakefs_is_ancestor('graph', 'main', 'main') AS own_ancestor;
SELECT lakefs_is_ancestor('graph', 'main^2', 'main') AS second_parent;

-- unrelated histories: no merge base (a second root commit, written into the
-- catalog by hand: the API always forks from the repository's first commit)
INSERT INTO lakefs.commits
	SELECT repo_id, repeat('f', 64), '{}', metarange_id, 'another root', committer,
		   metadata, created_at, 1
	  FROM lakefs.commits
	 WHERE repo_id = (SELECT id FROM lakefs.repositories WHERE name = 'graph')
	   AND parents = '{}';
SELECT lakefs_merge_base('graph', 'main', repeat('f', 64)) IS NULL AS no_base;
SELECT lakefs_is_ancestor('graph', repeat('f', 64), 'main') AS unrelated;
CREATE TEMP TABLE first_commit AS
	SELECT id FROM lakefs_log('graph', 'main') ORDER BY generation LIMIT 1;
SELECT lakefs_merge_base('graph', 'main', (SELECT id FROM first_commit))
	= (SELECT id FROM first_commit) AS root;

-- errors
SELECT lakefs_merge_base('graph', 'main', 'no-such-ref');
SELECT lakefs_merge_base('graph', 'no-such-ref', 'main');
SELECT lakefs_merge_base('nope', 'main', 'main');
SELECT lakefs_merge_base('graph', 'main~99', 'main');
SELECT lakefs_is_ancestor('graph', 'main', 'no-such-ref');
SELECT lakefs_is_ancestor('graph', 'no-such-ref', 'main');
SELECT lakefs_is_ancestor('nope', 'main', 'main');
-- STRICT: a NULL argument gives NULL
SELECT lakefs_merge_base('graph', NULL, 'main') IS NULL AS null_arg;
SELECT lakefs_is_ancestor('graph', 'main', NULL) IS NULL AS null_arg;
SELECT lakefs_delete_repository('graph');
