-- Log: history newest first, limited, from any ref; merges of the graph
SELECT lakefs_create_repository('repo-log', 's3://example/repo-log') IS NOT NULL;
DO $$
BEGIN
	FOR i IN 1..5 LOOP
		PERFORM lakefs_stage_object('repo-log', 'main', 'file-' || i, 'data/' || i, i, 'c' || i);
		PERFORM lakefs_commit('repo-log', 'main', 'commit ' || i, jsonb_build_object('step', i));
	END LOOP;
END $$;
SELECT message, metadata, generation FROM lakefs_log('repo-log', 'main');
SELECT message FROM lakefs_log('repo-log', 'main', max_count => 2);
SELECT message FROM lakefs_log('repo-log', 'main~3');
SELECT count(*) FROM lakefs_log('repo-log', 'main', max_count => 0);

-- each commit is listed once, after all of its descendants
SELECT count(*) = count(DISTINCT id) AS unique_ids FROM lakefs_log('repo-log', 'main');

-- rank commits by a metric in their metadata
SELECT message FROM lakefs_log('repo-log', 'main')
	WHERE metadata ? 'step' ORDER BY (metadata->>'step')::int DESC LIMIT 1;

-- errors
SELECT * FROM lakefs_log('repo-log', 'nope');
SELECT * FROM lakefs_log('nope', 'main');

SELECT lakefs_delete_repository('repo-log');
