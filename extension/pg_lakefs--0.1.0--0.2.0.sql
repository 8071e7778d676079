/* extension/pg_lakefs--0.1.0--0.2.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pg_lakefs UPDATE TO '0.2.0'" to load this file. \quit

-- 0.2.0: every schema and function change since the frozen 0.1.0. A new
-- installation runs 0.1.0's script and then this one, so both paths end in the
-- same catalog (test/t/upgrade.sh proves it).

-- Hardening: staged changes belong to their branch. Deleting a branch or a
-- repository removes its staged rows and runs by cascade, also against a
-- session that is staging on it at that moment (no orphans). Rows that 0.1.0
-- left behind for deleted branches are garbage and go first.
DELETE FROM lakefs.staging s
 WHERE NOT EXISTS (SELECT 1 FROM lakefs.branches b
					WHERE b.repo_id = s.repo_id AND b.name = s.branch);
DELETE FROM lakefs.staging_runs s
 WHERE NOT EXISTS (SELECT 1 FROM lakefs.branches b
					WHERE b.repo_id = s.repo_id AND b.name = s.branch);
ALTER TABLE lakefs.staging ADD CONSTRAINT staging_branch_fkey
	FOREIGN KEY (repo_id, branch) REFERENCES lakefs.branches (repo_id, name)
	ON DELETE CASCADE;
ALTER TABLE lakefs.staging_runs ADD CONSTRAINT staging_runs_branch_fkey
	FOREIGN KEY (repo_id, branch) REFERENCES lakefs.branches (repo_id, name)
	ON DELETE CASCADE;
-- zero-copy import: typed sources as lakeFS's ImportCreation paths
-- ({"path", "destination", "type": "common_prefix" | "object"}); the text[]
-- form keeps working (every source a common_prefix).
CREATE FUNCTION lakefs_import(repository text, branch text, sources jsonb,
							  message text DEFAULT 'import objects',
							  metadata jsonb DEFAULT '{}')
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_import_jsonb'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_import(text, text, jsonb, text, jsonb) IS
'commit the objects of each source without copying them; sources is a JSON array of '
'{"path": "s3://bucket/prefix/", "destination": "raw/", "type": "common_prefix"} or '
'{"path": "s3://bucket/key", "destination": "raw/key", "type": "object"}, as lakeFS''s import';

COMMENT ON FUNCTION lakefs_import(text, text, text[], text, text, jsonb) IS
'commit the objects listed under each source (a common_prefix: s3://bucket/prefix or local://prefix) '
'without copying them; keys relative to the source prefix''s last / land under destination, a folder';

-- fsck: lakefs_fsck, the catalog integrity checker (one row per problem)

CREATE FUNCTION lakefs_fsck(repository text DEFAULT NULL)
	RETURNS TABLE (repository text, kind text, object text, detail text)
	AS 'MODULE_PATHNAME', 'lakefs_fsck'
	LANGUAGE C STABLE;

COMMENT ON FUNCTION lakefs_fsck(text) IS
'check the catalog of one repository (NULL: every repository) and return one row per '
'problem: dangling_ref, missing_parent, missing_metarange, commit_id_mismatch, '
'hash_mismatch, decode_error, key_order, count_mismatch, bounds_mismatch, missing_range, '
'orphan_staging; no rows when healthy. Reads each range once';

-- experiments: experiments as rows, metric history by step, JSON helpers and
-- what a merge did.

-- Metrics logged on a branch wait here for the branch's next commit (staged
-- like objects: they go with the branch, and lakefs_reset drops them).
CREATE TABLE lakefs.staged_metrics (
	repo_id		integer NOT NULL,
	branch		text COLLATE "C" NOT NULL,
	id			bigint GENERATED ALWAYS AS IDENTITY,
	key			text COLLATE "C" NOT NULL,
	step		bigint,
	value		double precision NOT NULL,
	logged_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	PRIMARY KEY (repo_id, branch, id),
	FOREIGN KEY (repo_id, branch) REFERENCES lakefs.branches (repo_id, name)
		ON DELETE CASCADE
);

-- Committed metrics, keyed by the commit that took them (and the branch it
-- was committed on); they go with their commit.
CREATE TABLE lakefs.metrics (
	repo_id		integer NOT NULL,
	commit_id	text COLLATE "C" NOT NULL,
	id			bigint NOT NULL,
	branch		text COLLATE "C" NOT NULL,
	key			text COLLATE "C" NOT NULL,
	step		bigint,
	value		double precision NOT NULL,
	logged_at	timestamptz NOT NULL,
	PRIMARY KEY (repo_id, commit_id, id),
	FOREIGN KEY (repo_id, commit_id) REFERENCES lakefs.commits (repo_id, id)
		ON DELETE CASCADE
);
CREATE INDEX metrics_key ON lakefs.metrics (repo_id, key, branch);

REVOKE ALL ON lakefs.staged_metrics, lakefs.metrics FROM PUBLIC;

CREATE VIEW lakefs_metrics AS
	SELECT r.name AS repository, m.branch, m.commit_id, m.key, m.step, m.value,
		   m.logged_at
	FROM lakefs.metrics m
	JOIN lakefs.repositories r ON r.id = m.repo_id
	UNION ALL
	SELECT r.name, s.branch, NULL, s.key, s.step, s.value, s.logged_at
	FROM lakefs.staged_metrics s
	JOIN lakefs.repositories r ON r.id = s.repo_id;

COMMENT ON VIEW lakefs_metrics IS
'every metric logged with lakefs_log_metric: committed ones with the commit that took '
'them, staged ones with commit_id NULL';

CREATE FUNCTION lakefs_log_metric(repository text, branch text, key text,
								  value double precision, step bigint DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_log_metric'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_log_metric(text, text, text, double precision, bigint) IS
'stage a metric value (at step, NULL for none) on branch; the next commit on the branch '
'takes it (a commit with only metrics staged is allowed), lakefs_reset drops it';

CREATE FUNCTION lakefs_experiments(repository text, branches text DEFAULT '%',
								   order_by text DEFAULT NULL)
	RETURNS TABLE (branch text, commit_id text, committed_at timestamptz, message text,
				   metadata jsonb, base_commit text, commits_since integer)
	AS 'MODULE_PATHNAME', 'lakefs_experiments'
	LANGUAGE C STABLE;

COMMENT ON FUNCTION lakefs_experiments(text, text, text) IS
'one row per branch matching the LIKE pattern branches: the newest commit on its '
'first-parent history with non-empty metadata, its merge base with the default branch '
'and the first-parent commits since; order_by ''<key> [asc|desc]'' sorts by a top-level '
'metadata key in jsonb order (numbers numerically), nulls last';

CREATE FUNCTION lakefs_get_text(repository text, ref text, path text)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_get_text'
	LANGUAGE C STABLE;

COMMENT ON FUNCTION lakefs_get_text(text, text, text) IS
'the object at path in ref as text (it must be UTF-8: SQLSTATE 22021 otherwise)';

CREATE FUNCTION lakefs_get_json(repository text, ref text, path text)
	RETURNS jsonb
	AS 'MODULE_PATHNAME', 'lakefs_get_json'
	LANGUAGE C STABLE;

COMMENT ON FUNCTION lakefs_get_json(text, text, text) IS
'the object at path in ref parsed as JSON (SQLSTATE 22P02 when it is not JSON, 22021 '
'when it is not UTF-8)';

-- The leaves of each document as (dotted key, value), '' for a document that
-- is not an object; an empty object is a leaf too, except at the top.
CREATE FUNCTION lakefs_diff_jsonb(left_value jsonb, right_value jsonb)
	RETURNS TABLE (key text, left_value jsonb, right_value jsonb)
	LANGUAGE sql IMMUTABLE STRICT
	AS $$
	WITH RECURSIVE t(side, key, value) AS (
		SELECT 'l', NULL::text, $1
		UNION ALL
		SELECT 'r', NULL::text, $2
		UNION ALL
		SELECT t.side,
			   CASE WHEN t.key IS NULL THEN e.key ELSE t.key || '.' || e.key END,
			   e.value
		FROM t, jsonb_each(CASE WHEN jsonb_typeof(t.value) = 'object'
								THEN t.value ELSE '{}' END) e
	), leaves AS (
		SELECT side, coalesce(key, '') AS key, value FROM t
		WHERE jsonb_typeof(value) <> 'object' OR (value = '{}' AND key IS NOT NULL)
	)
	SELECT coalesce(l.key, r.key), l.value, r.value
	FROM (SELECT key, value FROM leaves WHERE side = 'l') l
	FULL JOIN (SELECT key, value FROM leaves WHERE side = 'r') r ON l.key = r.key
	WHERE l.value IS DISTINCT FROM r.value
	ORDER BY coalesce(l.key, r.key) COLLATE "C"
	$$;

COMMENT ON FUNCTION lakefs_diff_jsonb(jsonb, jsonb) IS
'the keys (nested ones as dotted paths) whose values differ between two JSON documents; '
'one row per key, NULL for a side without it; a document that is not an object is one '
'value under the empty key';

CREATE FUNCTION lakefs_diff_json(repository text, left_ref text, right_ref text,
								 path text)
	RETURNS TABLE (key text, left_value jsonb, right_value jsonb)
	LANGUAGE sql STABLE STRICT
	AS $$
	SELECT * FROM lakefs_diff_jsonb(lakefs_get_json($1, $2, $4),
										lakefs_get_json($1, $3, $4))
	$$;

COMMENT ON FUNCTION lakefs_diff_json(text, text, text, text) IS
'the keys (nested ones as dotted paths) whose values differ between the JSON object at '
'path in left_ref and in right_ref; one row per key, NULL for a side without it';

CREATE FUNCTION lakefs_diff_metadata(repository text, left_ref text, right_ref text)
	RETURNS TABLE (key text, left_value jsonb, right_value jsonb)
	LANGUAGE sql STABLE STRICT
	AS $$
	SELECT * FROM lakefs_diff_jsonb(
		(SELECT metadata FROM lakefs_log($1, $2, 1)),
		(SELECT metadata FROM lakefs_log($1, $3, 1)))
	$$;

COMMENT ON FUNCTION lakefs_diff_metadata(text, text, text) IS
'the commit metadata keys (nested ones as dotted paths) whose values differ between the '
'commits of left_ref and right_ref; one row per key, NULL for a side without it';

CREATE TYPE lakefs_merge_result AS (
	outcome			text,
	commit_id		text,
	changed_paths	bigint
);

CREATE FUNCTION lakefs_merge_result(repository text, source_ref text, dest_branch text,
									message text DEFAULT NULL, metadata jsonb DEFAULT '{}',
									strategy text DEFAULT NULL,
									fast_forward boolean DEFAULT true)
	RETURNS lakefs_merge_result
	AS 'MODULE_PATHNAME', 'lakefs_merge_result'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_merge_result(text, text, text, text, jsonb, text, boolean) IS
'lakefs_merge as a row: outcome (fast-forward, merge commit, already up to date), the '
'destination''s new head and the number of paths that changed on it';

COMMENT ON FUNCTION lakefs_merge(text, text, text, text, jsonb, text, boolean) IS
'three-way merge of source_ref into dest_branch; returns the new head and raises a NOTICE '
'naming the outcome and the changed paths (lakefs_merge_result returns them as a row). '
'strategy: NULL (conflicts are an error, SQLSTATE LK001), source-wins or dest-wins';
