/* extension/pg_lakefs--0.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pg_lakefs" to load this file. \quit

CREATE SCHEMA lakefs;

CREATE FUNCTION lakefs_version() RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_version'
	LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- ---------------------------------------------------------------------------
-- Catalog
--
-- Only the C catalog layer writes these tables. Every table carries the
-- repository id in its key, so the catalog can be sharded by repository.
-- Ranges and metaranges are immutable and content-addressed (SHA-256 of
-- their packed bytes); paths are ordered bytewise (COLLATE "C").
-- ---------------------------------------------------------------------------

CREATE TABLE lakefs.repositories (
	id					integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name				text COLLATE "C" NOT NULL UNIQUE,
	storage_namespace	text NOT NULL,
	default_branch		text COLLATE "C" NOT NULL,
	server_name			name,
	owner				name NOT NULL DEFAULT session_user,
	created_at			timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lakefs.ranges (
	repo_id		integer NOT NULL REFERENCES lakefs.repositories ON DELETE CASCADE,
	id			bytea NOT NULL,
	entries		integer NOT NULL,
	data		bytea NOT NULL,
	PRIMARY KEY (repo_id, id)
);
ALTER TABLE lakefs.ranges ALTER COLUMN data SET COMPRESSION lz4;

CREATE TABLE lakefs.metaranges (
	repo_id		integer NOT NULL REFERENCES lakefs.repositories ON DELETE CASCADE,
	id			bytea NOT NULL,
	ranges		integer NOT NULL,
	entries		bigint NOT NULL,
	data		bytea NOT NULL,
	PRIMARY KEY (repo_id, id)
);
ALTER TABLE lakefs.metaranges ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE lakefs.commits (
	repo_id			integer NOT NULL REFERENCES lakefs.repositories ON DELETE CASCADE,
	id				text COLLATE "C" NOT NULL,
	parents			text[] NOT NULL,
	metarange_id	bytea NOT NULL,
	message			text NOT NULL,
	committer		text NOT NULL,
	metadata		jsonb NOT NULL,
	created_at		timestamptz NOT NULL,
	generation		integer NOT NULL,
	PRIMARY KEY (repo_id, id),
	FOREIGN KEY (repo_id, metarange_id) REFERENCES lakefs.metaranges
);

CREATE TABLE lakefs.branches (
	repo_id		integer NOT NULL REFERENCES lakefs.repositories ON DELETE CASCADE,
	name		text COLLATE "C" NOT NULL,
	head		text COLLATE "C" NOT NULL,
	protected	boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (repo_id, name),
	FOREIGN KEY (repo_id, head) REFERENCES lakefs.commits
);

CREATE TABLE lakefs.tags (
	repo_id		integer NOT NULL REFERENCES lakefs.repositories ON DELETE CASCADE,
	name		text COLLATE "C" NOT NULL,
	commit_id	text COLLATE "C" NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (repo_id, name),
	FOREIGN KEY (repo_id, commit_id) REFERENCES lakefs.commits
);

-- Uncommitted changes of a branch: an upsert, or a tombstone (a deletion).
-- Removed with the branch by the C code (no foreign key: bulk staging speed).
CREATE TABLE lakefs.staging (
	repo_id				integer NOT NULL,
	branch				text COLLATE "C" NOT NULL,
	path				text COLLATE "C" NOT NULL,
	tombstone			boolean NOT NULL DEFAULT false,
	physical_address	text,
	full_address		boolean NOT NULL DEFAULT false,
	size				bigint,
	checksum			text,
	last_modified		timestamptz,
	content_type		text,
	metadata			jsonb,
	PRIMARY KEY (repo_id, branch, path),
	CONSTRAINT staging_path_valid CHECK (octet_length(path) BETWEEN 1 AND 1024),
	CONSTRAINT staging_entry_complete CHECK
		(tombstone OR (physical_address IS NOT NULL AND size >= 0))
);

REVOKE ALL ON lakefs.repositories, lakefs.ranges, lakefs.metaranges, lakefs.commits,
	lakefs.branches, lakefs.tags, lakefs.staging FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Views for users
-- ---------------------------------------------------------------------------

CREATE VIEW lakefs_repositories AS
	SELECT r.name, r.storage_namespace, r.default_branch, r.server_name AS server,
		   r.owner, r.created_at
	FROM lakefs.repositories r;

CREATE VIEW lakefs_branches AS
	SELECT r.name AS repository, b.name AS branch, b.head AS head_commit,
		   c.message AS head_message, c.metadata AS head_metadata,
		   c.created_at AS head_created_at, b.protected, b.created_at,
		   EXISTS (SELECT 1 FROM lakefs.staging s
				   WHERE s.repo_id = b.repo_id AND s.branch = b.name) AS has_staged_changes
	FROM lakefs.branches b
	JOIN lakefs.repositories r ON r.id = b.repo_id
	JOIN lakefs.commits c ON c.repo_id = b.repo_id AND c.id = b.head;

CREATE VIEW lakefs_tags AS
	SELECT r.name AS repository, t.name AS tag, t.commit_id, t.created_at
	FROM lakefs.tags t
	JOIN lakefs.repositories r ON r.id = t.repo_id;

CREATE VIEW lakefs_commits AS
	SELECT r.name AS repository, c.id, c.parents, c.message, c.committer, c.metadata,
		   c.created_at, c.generation, m.entries AS objects
	FROM lakefs.commits c
	JOIN lakefs.repositories r ON r.id = c.repo_id
	JOIN lakefs.metaranges m ON m.repo_id = c.repo_id AND m.id = c.metarange_id;

CREATE VIEW lakefs_staged_changes AS
	SELECT r.name AS repository, s.branch, s.path,
		   CASE WHEN s.tombstone THEN 'delete' ELSE 'upsert' END AS change,
		   s.physical_address, s.size, s.checksum, s.last_modified, s.content_type,
		   s.metadata
	FROM lakefs.staging s
	JOIN lakefs.repositories r ON r.id = s.repo_id;

-- ---------------------------------------------------------------------------
-- Repositories, branches, tags, refs
-- ---------------------------------------------------------------------------

CREATE FUNCTION lakefs_create_repository(name text, storage_namespace text,
										 default_branch text DEFAULT 'main',
										 server name DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_create_repository'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_delete_repository(name text) RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_delete_repository'
	LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION lakefs_create_branch(repository text, branch text,
									 source_ref text DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_create_branch'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_delete_branch(repository text, branch text) RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_delete_branch'
	LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION lakefs_create_tag(repository text, tag text, ref text) RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_create_tag'
	LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION lakefs_delete_tag(repository text, tag text) RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_delete_tag'
	LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION lakefs_resolve_ref(repository text, ref text) RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_resolve_ref'
	LANGUAGE C STRICT STABLE;

-- ---------------------------------------------------------------------------
-- Staging
-- ---------------------------------------------------------------------------

CREATE FUNCTION lakefs_stage_object(repository text, branch text, path text,
									physical_address text, size bigint,
									checksum text,
									content_type text DEFAULT NULL,
									metadata jsonb DEFAULT NULL,
									last_modified timestamptz DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_stage_object'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_stage_objects(repository text, branch text, query text)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'lakefs_stage_objects'
	LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION lakefs_stage_objects(text, text, text) IS
'stage every row of a query with columns path, physical_address, size, checksum '
'and optionally content_type, metadata, last_modified';

CREATE FUNCTION lakefs_delete_object(repository text, branch text, path text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_delete_object'
	LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION lakefs_reset(repository text, branch text, prefix text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'lakefs_reset'
	LANGUAGE C VOLATILE;

-- ---------------------------------------------------------------------------
-- Commits and reading
-- ---------------------------------------------------------------------------

CREATE FUNCTION lakefs_commit(repository text, branch text, message text,
							  metadata jsonb DEFAULT '{}',
							  allow_empty boolean DEFAULT false)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_commit'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_log(repository text, ref text, max_count bigint DEFAULT NULL)
	RETURNS TABLE (id text, parents text[], message text, committer text,
				   metadata jsonb, created_at timestamptz, generation integer)
	AS 'MODULE_PATHNAME', 'lakefs_log'
	LANGUAGE C STABLE;

CREATE FUNCTION lakefs_ls(repository text, ref text, prefix text DEFAULT '',
						  delimiter text DEFAULT NULL)
	RETURNS TABLE (path text, path_type text, physical_address text, size bigint,
				   checksum text, last_modified timestamptz, content_type text,
				   metadata jsonb)
	AS 'MODULE_PATHNAME', 'lakefs_ls'
	LANGUAGE C STABLE;

CREATE FUNCTION lakefs_stat(repository text, ref text, path text,
							OUT path text, OUT path_type text,
							OUT physical_address text, OUT size bigint,
							OUT checksum text, OUT last_modified timestamptz,
							OUT content_type text, OUT metadata jsonb)
	AS 'MODULE_PATHNAME', 'lakefs_stat'
	LANGUAGE C STRICT STABLE;

CREATE FUNCTION lakefs_debug_counters() RETURNS bigint
	AS 'MODULE_PATHNAME', 'lakefs_debug_counters'
	LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION lakefs_debug_counters() IS
'ranges this backend has fetched and decoded so far (to check that unchanged ranges are skipped)';

-- ---------------------------------------------------------------------------
-- Diff and merge
--
-- A ref naming a branch stands for its committed head (staged changes are
-- shown by lakefs_diff_uncommitted). The diff functions stream: each row is
-- computed when it is fetched. A merge conflict raises SQLSTATE LK001.
-- ---------------------------------------------------------------------------

CREATE FUNCTION lakefs_diff(repository text, left_ref text, right_ref text,
							prefix text DEFAULT '')
	RETURNS TABLE (change text, path text, left_address text, right_address text,
				   left_size bigint, right_size bigint, left_checksum text,
				   right_checksum text)
	AS 'MODULE_PATHNAME', 'lakefs_diff'
	LANGUAGE C STRICT STABLE;

CREATE FUNCTION lakefs_diff_uncommitted(repository text, branch text,
										prefix text DEFAULT '')
	RETURNS TABLE (change text, path text, left_address text, right_address text,
				   left_size bigint, right_size bigint, left_checksum text,
				   right_checksum text)
	AS 'MODULE_PATHNAME', 'lakefs_diff_uncommitted'
	LANGUAGE C STRICT STABLE;

CREATE FUNCTION lakefs_merge(repository text, source_ref text, dest_branch text,
							 message text DEFAULT NULL, metadata jsonb DEFAULT '{}',
							 strategy text DEFAULT NULL,
							 fast_forward boolean DEFAULT true)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_merge'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_merge(text, text, text, text, jsonb, text, boolean) IS
'three-way merge of source_ref into dest_branch; returns the new head. strategy: '
'NULL (conflicts are an error, SQLSTATE LK001), source-wins or dest-wins';

CREATE FUNCTION lakefs_merge_conflicts(repository text, source_ref text, dest_branch text)
	RETURNS TABLE (path text, base_address text, source_address text,
				   dest_address text)
	AS 'MODULE_PATHNAME', 'lakefs_merge_conflicts'
	LANGUAGE C STRICT STABLE;

CREATE FUNCTION lakefs_revert(repository text, branch text, commit_ref text,
							  parent_number integer DEFAULT 1)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_revert'
	LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION lakefs_cherry_pick(repository text, branch text, commit_ref text)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_cherry_pick'
	LANGUAGE C STRICT VOLATILE;
