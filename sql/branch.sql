-- Branches: O(1) creation from any ref, deletion, the default branch
SELECT lakefs_create_repository('repo-branch', 's3://example/repo-branch') IS NOT NULL;
SELECT lakefs_stage_object('repo-branch', 'main', 'data/file-1', 'data/1', 100, 'etag1');
SELECT lakefs_commit('repo-branch', 'main', 'add file-1') IS NOT NULL;

-- a branch points at its source's head commit; nothing is copied
SELECT lakefs_create_branch('repo-branch', 'experiment-1', 'main') = lakefs_resolve_ref('repo-branch', 'main') AS same_head;
SELECT count(*) AS ranges_before FROM lakefs.ranges r JOIN lakefs.repositories p ON p.id = r.repo_id WHERE p.name = 'repo-branch' \gset
SELECT lakefs_create_branch('repo-branch', 'experiment-2') = lakefs_resolve_ref('repo-branch', 'main') AS defaults_to_default_branch;
SELECT count(*) = :ranges_before AS no_ranges_added FROM lakefs.ranges r JOIN lakefs.repositories p ON p.id = r.repo_id WHERE p.name = 'repo-branch';
SELECT branch FROM lakefs_branches WHERE repository = 'repo-branch' ORDER BY branch;

-- branches diverge independently
SELECT lakefs_stage_object('repo-branch', 'experiment-1', 'model.pkl', 'data/m1', 5, 'm1');
SELECT lakefs_commit('repo-branch', 'experiment-1', 'train') IS NOT NULL;
SELECT path FROM lakefs_ls('repo-branch', 'experiment-1');
SELECT path FROM lakefs_ls('repo-branch', 'main');

-- a branch from a branch's previous commit
SELECT lakefs_create_branch('repo-branch', 'from-parent', 'experiment-1~1') = lakefs_resolve_ref('repo-branch', 'main') AS from_parent;

-- staged changes are not carried to a new branch
SELECT lakefs_stage_object('repo-branch', 'experiment-2', 'scratch', 'data/s', 1, 's');
SELECT lakefs_create_branch('repo-branch', 'from-dirty', 'experiment-2') IS NOT NULL;
SELECT count(*) FROM lakefs_ls('repo-branch', 'from-dirty') WHERE path = 'scratch';

-- deleting a branch drops its staged changes too
SELECT lakefs_delete_branch('repo-branch', 'experiment-2');
SELECT count(*) FROM lakefs_staged_changes WHERE repository = 'repo-branch' AND branch = 'experiment-2';

-- errors
SELECT lakefs_create_branch('repo-branch', 'experiment-1', 'main');
SELECT lakefs_create_branch('repo-branch', 'bad/name', 'main');
SELECT lakefs_create_branch('repo-branch', '-dash', 'main');
SELECT lakefs_create_branch('repo-branch', 'x', 'no-such-ref');
SELECT lakefs_create_branch('no-such-repo', 'x', 'main');
SELECT lakefs_delete_branch('repo-branch', 'main');
SELECT lakefs_delete_branch('repo-branch', 'no-such-branch');

SELECT lakefs_delete_repository('repo-branch');
