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

-- history: the commit graph in SQL (merge base, ancestry); lakefs_diff with
-- delimiter, paging and three-dot mode, branches read with their staging.

CREATE FUNCTION lakefs_merge_base(repository text, ref1 text, ref2 text)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_merge_base'
	LANGUAGE C STRICT STABLE;

COMMENT ON FUNCTION lakefs_merge_base(text, text, text) IS
'the best common ancestor of the commits of two refs (as git merge-base); NULL when none';

CREATE FUNCTION lakefs_is_ancestor(repository text, ancestor text, descendant text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'lakefs_is_ancestor'
	LANGUAGE C STRICT STABLE;

COMMENT ON FUNCTION lakefs_is_ancestor(text, text, text) IS
'whether the commit of ancestor is reachable from the commit of descendant, a commit '
'being its own ancestor (as git merge-base --is-ancestor)';

-- lakefs_diff and lakefs_diff_uncommitted gain paging (after, amount), a
-- delimiter and three-dot mode; a branch side now includes its staged changes.
-- The library keeps answering 0.1.0's shorter declarations (PG_NARGS).
DROP FUNCTION lakefs_diff(text, text, text, text);
CREATE FUNCTION lakefs_diff(repository text, left_ref text, right_ref text,
							prefix text DEFAULT '', delimiter text DEFAULT NULL,
							after text DEFAULT NULL, amount integer DEFAULT NULL,
							mode text DEFAULT 'two-dot')
	RETURNS TABLE (change text, path text, left_address text, right_address text,
				   left_size bigint, right_size bigint, left_checksum text,
				   right_checksum text)
	AS 'MODULE_PATHNAME', 'lakefs_diff'
	LANGUAGE C STABLE;

COMMENT ON FUNCTION lakefs_diff(text, text, text, text, text, text, integer, text) IS
'the changes from left_ref to right_ref in path order (added, removed, changed); a branch '
'includes its staged changes (branch@: its head only). delimiter collapses the changes '
'below a common prefix into one prefix_changed row, after/amount page (exclusive start '
'path, page size), mode three-dot diffs from the merge base to right_ref with conflict '
'rows, as lakeFS''s diff and compare';

DROP FUNCTION lakefs_diff_uncommitted(text, text, text);
CREATE FUNCTION lakefs_diff_uncommitted(repository text, branch text,
										prefix text DEFAULT '', after text DEFAULT NULL,
										amount integer DEFAULT NULL)
	RETURNS TABLE (change text, path text, left_address text, right_address text,
				   left_size bigint, right_size bigint, left_checksum text,
				   right_checksum text)
	AS 'MODULE_PATHNAME', 'lakefs_diff_uncommitted'
	LANGUAGE C STABLE;

COMMENT ON FUNCTION lakefs_diff_uncommitted(text, text, text, text, integer) IS
'the staged changes of a branch against its committed head in path order; after/amount '
'page (exclusive start path, page size)';

-- history: the reflog. Every move of a branch head (commit, merge,
-- fast-forward, revert, cherry-pick, import, reset, create, delete) is appended
-- by the statement that moves it (catalog.c), so it commits or rolls back with
-- the move. Rows outlive their branch (time travel and lakefs_restore_branch
-- read deleted branches' rows) and go with their repository. Branches that
-- 0.1.0 created have no rows until their head first moves.
CREATE TABLE lakefs.reflog (
	repo_id		integer NOT NULL REFERENCES lakefs.repositories ON DELETE CASCADE,
	branch		text COLLATE "C" NOT NULL,
	seq			bigint GENERATED ALWAYS AS IDENTITY,
	at			timestamptz NOT NULL DEFAULT clock_timestamp(),
	old_head	text COLLATE "C",
	new_head	text COLLATE "C",
	operation	text NOT NULL,
	actor		text NOT NULL,
	PRIMARY KEY (repo_id, branch, seq)
);
REVOKE ALL ON lakefs.reflog FROM PUBLIC;

CREATE FUNCTION lakefs_reflog(repository text, branch text DEFAULT NULL)
	RETURNS TABLE (at timestamptz, branch text, old_head text, new_head text,
				   operation text, actor text)
	AS 'MODULE_PATHNAME', 'lakefs_reflog'
	LANGUAGE C STABLE;

COMMENT ON FUNCTION lakefs_reflog(text, text) IS
'the moves of a branch head, newest first (every branch when branch is NULL): operation '
'commit, merge, fast-forward, revert, cherry-pick, import, reset, create or delete; '
'old_head NULL for a create, new_head NULL for a delete (as git''s reflog)';

CREATE FUNCTION lakefs_restore_branch(repository text, branch text,
									  at timestamptz DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_restore_branch'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_restore_branch(text, text, timestamptz) IS
'recreate a deleted branch at its head of instant at (NULL: its head when last deleted); '
'returns that head';

CREATE FUNCTION lakefs_reset_branch(repository text, branch text, ref text,
									force boolean DEFAULT false)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_reset_branch'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_reset_branch(text, text, text, boolean) IS
'move the head of a branch to the commit of ref (as git reset --hard); a branch with '
'staged changes is refused unless force, which drops them; returns the new head';

-- history: the history index, the paths each commit changed against its first
-- parent (written with every commit, merge, revert, cherry-pick and import;
-- filled here once for the commits already there), and lakefs_log's filters.
CREATE TABLE lakefs.commit_paths (
	repo_id		integer NOT NULL REFERENCES lakefs.repositories ON DELETE CASCADE,
	path		text COLLATE "C" NOT NULL,
	generation	integer NOT NULL,
	commit_id	text COLLATE "C" NOT NULL,
	PRIMARY KEY (repo_id, path, generation, commit_id)
);
REVOKE ALL ON lakefs.commit_paths FROM PUBLIC;

CREATE FUNCTION lakefs.history_backfill() RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_history_backfill'
	LANGUAGE C VOLATILE;
SELECT lakefs.history_backfill();
DROP FUNCTION lakefs.history_backfill();

DROP FUNCTION lakefs_log(text, text, bigint);
CREATE FUNCTION lakefs_log(repository text, ref text, max_count bigint DEFAULT NULL,
						   paths text[] DEFAULT NULL, prefixes text[] DEFAULT NULL,
						   since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
						   first_parent boolean DEFAULT false, exclude text DEFAULT NULL)
	RETURNS TABLE (id text, parents text[], message text, committer text,
				   metadata jsonb, created_at timestamptz, generation integer)
	AS 'MODULE_PATHNAME', 'lakefs_log'
	LANGUAGE C STABLE;

COMMENT ON FUNCTION lakefs_log(text, text, bigint, text[], text[], timestamptz,
							   timestamptz, boolean, text) IS
'the history of ref, newest first, at most max_count commits: only those that changed one '
'of paths or a path under one of prefixes against their first parent (from the history '
'index), created within [since, until], along first parents only (first_parent), not '
'reachable from exclude (as git log exclude..ref)';

-- lakefs_revert and lakefs_cherry_pick: parent_number with git's -m meaning;
-- a merge commit without one is refused (22023), as git and lakeFS refuse it.
DROP FUNCTION lakefs_revert(text, text, text, integer);
CREATE FUNCTION lakefs_revert(repository text, branch text, commit_ref text,
							  parent_number integer DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_revert'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_revert(text, text, text, integer) IS
'commit on branch the inverse of the change of commit_ref against its parent number '
'parent_number (git''s revert -m; required for a merge commit); returns the new head';

DROP FUNCTION lakefs_cherry_pick(text, text, text);
CREATE FUNCTION lakefs_cherry_pick(repository text, branch text, commit_ref text,
								   parent_number integer DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_cherry_pick'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_cherry_pick(text, text, text, integer) IS
'commit on branch the change of commit_ref against its parent number parent_number '
'(git''s cherry-pick -m; required for a merge commit); returns the new head';

CREATE FUNCTION lakefs_set_default_branch(repository text, branch text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_set_default_branch'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_set_default_branch(text, text) IS
'make an existing branch the default branch of the repository (as lakeFS''s repository '
'settings); the default branch cannot be deleted';

CREATE FUNCTION lakefs_copy_object(repository text, src_ref text, src_path text,
								   dst_branch text, dst_path text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_copy_object'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_copy_object(text, text, text, text, text) IS
'stage at dst_path on dst_branch a shallow copy of src_path of src_ref: the same physical '
'object, no bytes copied (as lakeFS''s copy object); last_modified is now';

CREATE FUNCTION lakefs_update_object_metadata(repository text, branch text, path text,
											  metadata jsonb)
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_update_object_metadata'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_update_object_metadata(text, text, text, jsonb) IS
'stage the object at path on branch again with metadata (a JSON object) as its user '
'metadata, everything else unchanged (as lakeFS''s update of user metadata)';

-- lakefs_merge: squash (git's merge --squash: one parent, the source's changes)
DROP FUNCTION lakefs_merge(text, text, text, text, jsonb, text, boolean);
CREATE FUNCTION lakefs_merge(repository text, source_ref text, dest_branch text,
							 message text DEFAULT NULL, metadata jsonb DEFAULT '{}',
							 strategy text DEFAULT NULL,
							 fast_forward boolean DEFAULT true,
							 squash boolean DEFAULT false)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_merge'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_merge(text, text, text, text, jsonb, text, boolean, boolean) IS
'three-way merge of source_ref into dest_branch; returns the new head. strategy: '
'NULL (conflicts are an error, SQLSTATE LK001), source-wins or dest-wins; squash: one '
'commit whose only parent is the destination head (as git merge --squash)';
