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

-- gc: garbage collection as lakeFS's GC: retention rules, candidates and what
-- was swept, lakefs_gc, and lakefs_delete_repository(..., purge)

CREATE TABLE lakefs.gc_rules (
	repo_id				integer PRIMARY KEY REFERENCES lakefs.repositories ON DELETE CASCADE,
	default_retention	interval NOT NULL,
	branches			jsonb NOT NULL DEFAULT '{}'
);

-- The latest mark's candidates (swept_at NULL) and every object GC deleted
-- (swept_at set, kept so that reading it says it was collected, and when).
-- Addresses are relative to the repository's storage namespace.
CREATE TABLE lakefs.gc_candidates (
	repo_id		integer NOT NULL REFERENCES lakefs.repositories ON DELETE CASCADE,
	address		text COLLATE "C" NOT NULL,
	size		bigint NOT NULL,
	why			text NOT NULL,
	marked_at	timestamptz NOT NULL DEFAULT now(),
	swept_at	timestamptz,
	PRIMARY KEY (repo_id, address)
);

REVOKE ALL ON lakefs.gc_rules, lakefs.gc_candidates FROM PUBLIC;

CREATE VIEW lakefs_gc_rules AS
	SELECT r.name AS repository, g.default_retention, g.branches
	FROM lakefs.gc_rules g
	JOIN lakefs.repositories r ON r.id = g.repo_id;

CREATE FUNCTION lakefs_set_gc_rules(repository text, default_retention interval,
									branches jsonb DEFAULT '{}')
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_set_gc_rules'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_set_gc_rules(text, interval, jsonb) IS
'replace the garbage collection rules of a repository: a default retention and per-branch '
'overrides such as {"main": "90 days"}, as lakeFS''s GC rules';

CREATE FUNCTION lakefs_gc(repository text, dry_run boolean DEFAULT true,
						  OUT active_commits bigint, OUT ranges_read bigint,
						  OUT candidates bigint, OUT candidate_bytes bigint,
						  OUT deleted bigint)
	RETURNS record
	AS 'MODULE_PATHNAME', 'lakefs_gc'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_gc(text, boolean) IS
'garbage-collect a repository as lakeFS''s GC: mark the objects under its namespace that no '
'active commit, staging area or recent upload references; unless dry_run, delete them';

CREATE FUNCTION lakefs_gc_candidates(repository text)
	RETURNS TABLE (address text, size bigint, why text)
	AS 'MODULE_PATHNAME', 'lakefs_gc_candidates'
	LANGUAGE C STRICT STABLE;

COMMENT ON FUNCTION lakefs_gc_candidates(text) IS
'the objects the latest lakefs_gc mark found collectable and not yet deleted: address '
'relative to the storage namespace, size in bytes, why (unreferenced or uncommitted)';

DROP FUNCTION lakefs_delete_repository(text);
CREATE FUNCTION lakefs_delete_repository(name text, purge boolean DEFAULT false)
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_delete_repository'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_delete_repository(text, boolean) IS
'delete a repository from the catalog; with purge, also every object under its storage '
'namespace (and nothing else)';
