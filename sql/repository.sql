-- Repositories: create, list, delete
SELECT length(lakefs_create_repository('repo-basic', 's3://example/repo-basic')) AS initial_commit_id_length;
SELECT name, storage_namespace, default_branch, server FROM lakefs_repositories WHERE name = 'repo-basic';

-- the default branch starts on an empty initial commit
SELECT branch, head_message, has_staged_changes FROM lakefs_branches WHERE repository = 'repo-basic';
SELECT message, parents, generation, metadata FROM lakefs_log('repo-basic', 'main');
SELECT count(*) FROM lakefs_ls('repo-basic', 'main');

-- another default branch name
SELECT length(lakefs_create_repository('repo-develop', 'local://repo-develop', default_branch => 'develop')) > 0;
SELECT branch FROM lakefs_branches WHERE repository = 'repo-develop';

-- deleting a repository removes its catalog rows
SELECT lakefs_stage_object('repo-develop', 'develop', 'a.txt', 'data/a', 1, 'x');
SELECT lakefs_commit('repo-develop', 'develop', 'one') IS NOT NULL AS committed;
SELECT lakefs_delete_repository('repo-develop');
SELECT count(*) FROM lakefs_repositories WHERE name = 'repo-develop';
SELECT count(*) AS orphan_rows FROM lakefs.commits c
	WHERE NOT EXISTS (SELECT 1 FROM lakefs.repositories r WHERE r.id = c.repo_id);
SELECT count(*) AS orphan_staging FROM lakefs.staging s
	WHERE NOT EXISTS (SELECT 1 FROM lakefs.repositories r WHERE r.id = s.repo_id);

-- errors
SELECT lakefs_create_repository('repo-basic', 's3://example/other');
SELECT lakefs_create_repository('Bad_Name', 's3://example/x');
SELECT lakefs_create_repository('ab', 's3://example/x');
SELECT lakefs_create_repository('-leading', 's3://example/x');
SELECT lakefs_create_repository('good-name', 'not a uri');
SELECT lakefs_create_repository('good-name', 's3://example/x', default_branch => 'bad branch');
SELECT lakefs_delete_repository('no-such-repo');
-- a failed call leaves nothing behind
SELECT count(*) FROM lakefs_repositories WHERE name = 'good-name';

SELECT lakefs_delete_repository('repo-basic');
