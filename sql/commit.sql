-- Commits: staged changes become an immutable commit with metadata
SELECT lakefs_create_repository('repo-commit', 's3://example/repo-commit') IS NOT NULL;
SELECT lakefs_stage_object('repo-commit', 'main', 'config/params.json', 'data/p', 42, 'p');
SELECT lakefs_stage_object('repo-commit', 'main', 'metrics/metrics.json', 'data/m', 17, 'm');
SELECT length(lakefs_commit('repo-commit', 'main', 'train adam',
	'{"optimizer": "adam", "epochs": "10", "accuracy": "0.93", "loss": "0.21"}')) AS id_length;

-- the commit records message, committer, metadata, parents and generation
SELECT message, committer = session_user AS by_session_user, metadata,
	   array_length(parents, 1) AS nparents, generation, objects
	FROM lakefs_commits WHERE repository = 'repo-commit' ORDER BY generation;
SELECT head_metadata->>'accuracy' AS accuracy FROM lakefs_branches WHERE repository = 'repo-commit';
SELECT count(*) AS staged_left FROM lakefs_staged_changes WHERE repository = 'repo-commit';

-- commit ids are SHA-256 hex; the parent is the previous head
SELECT lakefs_resolve_ref('repo-commit', 'main') ~ '^[0-9a-f]{64}$' AS hex_id;
SELECT lakefs_stage_object('repo-commit', 'main', 'config/params.json', 'data/p2', 43, 'p2');
SELECT lakefs_commit('repo-commit', 'main', 'tune') IS NOT NULL;
SELECT (SELECT parents[1] FROM lakefs_log('repo-commit', 'main', 1)) = lakefs_resolve_ref('repo-commit', 'main~1') AS parent_linked;

-- an empty commit only when asked for
SELECT lakefs_commit('repo-commit', 'main', 'empty', allow_empty => true) IS NOT NULL AS empty_commit;
SELECT lakefs_resolve_ref('repo-commit', 'main^') = lakefs_resolve_ref('repo-commit', 'main~1') AS caret_is_first_parent;

-- a commit shares every untouched range with its parent
SELECT lakefs_stage_objects('repo-commit', 'main',
	$$SELECT format('big/%s', lpad(g::text, 6, '0')) AS path, 'data/x' || g AS physical_address,
			 1 AS size, 'c' AS checksum FROM generate_series(1, 50000) g$$);
SELECT lakefs_commit('repo-commit', 'main', 'big') IS NOT NULL;
SELECT lakefs_stage_object('repo-commit', 'main', 'big/025000', 'data/changed', 2, 'changed');
SELECT lakefs_commit('repo-commit', 'main', 'one change') IS NOT NULL;
SELECT count(*) > 10 AS many_ranges, count(*) FILTER (WHERE p.id IS NULL) <= 2 AS at_most_two_new,
	   sum(h.entries) AS entries
	FROM lakefs_ranges('repo-commit', 'main') h
	LEFT JOIN lakefs_ranges('repo-commit', 'main~1') p USING (id);
SELECT size, physical_address FROM lakefs_stat('repo-commit', 'main', 'big/025000');
SELECT size, physical_address FROM lakefs_stat('repo-commit', 'main~1', 'big/025000');

-- errors: nothing to commit, bad metadata, unknown branch, commit to a tag
SELECT lakefs_commit('repo-commit', 'main', 'nothing');
SELECT lakefs_commit('repo-commit', 'main', 'bad', '"scalar"');
SELECT lakefs_commit('repo-commit', 'main', 'bad', '[1]');
SELECT lakefs_commit('repo-commit', 'nope', 'x');
SELECT lakefs_create_tag('repo-commit', 't1', 'main') IS NOT NULL;
SELECT lakefs_commit('repo-commit', 't1', 'x');
-- a no-op tombstone alone changes nothing
SELECT lakefs_stage_object('repo-commit', 'main', 'ghost', 'data/g', 1, 'g');
SELECT lakefs_delete_object('repo-commit', 'main', 'ghost');
SELECT lakefs_commit('repo-commit', 'main', 'ghost only');
-- the failed commit left the staging area as it was
SELECT path, change FROM lakefs_staged_changes WHERE repository = 'repo-commit';

SELECT lakefs_delete_repository('repo-commit');
