-- Experiments as rows: lakefs_experiments, metrics by step (lakefs_log_metric,
-- lakefs_metrics), the JSON helpers, and what a merge did.
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	hint text;
BEGIN
	EXECUTE stmt;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
	RETURN SQLSTATE || ': ' || SQLERRM || coalesce(' (hint: ' || nullif(hint, '') || ')', '');
END $f$;
CREATE FUNCTION pg_temp.head(repo text, br text) RETURNS text LANGUAGE sql AS
	$$SELECT head_commit FROM lakefs_branches WHERE repository = repo AND branch = br$$;

SELECT lakefs_create_repository('exps', 'local://exps') IS NOT NULL AS created;
SELECT lakefs_stage_object('exps', 'main', 'data/train.csv', 'train', 100, 't1');
SELECT lakefs_commit('exps', 'main', 'data') IS NOT NULL AS committed;
SELECT lakefs_create_branch('exps', b, 'main') IS NOT NULL AS branched
FROM unnest(ARRAY['exp-adam', 'exp-sgd', 'exp-rms', 'exp-notes', 'exp-none', 'other']) b;
-- numbers stay numbers: 8 epochs sort below 30 (as strings '8' > '30')
SELECT lakefs_stage_object('exps', b, 'model.pkl', 'model-' || b, 10, 'm-' || b) FROM
	unnest(ARRAY['exp-adam', 'exp-sgd', 'exp-rms', 'exp-notes']) b;
SELECT lakefs_commit('exps', 'exp-adam', 'train', '{"accuracy": 0.96, "epochs": 8, "optimizer": "adam"}') IS NOT NULL AS committed;
SELECT lakefs_commit('exps', 'exp-sgd', 'train', '{"accuracy": 0.92, "epochs": 30, "optimizer": "sgd"}') IS NOT NULL AS committed;
SELECT lakefs_commit('exps', 'exp-rms', 'train', '{"accuracy": "0.99", "epochs": 12, "optimizer": "rmsprop"}') IS NOT NULL AS committed;
SELECT lakefs_commit('exps', 'exp-notes', 'train', '{"accuracy": 0.98, "epochs": 20, "optimizer": "adam", "params": {"lr": 0.01}}') IS NOT NULL AS committed;
-- a newer commit without metrics does not hide them
SELECT lakefs_stage_object('exps', 'exp-notes', 'NOTES.md', 'notes', 5, 'n');
SELECT lakefs_commit('exps', 'exp-notes', 'add notes') IS NOT NULL AS committed;

-- every branch, by name; a branch with no metadata anywhere has NULLs
SELECT branch, message, metadata, base_commit = pg_temp.head('exps', 'main') AS forked_from_main,
	   commits_since
FROM lakefs_experiments('exps');
-- accuracy desc: numbers numerically, the string "0.99" after them, no metrics last
SELECT branch, metadata->'accuracy' AS accuracy
FROM lakefs_experiments('exps', 'exp-%', order_by => 'accuracy desc');
SELECT branch, metadata->'epochs' AS epochs
FROM lakefs_experiments('exps', 'exp-%', order_by => 'epochs');
SELECT branch FROM lakefs_experiments('exps', 'exp-%', order_by => '  epochs   DESC ');
-- the commit with the metadata, not the head
SELECT e.commit_id = h.parents[1] AS metrics_commit_is_parent, e.message
FROM lakefs_experiments('exps', 'exp-notes') e, lakefs_log('exps', 'exp-notes', 1) h;
SELECT count(*) AS no_match FROM lakefs_experiments('exps', 'nothing%');
-- a branch merged into main: its base is its own head, nothing since
SELECT lakefs_merge('exps', 'exp-adam', 'main') = pg_temp.head('exps', 'exp-adam') AS fast_forward;
SELECT branch, base_commit = pg_temp.head('exps', 'exp-adam') AS base_is_head, commits_since
FROM lakefs_experiments('exps', 'exp-adam');
-- order_by is a key and a direction, nothing else (never spliced into SQL)
SELECT pg_temp.error_of($$SELECT * FROM lakefs_experiments('exps', '%', 'accuracy desc; DROP TABLE lakefs.commits')$$);
SELECT pg_temp.error_of($$SELECT * FROM lakefs_experiments('exps', '%', 'accuracy desc nulls first')$$);
SELECT pg_temp.error_of($$SELECT * FROM lakefs_experiments('exps', '%', 'metadata->>''accuracy''')$$);
SELECT pg_temp.error_of($$SELECT * FROM lakefs_experiments('exps', '%', '')$$);
SELECT pg_temp.error_of($$SELECT * FROM lakefs_experiments('exps', '%', 'accuracy sideways')$$);
SELECT pg_temp.error_of($$SELECT * FROM lakefs_experiments(NULL)$$);
SELECT pg_temp.error_of($$SELECT * FROM lakefs_experiments('nope')$$);
-- NULL branches and order_by take their defaults
SELECT count(*) FROM lakefs_experiments('exps', NULL, NULL);

-- Metrics by step: staged on the branch until its next commit.
SELECT lakefs_log_metric('exps', 'exp-sgd', 'loss', 1.0 / s, step => s) FROM generate_series(1, 3) s;
SELECT lakefs_log_metric('exps', 'exp-sgd', 'val_accuracy', 0.9);
SELECT branch, commit_id, key, step, round(value::numeric, 4) AS value
FROM lakefs_metrics WHERE repository = 'exps' ORDER BY key, step;
-- a commit with only metrics staged is allowed and takes them
SELECT lakefs_commit('exps', 'exp-sgd', 'epoch 3') IS NOT NULL AS committed;
SELECT branch, commit_id = pg_temp.head('exps', 'exp-sgd') AS at_head, key, step,
	   round(value::numeric, 4) AS value
FROM lakefs_metrics WHERE repository = 'exps' ORDER BY key, step;
SELECT count(*) AS staged FROM lakefs.staged_metrics;
-- rolled back with the commit: still staged afterwards
SELECT lakefs_log_metric('exps', 'exp-sgd', 'loss', 0.2, 4);
BEGIN;
SELECT lakefs_commit('exps', 'exp-sgd', 'epoch 4') IS NOT NULL AS committed;
SELECT count(*) AS staged_in_tx FROM lakefs_metrics WHERE commit_id IS NULL;
ROLLBACK;
SELECT branch, commit_id, key, step, value FROM lakefs_metrics WHERE commit_id IS NULL;
-- a reset of a prefix keeps them, a reset of the whole branch drops them
SELECT lakefs_reset('exps', 'exp-sgd', 'data/');
SELECT count(*) AS staged FROM lakefs_metrics WHERE commit_id IS NULL;
SELECT lakefs_reset('exps', 'exp-sgd');
SELECT count(*) AS staged FROM lakefs_metrics WHERE commit_id IS NULL;
SELECT pg_temp.error_of($$SELECT lakefs_commit('exps', 'exp-sgd', 'nothing')$$);
-- a branch deleted with staged metrics takes them along
SELECT lakefs_log_metric('exps', 'other', 'loss', 0.5);
SELECT lakefs_delete_branch('exps', 'other');
SELECT count(*) AS staged FROM lakefs.staged_metrics;
-- a learning curve is one query
SELECT step, round(value::numeric, 3) AS loss FROM lakefs_metrics
WHERE repository = 'exps' AND branch = 'exp-sgd' AND key = 'loss' ORDER BY step;
SELECT pg_temp.error_of($$SELECT lakefs_log_metric('exps', 'exp-sgd', 'loss', NULL)$$);
SELECT pg_temp.error_of($$SELECT lakefs_log_metric('exps', 'exp-sgd', NULL, 1)$$);
SELECT pg_temp.error_of($$SELECT lakefs_log_metric('exps', 'exp-sgd', '', 1)$$);
SELECT pg_temp.error_of($$SELECT lakefs_log_metric('exps', 'exp-sgd', E'loss\nx', 1)$$);
SELECT pg_temp.error_of($$SELECT lakefs_log_metric('exps', 'no-branch', 'loss', 1)$$);

-- JSON helpers read objects: a local root inside the throwaway cluster.
SELECT set_config('pg_lakefs.local_root', current_setting('data_directory'), false) IS NOT NULL AS set;
SELECT lakefs_create_repository('exps-json', 'local://lakefs_exps-json') IS NOT NULL AS created;
SELECT size FROM lakefs_put_object('exps-json', 'main', 'config/params.json',
	convert_to('{"lr": 0.01, "optimizer": {"name": "adam", "beta": 0.9}, "layers": [64, 32]}', 'UTF8'));
SELECT size FROM lakefs_put_object('exps-json', 'main', 'README.txt', convert_to('plain text, naïve', 'UTF8'));
SELECT size FROM lakefs_put_object('exps-json', 'main', 'bad.json', convert_to('{"lr": 0.01,', 'UTF8'));
SELECT size FROM lakefs_put_object('exps-json', 'main', 'latin1.json', '\x7b2261223a2022e9227d'::bytea);
SELECT size FROM lakefs_put_object('exps-json', 'main', 'empty.json', '');
SELECT lakefs_commit('exps-json', 'main', 'params', '{"accuracy": 0.9, "params": {"lr": 0.01, "depth": 3}}') IS NOT NULL AS committed;
SELECT lakefs_create_branch('exps-json', 'exp', 'main') IS NOT NULL AS branched;
SELECT size FROM lakefs_put_object('exps-json', 'exp', 'config/params.json',
	convert_to('{"lr": 0.001, "optimizer": {"name": "adam", "beta": 0.99}, "layers": [64, 32], "dropout": 0.1}', 'UTF8'));
SELECT lakefs_commit('exps-json', 'exp', 'tune', '{"accuracy": 0.95, "params": {"lr": 0.001, "depth": 3}, "note": "x"}') IS NOT NULL AS committed;
SELECT lakefs_get_json('exps-json', 'main', 'config/params.json');
SELECT lakefs_get_json('exps-json', 'exp', 'config/params.json')->>'lr' AS staged_or_committed;
SELECT lakefs_get_text('exps-json', 'main', 'README.txt');
SELECT lakefs_get_text('exps-json', 'main', 'empty.json') = '' AS empty_text;
-- parameters side by side
SELECT b AS branch, lakefs_get_json('exps-json', b, 'config/params.json')->'lr' AS lr
FROM unnest(ARRAY['main', 'exp']) b;
SELECT * FROM lakefs_diff_json('exps-json', 'main', 'exp', 'config/params.json');
SELECT * FROM lakefs_diff_json('exps-json', 'main', 'main', 'config/params.json');
SELECT * FROM lakefs_diff_metadata('exps-json', 'main', 'exp');
SELECT * FROM lakefs_diff_metadata('exps-json', 'exp', 'exp~1');
-- not JSON, not UTF-8, not there
SELECT pg_temp.error_of($$SELECT lakefs_get_json('exps-json', 'main', 'bad.json')$$);
SELECT pg_temp.error_of($$SELECT lakefs_get_json('exps-json', 'main', 'empty.json')$$);
SELECT pg_temp.error_of($$SELECT lakefs_get_json('exps-json', 'main', 'latin1.json')$$);
SELECT pg_temp.error_of($$SELECT lakefs_get_text('exps-json', 'main', 'latin1.json')$$);
SELECT pg_temp.error_of($$SELECT * FROM lakefs_diff_json('exps-json', 'main', 'exp', 'bad.json')$$);
SELECT pg_temp.error_of($$SELECT lakefs_get_json('exps-json', 'main', 'missing.json')$$);
SELECT pg_temp.error_of($$SELECT lakefs_get_text('exps-json', NULL, 'README.txt')$$);
SELECT pg_temp.error_of($$SELECT * FROM lakefs_diff_metadata('exps-json', 'main', 'nope')$$);
-- a document that is not an object compares as one value under the key ''
SELECT * FROM lakefs_diff_jsonb('[1, 2]', '[1, 3]');
SELECT * FROM lakefs_diff_jsonb('{"a": {}}', '{"a": {"b": null}}');

-- lakefs_merge says what it did; lakefs_merge_result returns it as a row
SELECT lakefs_create_branch('exps-json', b, 'main') IS NOT NULL AS branched
FROM unnest(ARRAY['ff', 'mc']) b;
SELECT size FROM lakefs_put_object('exps-json', 'ff', 'a.txt', 'a');
SELECT size FROM lakefs_put_object('exps-json', 'ff', 'b.txt', 'b');
SELECT lakefs_commit('exps-json', 'ff', 'two files') IS NOT NULL AS committed;
SELECT outcome, commit_id = pg_temp.head('exps-json', 'ff') AS at_source, changed_paths
FROM lakefs_merge_result('exps-json', 'ff', 'main');
SELECT outcome, commit_id = pg_temp.head('exps-json', 'main') AS unchanged, changed_paths
FROM lakefs_merge_result('exps-json', 'ff', 'main');
SELECT lakefs_merge('exps-json', 'ff', 'main') = pg_temp.head('exps-json', 'main') AS up_to_date;
SELECT size FROM lakefs_put_object('exps-json', 'mc', 'c.txt', 'c');
SELECT lakefs_commit('exps-json', 'mc', 'one file') IS NOT NULL AS committed;
SELECT outcome, commit_id = pg_temp.head('exps-json', 'main') AS new_head, changed_paths,
	   (SELECT cardinality(parents) FROM lakefs_log('exps-json', 'main', 1)) AS parents
FROM lakefs_merge_result('exps-json', 'mc', 'main');
SELECT lakefs_create_branch('exps-json', 'ff2', 'main') IS NOT NULL AS branched;
SELECT size FROM lakefs_put_object('exps-json', 'ff2', 'd.txt', 'd');
SELECT lakefs_commit('exps-json', 'ff2', 'd') IS NOT NULL AS committed;
SELECT lakefs_merge('exps-json', 'ff2', 'main', fast_forward => false) IS NOT NULL AS merged;
SELECT pg_temp.error_of($$SELECT lakefs_merge_result('exps-json', 'ff', NULL)$$);
SELECT pg_temp.error_of($$SELECT lakefs_merge_result('exps-json', 'nope', 'main')$$);
RESET pg_lakefs.local_root;

-- One namespace, one repository: equal, inside or containing is refused
SELECT lakefs_create_repository('ns-a', 's3://nsbucket/team/a') IS NOT NULL AS created;
SELECT pg_temp.error_of($$SELECT lakefs_create_repository('ns-b', 's3://nsbucket/team/a')$$);
SELECT pg_temp.error_of($$SELECT lakefs_create_repository('ns-b', 's3://nsbucket/team/a/')$$);
SELECT pg_temp.error_of($$SELECT lakefs_create_repository('ns-b', 's3://nsbucket/team/a/sub')$$);
SELECT pg_temp.error_of($$SELECT lakefs_create_repository('ns-b', 's3://nsbucket/team')$$);
SELECT pg_temp.error_of($$SELECT lakefs_create_repository('ns-b', 's3://nsbucket')$$);
SELECT pg_temp.error_of($$SELECT lakefs_create_repository('ns-b', 'local://exps')$$);
-- a sibling whose name only starts the same, or another bucket, is fine
SELECT lakefs_create_repository('ns-b', 's3://nsbucket/team/ab') IS NOT NULL AS created;
SELECT lakefs_create_repository('ns-c', 's3://nsbucket2/team/a') IS NOT NULL AS created;
-- a deleted repository's namespace is free again in the catalog
SELECT lakefs_delete_repository('ns-a');
SELECT lakefs_create_repository('ns-d', 's3://nsbucket/team/a') IS NOT NULL AS created;
