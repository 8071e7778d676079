-- lakefs_log's filters: paths, prefixes (from the history index), since,
-- until, first_parent, exclude.
SELECT lakefs_create_repository('logs', 'local://logs') IS NOT NULL AS created;
CREATE FUNCTION pg_temp.change(branch text, path text, msg text) RETURNS void LANGUAGE sql AS $$
	SELECT lakefs_stage_object('logs', branch, path, 'obj-' || msg, 1, 'etag-' || msg);
	SELECT lakefs_commit('logs', branch, msg);
	SELECT NULL::void
$$;
SELECT pg_temp.change('main', 'data/a.csv', 'a1');
SELECT pg_temp.change('main', 'data/b.csv', 'b1');
SELECT pg_temp.change('main', 'docs/readme', 'r1');
SELECT lakefs_create_branch('logs', 'exp', 'main') IS NOT NULL AS branched;
SELECT pg_temp.change('exp', 'data/a.csv', 'a2-exp');
SELECT pg_temp.change('exp', 'models/m.pkl', 'm1-exp');
CREATE TEMP TABLE mid AS SELECT clock_timestamp() AS at;
SELECT pg_temp.change('main', 'data/b.csv', 'b2');
SELECT lakefs_merge('logs', 'exp', 'main', message => 'merge exp') IS NOT NULL AS merged;
SELECT lakefs_delete_object('logs', 'main', 'data/b.csv');
SELECT lakefs_commit('logs', 'main', 'drop b') IS NOT NULL AS committed;
SELECT lakefs_revert('logs', 'main', 'main') IS NOT NULL AS reverted;

SELECT message FROM lakefs_log('logs', 'main');
-- a path: the commits that changed it against their first parent (a merge
-- counts when it brought the change to its first parent's side)
SELECT message FROM lakefs_log('logs', 'main', paths => ARRAY['data/a.csv']);
SELECT message FROM lakefs_log('logs', 'main', paths => ARRAY['data/b.csv']);
SELECT message FROM lakefs_log('logs', 'main', paths => ARRAY['data/b.csv'], max_count => 2);
SELECT message FROM lakefs_log('logs', 'main', paths => ARRAY['data/a.csv', 'docs/readme']);
SELECT message FROM lakefs_log('logs', 'main', paths => ARRAY['nothing']);
SELECT message FROM lakefs_log('logs', 'main', paths => ARRAY[]::text[]);
-- prefixes
SELECT message FROM lakefs_log('logs', 'main', prefixes => ARRAY['models/']);
SELECT message FROM lakefs_log('logs', 'main', prefixes => ARRAY['data/', 'docs/']);
SELECT count(*) FROM lakefs_log('logs', 'main', prefixes => ARRAY['']);
SELECT message FROM lakefs_log('logs', 'main', paths => ARRAY['docs/readme'], prefixes => ARRAY['models/']);
-- only what the ref reaches: exp's history of data/a.csv
SELECT message FROM lakefs_log('logs', 'exp', paths => ARRAY['data/a.csv']);
SELECT message FROM lakefs_log('logs', 'main~3', paths => ARRAY['data/a.csv']);
-- first_parent: main's own line, the merge but not exp's commits
SELECT message FROM lakefs_log('logs', 'main', first_parent => true);
-- exclude: as git's main..exp and exp..main
SELECT message FROM lakefs_log('logs', 'exp', exclude => 'main~3');
SELECT message FROM lakefs_log('logs', 'main', exclude => 'exp');
SELECT count(*) FROM lakefs_log('logs', 'main', exclude => 'main');
SELECT message FROM lakefs_log('logs', 'main', exclude => 'exp', first_parent => true);
-- since/until (created_at)
SELECT message FROM lakefs_log('logs', 'main', since => (SELECT at FROM mid));
SELECT message FROM lakefs_log('logs', 'main', until => (SELECT at FROM mid));
SELECT message FROM lakefs_log('logs', 'main', since => (SELECT at FROM mid), paths => ARRAY['data/b.csv']);
-- time travel and ref expressions work as the ref
SELECT message FROM lakefs_log('logs', 'main@{2}', max_count => 1);
-- called through 0.1.0's declaration
CREATE FUNCTION pg_temp.log_010(repository text, ref text, max_count bigint DEFAULT NULL)
	RETURNS TABLE (id text, parents text[], message text, committer text,
				   metadata jsonb, created_at timestamptz, generation integer)
	AS '$libdir/pg_lakefs', 'lakefs_log' LANGUAGE C STABLE;
SELECT message FROM pg_temp.log_010('logs', 'main', 2);
-- the index: one row per changed path and commit
SELECT count(*) FROM lakefs.commit_paths WHERE repo_id = (SELECT id FROM lakefs.repositories WHERE name = 'logs');

-- a commit that changes at most 10,000 paths gets one index row per path; a
-- bigger one, one marker row (the empty path), and the log checks it against
-- its first parent when it reaches it
SELECT lakefs_create_branch('logs', 'bulk', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_objects('logs', 'bulk', $$SELECT 'bulk/' || lpad(i::text, 6, '0') AS path,
	'b-' || i AS physical_address, 1::bigint AS size, 'e' || i AS checksum
	FROM generate_series(1, 10000) i$$);
SELECT lakefs_commit('logs', 'bulk', 'ten thousand') IS NOT NULL AS committed;
SELECT count(*), min(path) FROM lakefs.commit_paths WHERE commit_id = lakefs_resolve_ref('logs', 'bulk');
SELECT lakefs_stage_objects('logs', 'bulk', $$SELECT 'more/' || lpad(i::text, 6, '0') AS path,
	'm-' || i AS physical_address, 1::bigint AS size, 'e' || i AS checksum
	FROM generate_series(1, 10000) i$$);
SELECT lakefs_stage_object('logs', 'bulk', 'data/a.csv', 'obj-bulk', 2, 'etag-bulk');
SELECT lakefs_commit('logs', 'bulk', 'ten thousand and one') IS NOT NULL AS committed;
SELECT count(*), min(path) = '' AS marker FROM lakefs.commit_paths WHERE commit_id = lakefs_resolve_ref('logs', 'bulk');
SELECT pg_temp.change('bulk', 'more/000001', 'after');
SELECT message FROM lakefs_log('logs', 'bulk', paths => ARRAY['data/a.csv']);
SELECT message FROM lakefs_log('logs', 'bulk', paths => ARRAY['more/000001']);
SELECT message FROM lakefs_log('logs', 'bulk', paths => ARRAY['more/009999', 'bulk/000002']);
-- a prefix of changed paths that is no path itself, an unchanged path
SELECT message FROM lakefs_log('logs', 'bulk', paths => ARRAY['more/00000', 'docs/readme']);
SELECT message FROM lakefs_log('logs', 'bulk', paths => ARRAY['']);
SELECT message FROM lakefs_log('logs', 'bulk', prefixes => ARRAY['more/00999']);
SELECT message FROM lakefs_log('logs', 'bulk', prefixes => ARRAY['models/', 'zzz']);
SELECT count(*) FROM lakefs_log('logs', 'bulk', prefixes => ARRAY['']);

-- errors
SELECT * FROM lakefs_log('logs', 'main', paths => ARRAY[NULL]);
SELECT * FROM lakefs_log('logs', 'main', prefixes => ARRAY['a', NULL]);
SELECT * FROM lakefs_log('logs', 'main', exclude => 'no-such-ref');
SELECT * FROM lakefs_log('logs', 'main', max_count => -1);
SELECT * FROM lakefs_log('logs', NULL);
SELECT * FROM lakefs_log('nope', 'main');
SELECT lakefs_delete_repository('logs');
SELECT count(*) FROM lakefs.commit_paths c WHERE NOT EXISTS (SELECT 1 FROM lakefs.repositories WHERE id = c.repo_id);
