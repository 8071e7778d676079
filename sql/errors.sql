-- Errors: every user-facing failure carries a fitting SQLSTATE, and a failed
-- call changes nothing.
CREATE FUNCTION pg_temp.sqlstate_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;

SELECT lakefs_create_repository('repo-errors', 's3://example/repo-errors') IS NOT NULL;
SELECT lakefs_stage_object('repo-errors', 'main', 'a', 'data/a', 1, 'a');
SELECT lakefs_commit('repo-errors', 'main', 'a') IS NOT NULL;
SELECT lakefs_create_branch('repo-errors', 'dev', 'main') IS NOT NULL;

SELECT stmt, pg_temp.sqlstate_of(stmt) AS sqlstate FROM unnest(ARRAY[
	-- 42602 invalid_name
	$$SELECT lakefs_create_repository('BAD', 's3://b/p')$$,
	$$SELECT lakefs_create_branch('repo-errors', 'a b', 'main')$$,
	$$SELECT lakefs_create_tag('repo-errors', '~t', 'main')$$,
	-- 42704 undefined_object
	$$SELECT lakefs_delete_repository('nope-repo')$$,
	$$SELECT lakefs_create_branch('repo-errors', 'x', 'nope')$$,
	$$SELECT lakefs_commit('repo-errors', 'nope', 'm')$$,
	$$SELECT * FROM lakefs_stat('repo-errors', 'main', 'nope')$$,
	$$SELECT lakefs_delete_object('repo-errors', 'main', 'nope')$$,
	$$SELECT lakefs_delete_tag('repo-errors', 'nope')$$,
	$$SELECT lakefs_delete_branch('repo-errors', 'nope')$$,
	-- 42710 duplicate_object
	$$SELECT lakefs_create_repository('repo-errors', 's3://b/p')$$,
	$$SELECT lakefs_create_branch('repo-errors', 'dev', 'main')$$,
	-- 22023 invalid_parameter_value
	$$SELECT lakefs_create_repository('repo-x', 'nouri')$$,
	$$SELECT lakefs_stage_object('repo-errors', 'main', '', 'd', 1, 'c')$$,
	$$SELECT lakefs_stage_object('repo-errors', 'main', 'p', 'd', -5, 'c')$$,
	$$SELECT lakefs_commit('repo-errors', 'main', 'm', '[]')$$,
	$$SELECT lakefs_resolve_ref('repo-errors', 'main~5')$$,
	$$SELECT lakefs_resolve_ref('repo-errors', 'main~q')$$,
	$$SELECT lakefs_stage_objects('repo-errors', 'main', 'SELECT 1 AS path')$$,
	-- 55000 object_not_in_prerequisite_state
	$$SELECT lakefs_commit('repo-errors', 'main', 'nothing')$$,
	-- 55006 object_in_use
	$$SELECT lakefs_delete_branch('repo-errors', 'main')$$,
	-- 42601 syntax_error (the user's own query)
	$$SELECT lakefs_stage_objects('repo-errors', 'main', 'SELEC')$$
]) AS stmt;

-- none of the failed calls changed the catalog
SELECT (SELECT count(*) FROM lakefs_repositories WHERE name LIKE 'repo-%') AS repositories,
	   (SELECT count(*) FROM lakefs_branches WHERE repository = 'repo-errors') AS branches,
	   (SELECT count(*) FROM lakefs_commits WHERE repository = 'repo-errors') AS commits,
	   (SELECT count(*) FROM lakefs_staged_changes WHERE repository = 'repo-errors') AS staged;

SELECT lakefs_delete_repository('repo-errors');
