-- Governance: protected branches, hooks, and bad input to the grant, rule and
-- hook functions. (Several roles against each other: test/t/privileges.sh.)
SET client_min_messages = warning;
\set VERBOSITY default
SELECT lakefs_create_repository('gov-repo', 's3://bucket/gov-repo') IS NOT NULL AS created;
SELECT lakefs_stage_object('gov-repo', 'main', 'a.txt', 'data/a', 1, 'ca');
SELECT lakefs_commit('gov-repo', 'main', 'first', '{"accuracy": 0.5}') IS NOT NULL AS committed;
SELECT lakefs_create_branch('gov-repo', 'exp-1', 'main') IS NOT NULL AS branched;
SELECT lakefs_create_branch('gov-repo', 'rel-1', 'main') IS NOT NULL AS branched;

-- ---- protected branches ----
SELECT lakefs_protect_branch('gov-repo', 'main');
SELECT lakefs_protect_branch('gov-repo', 'rel-*');
SELECT lakefs_protect_branch('gov-repo', 'main');	-- again: nothing new
SELECT repository, pattern FROM lakefs_branch_protection ORDER BY pattern;
SELECT branch, protected FROM lakefs_branches WHERE repository = 'gov-repo' ORDER BY branch;
SELECT lakefs_branch_protected('gov-repo', 'rel-2') AS "rel-2", lakefs_branch_protected('gov-repo', 'exp-2') AS "exp-2";
-- direct writes are refused, naming the rule
SELECT lakefs_stage_object('gov-repo', 'main', 'b.txt', 'data/b', 1, 'cb');
SELECT lakefs_delete_object('gov-repo', 'main', 'a.txt');
SELECT lakefs_reset('gov-repo', 'main');
SELECT lakefs_commit('gov-repo', 'main', 'direct', allow_empty => true);
SELECT lakefs_stage_object('gov-repo', 'rel-1', 'b.txt', 'data/b', 1, 'cb');
SELECT lakefs_delete_branch('gov-repo', 'rel-1');
SELECT lakefs_import('gov-repo', 'main', ARRAY['s3://bucket/src/']);
SELECT lakefs_put_object('gov-repo', 'main', 'p.txt', '\x00'::bytea);
SELECT * FROM lakefs_upload_url('gov-repo', 'main', 'u.txt');
SELECT lakefs_cherry_pick('gov-repo', 'main', 'exp-1');
-- merges and reverts go in (lakeFS semantics)
SELECT lakefs_stage_object('gov-repo', 'exp-1', 'b.txt', 'data/b', 1, 'cb');
SELECT lakefs_commit('gov-repo', 'exp-1', 'b', '{"accuracy": 0.7}') IS NOT NULL AS committed;
SELECT lakefs_merge('gov-repo', 'exp-1', 'main') = lakefs_resolve_ref('gov-repo', 'exp-1') AS fast_forwarded;
SELECT lakefs_revert('gov-repo', 'main', 'main') IS NOT NULL AS reverted;
SELECT path FROM lakefs_ls('gov-repo', 'main') ORDER BY path;
-- a branch whose name matches a rule can be created
SELECT lakefs_create_branch('gov-repo', 'rel-2', 'main') IS NOT NULL AS branched;
SELECT lakefs_unprotect_branch('gov-repo', 'rel-*');
SELECT lakefs_delete_branch('gov-repo', 'rel-1');
SELECT lakefs_unprotect_branch('gov-repo', 'rel-*');
SELECT lakefs_protect_branch('gov-repo', '[abc');
SELECT lakefs_protect_branch('gov-repo', 'a/b');
SELECT lakefs_protect_branch('gov-repo', '');
SELECT lakefs_protect_branch('gov-repo', '[!]x');
SELECT lakefs_protect_branch('gov-repo', 'rel-[0-9]*');
SELECT branch, protected FROM lakefs_branches WHERE repository = 'gov-repo' ORDER BY branch;
SELECT lakefs_unprotect_branch('gov-repo', 'rel-[0-9]*');

-- ---- hooks ----
CREATE TABLE hook_log (event jsonb);
CREATE TABLE hook_pending (change text, path text);
CREATE FUNCTION log_event(event jsonb) RETURNS void LANGUAGE sql
	AS $$ INSERT INTO hook_log VALUES (event - 'committer' - 'commit_id' ||
		jsonb_build_object('has_commit_id', event ? 'commit_id')) $$;
CREATE FUNCTION record_pending(event jsonb) RETURNS void LANGUAGE sql
	AS $$ INSERT INTO hook_pending SELECT change, path FROM lakefs_pending_changes() $$;
CREATE FUNCTION refuse_bad(event jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF event->>'message' LIKE '%bad%' THEN
		RAISE EXCEPTION 'commit message of branch % may not say bad', event->>'branch'
			USING ERRCODE = 'check_violation';
	END IF;
END $$;
SELECT lakefs_add_hook('gov-repo', 'pre-commit', 'refuse_bad(jsonb)', branches => 'exp-*');
SELECT lakefs_add_hook('gov-repo', 'pre-commit', 'record_pending(jsonb)');
SELECT lakefs_add_hook('gov-repo', 'post-commit', 'log_event(jsonb)');
SELECT lakefs_add_hook('gov-repo', 'pre-create-branch', 'log_event(jsonb)');
SELECT lakefs_add_hook('gov-repo', 'post-delete-branch', 'log_event(jsonb)');
SELECT lakefs_add_hook('gov-repo', 'post-create-tag', 'log_event(jsonb)');
SELECT repository, event, function, branches FROM lakefs_hooks ORDER BY event, function;

-- a pre-hook that raises: nothing written, the head unchanged, the staged changes intact
SELECT lakefs_resolve_ref('gov-repo', 'exp-1') AS head_before \gset
SELECT lakefs_stage_object('gov-repo', 'exp-1', 'c.txt', 'data/c', 1, 'cc');
SELECT lakefs_delete_object('gov-repo', 'exp-1', 'a.txt');
SELECT lakefs_commit('gov-repo', 'exp-1', 'a bad commit');
SELECT lakefs_resolve_ref('gov-repo', 'exp-1') = :'head_before' AS head_unchanged;
SELECT path, change FROM lakefs_staged('gov-repo', 'exp-1') ORDER BY path;
SELECT count(*) AS commits_with_bad FROM lakefs_commits WHERE message LIKE '%bad%';
SELECT count(*) AS logged FROM hook_log;
SELECT count(*) AS pending_rows FROM hook_pending;
-- the same commit with a good message: the pre-hook saw the pending diff
SELECT lakefs_commit('gov-repo', 'exp-1', 'a good commit') IS NOT NULL AS committed;
SELECT * FROM hook_pending ORDER BY path;
SELECT event FROM hook_log;
-- lakefs_pending_changes outside a pre-hook
SELECT * FROM lakefs_pending_changes();

-- the other events
TRUNCATE hook_log;
SELECT lakefs_create_branch('gov-repo', 'exp-2', 'exp-1') IS NOT NULL AS branched;
SELECT lakefs_delete_branch('gov-repo', 'exp-2');
SELECT lakefs_create_tag('gov-repo', 'v1', 'exp-1') IS NOT NULL AS tagged;
SELECT event FROM hook_log;

-- no recursion into the operation that called the hook
CREATE FUNCTION recurse(event jsonb) RETURNS void LANGUAGE sql
	AS $$ SELECT lakefs_stage_object(event->>'repository', event->>'branch', 'r.txt', 'data/r', 1, 'cr') $$;
SELECT lakefs_add_hook('gov-repo', 'pre-commit', 'recurse(jsonb)', branches => 'exp-3');
SELECT lakefs_create_branch('gov-repo', 'exp-3', 'exp-1') IS NOT NULL AS branched;
SELECT lakefs_commit('gov-repo', 'exp-3', 'recursive', allow_empty => true);
SELECT lakefs_drop_hook('gov-repo', 'pre-commit', 'recurse(jsonb)');

-- The README's rule: a merge into main needs "accuracy" in the source's head
-- metadata, higher than main's.
CREATE FUNCTION require_accuracy(event jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	src numeric;
	dst numeric;
BEGIN
	SELECT (metadata->>'accuracy')::numeric INTO src
	  FROM lakefs_log(event->>'repository', event->>'source_ref', 1);
	SELECT (metadata->>'accuracy')::numeric INTO dst
	  FROM lakefs_log(event->>'repository', event->>'destination_branch', 1);
	IF src IS NULL THEN
		RAISE EXCEPTION 'a merge into % needs "accuracy" in the metadata of %',
			event->>'destination_branch', event->>'source_ref'
			USING ERRCODE = 'check_violation';
	END IF;
	IF src <= coalesce(dst, 0) THEN
		RAISE EXCEPTION 'accuracy % of % is not higher than % of %', src,
			event->>'source_ref', dst, event->>'destination_branch'
			USING ERRCODE = 'check_violation';
	END IF;
END $$;
SELECT lakefs_add_hook('gov-repo', 'pre-merge', 'require_accuracy(jsonb)', branches => 'main');
SELECT lakefs_drop_hook('gov-repo', 'pre-commit', 'record_pending(jsonb)');
SELECT lakefs_add_hook('gov-repo', 'pre-merge', 'record_pending(jsonb)', branches => 'main');
TRUNCATE hook_pending;
SELECT lakefs_drop_hook('gov-repo', 'pre-commit', 'refuse_bad(jsonb)');
SELECT lakefs_create_branch('gov-repo', 'exp-4', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('gov-repo', 'exp-4', 'm.bin', 'data/m1', 1, 'm1');
SELECT lakefs_commit('gov-repo', 'exp-4', 'no accuracy') IS NOT NULL AS committed;
SELECT lakefs_merge('gov-repo', 'exp-4', 'main');
SELECT lakefs_stage_object('gov-repo', 'exp-4', 'm.bin', 'data/m2', 1, 'm2');
SELECT lakefs_commit('gov-repo', 'exp-4', 'good', '{"accuracy": 0.6}') IS NOT NULL AS committed;
SELECT lakefs_merge('gov-repo', 'exp-4', 'main') = lakefs_resolve_ref('gov-repo', 'exp-4') AS merged;
SELECT lakefs_stage_object('gov-repo', 'exp-4', 'm.bin', 'data/m3', 1, 'm3');
SELECT lakefs_commit('gov-repo', 'exp-4', 'worse', '{"accuracy": 0.4}') IS NOT NULL AS committed;
SELECT lakefs_merge('gov-repo', 'exp-4', 'main');
SELECT lakefs_stage_object('gov-repo', 'exp-4', 'm.bin', 'data/m4', 1, 'm4');
SELECT lakefs_commit('gov-repo', 'exp-4', 'better', '{"accuracy": 0.9}') IS NOT NULL AS committed;
SELECT lakefs_merge('gov-repo', 'exp-4', 'main') = lakefs_resolve_ref('gov-repo', 'exp-4') AS merged;
SELECT metadata->>'accuracy' AS main_accuracy FROM lakefs_log('gov-repo', 'main', 1);
-- what the pre-merge hook saw of the two merges that went in (the refused one rolled back)
SELECT * FROM hook_pending ORDER BY change, path;

-- ---- error safety of the one door ----
-- An error raised inside a catalog statement (here a path returned twice by a
-- bulk staging query, raised while the run is written as the extension owner)
-- and caught by the caller leaves the caller's user and search_path in place,
-- and the next call checks the caller, not the owner.
CREATE ROLE regress_gov_writer;
SELECT lakefs_grant('gov-repo', 'regress_gov_writer', 'write', branches => 'exp-*');
CREATE TABLE door_log (step text, usr text, path text);
GRANT INSERT ON door_log TO regress_gov_writer;
SET ROLE regress_gov_writer;
SET search_path = public;
DO $$
BEGIN
	PERFORM lakefs_stage_objects('gov-repo', 'exp-1', $q$SELECT 'twice' AS path,
		'data/t' AS physical_address, 1 AS size, 'c' AS checksum FROM generate_series(1, 2)$q$);
EXCEPTION WHEN cardinality_violation THEN
	INSERT INTO door_log VALUES ('caught', current_user, current_setting('search_path'));
END $$;
SELECT current_user, current_setting('search_path') AS search_path;
SELECT lakefs_stage_object('gov-repo', 'main', 'x.txt', 'data/x', 1, 'cx');
SELECT lakefs_stage_object('gov-repo', 'exp-1', 'x.txt', 'data/x', 1, 'cx');
SELECT lakefs_reset('gov-repo', 'exp-1');
RESET search_path;
RESET ROLE;
SELECT * FROM door_log;

-- ---- bad input ----
SELECT lakefs_add_hook('gov-repo', 'pre-push', 'log_event(jsonb)');
SELECT lakefs_add_hook('gov-repo', 'commit', 'log_event(jsonb)');
CREATE FUNCTION wrong_args(event text) RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION wrong_result(event jsonb) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
SELECT lakefs_add_hook('gov-repo', 'pre-commit', 'wrong_args(text)');
SELECT lakefs_add_hook('gov-repo', 'pre-commit', 'wrong_result(jsonb)');
SELECT lakefs_add_hook('gov-repo', 'pre-commit', 'log_event(jsonb)', branches => 'x[');
SELECT lakefs_drop_hook('gov-repo', 'pre-merge', 'log_event(jsonb)');
SELECT lakefs_add_hook('no-such-repo', 'pre-commit', 'log_event(jsonb)');
-- a hook whose function was dropped
SELECT lakefs_add_hook('gov-repo', 'post-create-tag', 'wrong_args(text)'::regprocedure);
CREATE FUNCTION short_lived(event jsonb) RETURNS void LANGUAGE sql AS $$ SELECT $$;
SELECT lakefs_add_hook('gov-repo', 'pre-create-tag', 'short_lived(jsonb)');
DROP FUNCTION short_lived(jsonb);
SELECT lakefs_create_tag('gov-repo', 'v2', 'main');
SELECT lakefs_grant('gov-repo', 'no_such_role', 'read');
SELECT lakefs_grant('gov-repo', 'public', 'read');
SELECT lakefs_grant('gov-repo', current_user, 'sudo');
SELECT lakefs_grant('gov-repo', current_user, 'read', branches => 'exp-*');
SELECT lakefs_grant('gov-repo', current_user, 'write', branches => 'exp-[');
SELECT lakefs_revoke('gov-repo', current_user, 'write');
SELECT lakefs_has_privilege('gov-repo', 'sudo');
SELECT lakefs_has_privilege('no-such-repo', 'read');
SELECT lakefs_has_privilege('gov-repo', 'admin'), lakefs_has_privilege('gov-repo', 'write', 'main');
SELECT lakefs_unprotect_branch('gov-repo', 'nothing-*');

SELECT lakefs_delete_repository('gov-repo');
DROP TABLE door_log;
DROP ROLE regress_gov_writer;
SELECT count(*) AS rules_left FROM lakefs_branch_protection WHERE repository = 'gov-repo';
SELECT count(*) AS hooks_left FROM lakefs_hooks WHERE repository = 'gov-repo';
