-- The reflog (every head move), lakefs_reflog, branch@{N} and branch@{time},
-- lakefs_restore_branch and lakefs_reset_branch.
SELECT lakefs_create_repository('reflogs', 'local://reflogs') IS NOT NULL AS created;
CREATE TEMP TABLE t (label text PRIMARY KEY, at timestamptz, head text);
CREATE FUNCTION pg_temp.mark(label text, branch text) RETURNS void LANGUAGE sql AS $$
	INSERT INTO t SELECT label, clock_timestamp(),
		(SELECT head_commit FROM lakefs_branches WHERE repository = 'reflogs' AND lakefs_branches.branch = mark.branch)
$$;
SELECT pg_temp.mark('created', 'main');
SELECT lakefs_stage_object('reflogs', 'main', 'a', 'obj-a', 1, 'etag-a');
SELECT lakefs_commit('reflogs', 'main', 'one') IS NOT NULL AS committed;
SELECT pg_temp.mark('one', 'main');
SELECT lakefs_create_branch('reflogs', 'exp', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('reflogs', 'exp', 'b', 'obj-b', 1, 'etag-b');
SELECT lakefs_commit('reflogs', 'exp', 'two') IS NOT NULL AS committed;
-- a fast-forward merge of exp into main
SELECT lakefs_merge('reflogs', 'exp', 'main') IS NOT NULL AS merged;
SELECT pg_temp.mark('ff', 'main');
-- a merge commit
SELECT lakefs_stage_object('reflogs', 'exp', 'c', 'obj-c', 1, 'etag-c');
SELECT lakefs_commit('reflogs', 'exp', 'three') IS NOT NULL AS committed;
SELECT lakefs_stage_object('reflogs', 'main', 'd', 'obj-d', 1, 'etag-d');
SELECT lakefs_commit('reflogs', 'main', 'four') IS NOT NULL AS committed;
SELECT lakefs_merge('reflogs', 'exp', 'main') IS NOT NULL AS merged;
SELECT pg_temp.mark('merged', 'main');
SELECT lakefs_revert('reflogs', 'main', 'main~1') IS NOT NULL AS reverted;
SELECT lakefs_cherry_pick('reflogs', 'main', (SELECT head FROM t WHERE label = 'merged') || '~1') IS NOT NULL AS picked;
SELECT pg_temp.mark('picked', 'main');
-- a reset back to the fast-forward's head
SELECT lakefs_reset_branch('reflogs', 'main', (SELECT head FROM t WHERE label = 'ff'))
	= (SELECT head FROM t WHERE label = 'ff') AS reset;
SELECT pg_temp.mark('reset', 'main');

-- the reflog of main, newest first; each move's old head is the previous new head
SELECT operation, old_head IS NULL AS no_old, new_head IS NULL AS no_new, actor = session_user AS actor
  FROM lakefs_reflog('reflogs', 'main');
SELECT bool_and(old_head = prev) AS chained FROM (
	SELECT old_head, lead(new_head) OVER (ORDER BY at DESC) AS prev
	  FROM lakefs_reflog('reflogs', 'main')) s WHERE prev IS NOT NULL;
SELECT (SELECT new_head FROM lakefs_reflog('reflogs', 'main') LIMIT 1) =
	   (SELECT head_commit FROM lakefs_branches WHERE repository = 'reflogs' AND branch = 'main') AS latest_is_head;
SELECT branch, operation FROM lakefs_reflog('reflogs') WHERE branch = 'exp';

-- main@{N}: the head N moves ago
SELECT lakefs_resolve_ref('reflogs', 'main@{0}') = (SELECT head FROM t WHERE label = 'reset') AS n0;
SELECT lakefs_resolve_ref('reflogs', 'main@{1}') = (SELECT head FROM t WHERE label = 'picked') AS n1;
SELECT lakefs_resolve_ref('reflogs', 'main@{7}') = (SELECT head FROM t WHERE label = 'created') AS n7;
SELECT lakefs_resolve_ref('reflogs', 'main@{1}~1') = lakefs_resolve_ref('reflogs', (SELECT head FROM t WHERE label = 'picked') || '~1') AS with_modifier;
-- main@{time}: the head at that instant, right across the fast-forward and the reset
SELECT label, lakefs_resolve_ref('reflogs', format('main@{%s}', at)) = head AS head_then
  FROM t ORDER BY at;
-- every function that takes a ref takes them: a diff against the past
SELECT change, path FROM lakefs_diff('reflogs', format('main@{%s}', (SELECT at FROM t WHERE label = 'one')), 'main@{1}');
SELECT path FROM lakefs_ls('reflogs', 'main@{6}');
-- a reflog ref is a commit, not the branch: no staging in it
SELECT lakefs_stage_object('reflogs', 'main', 'staged', 'obj-s', 1, 'etag-s');
SELECT count(*) FROM lakefs_ls('reflogs', 'main@{0}') WHERE path = 'staged';
SELECT lakefs_reset('reflogs', 'main');

-- deleting a branch: its reflog stays, time travel reaches it, restore brings it back
SELECT pg_temp.mark('exp-before-delete', 'exp');
SELECT lakefs_delete_branch('reflogs', 'exp');
SELECT operation, new_head IS NULL AS deleted FROM lakefs_reflog('reflogs', 'exp') LIMIT 1;
SELECT lakefs_resolve_ref('reflogs', format('exp@{%s}', (SELECT at FROM t WHERE label = 'exp-before-delete')))
	= (SELECT head FROM t WHERE label = 'exp-before-delete') AS before_delete;
SELECT lakefs_resolve_ref('reflogs', 'exp@{1}') = (SELECT head FROM t WHERE label = 'exp-before-delete') AS exp1;
SELECT lakefs_restore_branch('reflogs', 'exp') = (SELECT head FROM t WHERE label = 'exp-before-delete') AS restored;
SELECT head_commit = (SELECT head FROM t WHERE label = 'exp-before-delete') AS head
  FROM lakefs_branches WHERE repository = 'reflogs' AND branch = 'exp';
SELECT operation FROM lakefs_reflog('reflogs', 'exp') LIMIT 2;
-- restore at an instant
SELECT lakefs_delete_branch('reflogs', 'exp');
SELECT lakefs_restore_branch('reflogs', 'exp', at => (SELECT at FROM t WHERE label = 'exp-before-delete'))
	= (SELECT head FROM t WHERE label = 'exp-before-delete') AS restored_then;

-- reset: a dirty branch is refused unless force, which drops its staging
SELECT lakefs_stage_object('reflogs', 'exp', 'dirty', 'obj-x', 1, 'etag-x');
SELECT lakefs_reset_branch('reflogs', 'exp', 'main');
SELECT lakefs_reset_branch('reflogs', 'exp', 'main', force => true) = lakefs_resolve_ref('reflogs', 'main') AS forced;
SELECT count(*) AS staged FROM lakefs_diff_uncommitted('reflogs', 'exp');
SELECT operation FROM lakefs_reflog('reflogs', 'exp') LIMIT 1;
-- a failed move writes nothing
SELECT count(*) AS moves FROM lakefs_reflog('reflogs', 'exp');
SELECT lakefs_reset_branch('reflogs', 'exp', 'no-such-ref');
SELECT count(*) AS moves FROM lakefs_reflog('reflogs', 'exp');
-- a commit on the restored branch
SELECT lakefs_stage_object('reflogs', 'exp', 'e', 'obj-e', 1, 'etag-e');
SELECT lakefs_commit('reflogs', 'exp', 'e') IS NOT NULL AS committed;
SELECT operation FROM lakefs_reflog('reflogs', 'exp') LIMIT 1;

-- errors
SELECT lakefs_resolve_ref('reflogs', 'main@{99}');
SELECT lakefs_resolve_ref('reflogs', 'main@{1999-01-01 00:00:00+00}');
SELECT lakefs_resolve_ref('reflogs', 'main@{not a time}');
SELECT lakefs_resolve_ref('reflogs', 'main@{-1}');
SELECT lakefs_resolve_ref('reflogs', '~1');
SELECT lakefs_resolve_ref('reflogs', 'main@{1');
SELECT lakefs_resolve_ref('reflogs', 'main@{1}x');
SELECT lakefs_resolve_ref('reflogs', 'nobranch@{1}');
SELECT lakefs_delete_branch('reflogs', 'exp');
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$;
SELECT pg_temp.sqlstate_of(format('SELECT lakefs_resolve_ref(%L, %L)', 'reflogs',
	format('exp@{%s}', (SELECT max(at) FROM lakefs_reflog('reflogs', 'exp') WHERE operation = 'delete')))) AS deleted_then;
SELECT lakefs_resolve_ref('reflogs', 'exp@{0}');
SELECT lakefs_restore_branch('reflogs', 'exp', (SELECT max(at) FROM lakefs_reflog('reflogs', 'exp') WHERE operation = 'delete'));
SELECT * FROM lakefs_reflog('reflogs', 'nobranch');
SELECT * FROM lakefs_reflog('nope');
SELECT * FROM lakefs_reflog(NULL);
SELECT lakefs_restore_branch('reflogs', 'main');
SELECT lakefs_restore_branch('reflogs', 'nobranch');
SELECT lakefs_restore_branch('reflogs', 'nobranch', now());
SELECT lakefs_restore_branch('reflogs', 'exp2', now());
SELECT lakefs_create_branch('reflogs', 'gone', 'main') IS NOT NULL AS branched;
SELECT lakefs_delete_branch('reflogs', 'gone');
SELECT lakefs_restore_branch('reflogs', 'gone', '1999-01-01');
SELECT lakefs_restore_branch('reflogs', NULL);
SELECT lakefs_reset_branch('reflogs', 'nobranch', 'main');
SELECT lakefs_reset_branch('reflogs', 'main', NULL);
SELECT lakefs_reset_branch('nope', 'main', 'main');
-- repository deletion takes the reflog with it
SELECT lakefs_delete_repository('reflogs');
SELECT count(*) FROM lakefs.reflog r WHERE NOT EXISTS (SELECT 1 FROM lakefs.repositories WHERE id = r.repo_id);
