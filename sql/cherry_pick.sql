-- lakefs_cherry_pick: apply one commit's change onto another branch
SELECT lakefs_create_repository('picks', 'local://picks') IS NOT NULL AS created;
CREATE FUNCTION ptree(ref text) RETURNS TABLE (path text, address text)
	LANGUAGE sql AS $$SELECT path, physical_address FROM lakefs_ls('picks', ref)$$;
SELECT lakefs_stage_object('picks', 'main', 'config.json', 'cfg-1', 1, 'x');
SELECT lakefs_stage_object('picks', 'main', 'data.csv', 'data-1', 1, 'x');
SELECT lakefs_commit('picks', 'main', 'first') IS NOT NULL AS committed;
SELECT lakefs_create_branch('picks', 'exp', 'main') IS NOT NULL AS branched;
SELECT lakefs_create_branch('picks', 'release', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('picks', 'exp', 'data.csv', 'data-2', 2, 'y');
SELECT lakefs_commit('picks', 'exp', 'new data') IS NOT NULL AS committed;
SELECT lakefs_stage_object('picks', 'exp', 'config.json', 'cfg-2', 2, 'y');
SELECT lakefs_stage_object('picks', 'exp', 'fix.patch', 'fix', 1, 'y');
SELECT lakefs_commit('picks', 'exp', 'the fix', '{"ticket": "42"}') IS NOT NULL AS committed;
SELECT lakefs_stage_object('picks', 'release', 'notes.txt', 'notes', 1, 'r');
SELECT lakefs_commit('picks', 'release', 'release notes') IS NOT NULL AS committed;

-- take only "the fix" onto release: its message and metadata come along
SELECT lakefs_cherry_pick('picks', 'release', 'exp') IS NOT NULL AS picked;
SELECT * FROM ptree('release');
SELECT message, metadata - 'cherry_picked_from' AS metadata, cardinality(parents) AS parents,
	   metadata ->> 'cherry_picked_from' = lakefs_resolve_ref('picks', 'exp') AS records_source
FROM lakefs_log('picks', 'release', 1);
-- the branch's own history is kept: release~1 is its previous head
SELECT message FROM lakefs_log('picks', 'release~1', 1);

-- a merge commit is picked against the parent parent_number names (git's -m)
SELECT lakefs_create_branch('picks', 'merged', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('picks', 'merged', 'own.txt', 'own', 1, 'o');
SELECT lakefs_commit('picks', 'merged', 'own') IS NOT NULL AS committed;
SELECT lakefs_merge('picks', 'exp~1', 'merged') IS NOT NULL AS merged;
SELECT lakefs_create_branch('picks', 'target', 'main') IS NOT NULL AS branched;
SELECT lakefs_cherry_pick('picks', 'target', 'merged');
SELECT lakefs_cherry_pick('picks', 'target', 'merged', parent_number => 3);
SELECT lakefs_cherry_pick('picks', 'target', 'merged', parent_number => 0);
SELECT lakefs_cherry_pick('picks', 'target', 'merged', parent_number => 1) IS NOT NULL AS picked;
SELECT * FROM ptree('target');
-- against its second parent: the merged branch's own change
SELECT lakefs_create_branch('picks', 'target2', 'main') IS NOT NULL AS branched;
SELECT lakefs_cherry_pick('picks', 'target2', 'merged', parent_number => 2) IS NOT NULL AS picked;
SELECT * FROM ptree('target2');
-- a commit with one parent takes parent_number => 1 or none
SELECT lakefs_create_branch('picks', 'target3', 'main') IS NOT NULL AS branched;
SELECT lakefs_cherry_pick('picks', 'target3', 'merged~1', parent_number => 1) IS NOT NULL AS picked;

-- errors
-- picking it again changes nothing
SELECT lakefs_cherry_pick('picks', 'release', 'exp');
-- a conflict with the branch's own change, same shape as merge
SELECT lakefs_stage_object('picks', 'main', 'data.csv', 'data-main', 3, 'm');
SELECT lakefs_commit('picks', 'main', 'main data') IS NOT NULL AS committed;
SELECT lakefs_cherry_pick('picks', 'main', 'exp~1');
\echo :LAST_ERROR_SQLSTATE
-- the first commit has no parent
SELECT lakefs_cherry_pick('picks', 'main', 'main~2');
-- staged changes, unknown branch and refs
SELECT lakefs_stage_object('picks', 'release', 'dirty', 'dirty', 1, 'd');
SELECT lakefs_cherry_pick('picks', 'release', 'exp~1');
SELECT lakefs_cherry_pick('picks', 'nope', 'exp');
SELECT lakefs_cherry_pick('picks', 'main', 'nope');
