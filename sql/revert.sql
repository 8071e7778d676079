-- lakefs_revert: undo a commit's change on a branch, as a new commit
SELECT lakefs_create_repository('reverts', 'local://reverts') IS NOT NULL AS created;
CREATE FUNCTION rtree(ref text) RETURNS TABLE (path text, address text)
	LANGUAGE sql AS $$SELECT path, physical_address FROM lakefs_ls('reverts', ref)$$;
SELECT lakefs_stage_object('reverts', 'main', 'a', 'a1', 1, 'x');
SELECT lakefs_stage_object('reverts', 'main', 'b', 'b1', 1, 'x');
SELECT lakefs_stage_object('reverts', 'main', 'c', 'c1', 1, 'x');
SELECT lakefs_commit('reverts', 'main', 'first') IS NOT NULL AS committed;
SELECT lakefs_stage_object('reverts', 'main', 'a', 'a2', 2, 'y');
SELECT lakefs_delete_object('reverts', 'main', 'b');
SELECT lakefs_stage_object('reverts', 'main', 'd', 'd2', 2, 'y');
SELECT lakefs_commit('reverts', 'main', 'second', '{"run": "2"}') IS NOT NULL AS committed;
SELECT lakefs_create_tag('reverts', 'second', 'main') IS NOT NULL AS tagged;
SELECT lakefs_stage_object('reverts', 'main', 'e', 'e3', 3, 'z');
SELECT lakefs_commit('reverts', 'main', 'third') IS NOT NULL AS committed;

-- revert "second" while "third" stays: a, b and d go back, e remains
SELECT lakefs_revert('reverts', 'main', 'second') IS NOT NULL AS reverted;
SELECT * FROM rtree('main');
SELECT message, metadata ? 'reverted_commit' AS records_reverted, cardinality(parents) AS parents
FROM lakefs_log('reverts', 'main', 1);
SELECT (SELECT metadata ->> 'reverted_commit' FROM lakefs_log('reverts', 'main', 1)) =
	   lakefs_resolve_ref('reverts', 'second') AS reverted_the_tagged_commit;
-- reverting the revert brings the change back
SELECT lakefs_revert('reverts', 'main', 'main') IS NOT NULL AS reverted;
SELECT count(*) FROM lakefs_diff('reverts', 'main', 'main~2');

-- a merge commit: parent_number picks the side whose change to undo
SELECT lakefs_create_branch('reverts', 'side', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('reverts', 'side', 'f', 'f-side', 1, 's');
SELECT lakefs_commit('reverts', 'side', 'on side') IS NOT NULL AS committed;
SELECT lakefs_stage_object('reverts', 'main', 'g', 'g-main', 1, 'm');
SELECT lakefs_commit('reverts', 'main', 'on main') IS NOT NULL AS committed;
SELECT lakefs_merge('reverts', 'side', 'main') IS NOT NULL AS merged;
SELECT lakefs_create_branch('reverts', 'undo-2', 'main') IS NOT NULL AS branched;
-- a merge commit needs a parent_number (git's -m), as git and lakeFS refuse it
SELECT lakefs_revert('reverts', 'main', 'main');
-- against parent 1 (main): undo what the merge brought in from side
SELECT lakefs_revert('reverts', 'main', 'main', parent_number => 1) IS NOT NULL AS reverted;
SELECT * FROM rtree('main') WHERE path IN ('f', 'g');
-- against parent 2 (side): undo what main had that side had not
SELECT lakefs_revert('reverts', 'undo-2', 'undo-2', parent_number => 2) IS NOT NULL AS reverted;
SELECT * FROM rtree('undo-2') WHERE path IN ('f', 'g');

-- errors
-- the branch changed the same paths since: a conflict, same shape as merge
SELECT lakefs_stage_object('reverts', 'main', 'd', 'd4', 4, 'w');
SELECT lakefs_commit('reverts', 'main', 'touch d') IS NOT NULL AS committed;
SELECT lakefs_revert('reverts', 'main', 'second');
\echo :LAST_ERROR_SQLSTATE
-- nothing to revert: the change is already undone
SELECT lakefs_revert('reverts', 'undo-2', 'main~1');
-- parent number out of range; the first commit has no parent
SELECT lakefs_revert('reverts', 'main', 'second', parent_number => 2);
SELECT lakefs_revert('reverts', 'main', 'second', parent_number => -2147483648);
SELECT lakefs_revert('reverts', 'main', 'second~2');
-- staged changes, unknown branch and refs
SELECT lakefs_stage_object('reverts', 'main', 'dirty', 'dirty', 1, 'd');
SELECT lakefs_revert('reverts', 'main', 'second');
SELECT lakefs_revert('reverts', 'nope', 'second');
SELECT lakefs_revert('reverts', 'side', 'nope');
