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

-- Uncommitted changes of a branch. Single changes are rows of lakefs.staging
-- (an upsert, or a tombstone for a deletion); bulk changes are sorted runs of
-- packed entries in lakefs.staging_runs. For a path staged more than once the
-- highest seq wins. Both are removed with the branch by the C code.
CREATE SEQUENCE lakefs.staging_seq;

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
	seq					bigint NOT NULL,
	PRIMARY KEY (repo_id, branch, path),
	CONSTRAINT staging_path_valid CHECK (octet_length(path) BETWEEN 1 AND 1024),
	CONSTRAINT staging_entry_complete CHECK
		(tombstone OR (physical_address IS NOT NULL AND size >= 0))
);

CREATE TABLE lakefs.staging_runs (
	repo_id		integer NOT NULL,
	branch		text COLLATE "C" NOT NULL,
	seq			bigint NOT NULL,
	part		integer NOT NULL,
	min_path	text COLLATE "C" NOT NULL,
	max_path	text COLLATE "C" NOT NULL,
	entries		integer NOT NULL,
	data		bytea NOT NULL,
	PRIMARY KEY (repo_id, branch, seq, part)
);
ALTER TABLE lakefs.staging_runs ALTER COLUMN data SET COMPRESSION lz4;

REVOKE ALL ON lakefs.repositories, lakefs.ranges, lakefs.metaranges, lakefs.commits,
	lakefs.branches, lakefs.tags, lakefs.staging, lakefs.staging_runs FROM PUBLIC;

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
		   (EXISTS (SELECT 1 FROM lakefs.staging s
					WHERE s.repo_id = b.repo_id AND s.branch = b.name) OR
			EXISTS (SELECT 1 FROM lakefs.staging_runs s
					WHERE s.repo_id = b.repo_id AND s.branch = b.name)) AS has_staged_changes
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

-- One entry of a tree as the listing functions return it; a common prefix
-- (lakefs_ls with a delimiter) has only path and path_type.
CREATE TYPE lakefs_entry AS (
	path				text,
	path_type			text,
	physical_address	text,
	size				bigint,
	checksum			text,
	last_modified		timestamptz,
	content_type		text,
	metadata			jsonb
);

CREATE FUNCTION lakefs_ls(repository text, ref text, prefix text DEFAULT '',
						  delimiter text DEFAULT NULL)
	RETURNS SETOF lakefs_entry
	AS 'MODULE_PATHNAME', 'lakefs_ls'
	LANGUAGE C STABLE;

CREATE FUNCTION lakefs_stat(repository text, ref text, path text)
	RETURNS lakefs_entry
	AS 'MODULE_PATHNAME', 'lakefs_stat'
	LANGUAGE C STRICT STABLE;

CREATE FUNCTION lakefs_debug_counters() RETURNS bigint
	AS 'MODULE_PATHNAME', 'lakefs_debug_counters'
	LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION lakefs_debug_counters() IS
'ranges this backend has fetched and decoded so far (to check that unchanged ranges are skipped)';

CREATE FUNCTION lakefs_ranges(repository text, ref text)
	RETURNS TABLE (id text, min_path text, max_path text, entries bigint, bytes bigint)
	AS 'MODULE_PATHNAME', 'lakefs_ranges'
	LANGUAGE C STRICT STABLE;

COMMENT ON FUNCTION lakefs_ranges(text, text) IS
'the ranges that make up the committed tree of a ref, in path order';


CREATE FUNCTION lakefs_staged(repository text, branch text)
	RETURNS TABLE (path text, change text, physical_address text, size bigint,
				   checksum text, last_modified timestamptz, content_type text,
				   metadata jsonb)
	AS 'MODULE_PATHNAME', 'lakefs_staged'
	LANGUAGE C STRICT STABLE;

COMMENT ON FUNCTION lakefs_staged(text, text) IS
'the uncommitted changes of a branch, in path order: upserts and deletes';

CREATE VIEW lakefs_staged_changes AS
	SELECT r.name AS repository, b.name AS branch, s.*
	FROM lakefs.branches b
	JOIN lakefs.repositories r ON r.id = b.repo_id,
	LATERAL lakefs_staged(r.name, b.name) s;
-- Object store (S3)

CREATE FUNCTION lakefs_s3_fdw_handler() RETURNS fdw_handler
	AS 'MODULE_PATHNAME', 'lakefs_s3_fdw_handler'
	LANGUAGE C STRICT;

CREATE FUNCTION lakefs_s3_fdw_validator(text[], oid) RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_s3_fdw_validator'
	LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER lakefs_s3
	HANDLER lakefs_s3_fdw_handler
	VALIDATOR lakefs_s3_fdw_validator;

-- List the objects under an s3:// or local:// prefix, one page at a time.
-- With a delimiter, common prefixes come back with NULL size/etag/last_modified.
CREATE FUNCTION lakefs_list_objects(server text, uri text, delimiter text DEFAULT NULL)
	RETURNS TABLE (key text, size bigint, etag text, last_modified timestamptz)
	AS 'MODULE_PATHNAME', 'lakefs_list_objects'
	LANGUAGE C VOLATILE ROWS 1000;

-- A presigned URL (query auth) for GET, PUT or HEAD of one object. No network.
CREATE FUNCTION lakefs_s3_presign(server text, method text, uri text,
								  expires interval, at timestamptz DEFAULT now())
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_s3_presign'
	LANGUAGE C STABLE;

-- Low-level object calls by full address (no versioning).
CREATE FUNCTION lakefs_s3_put(server text, uri text, data bytea,
							  content_type text DEFAULT NULL,
							  OUT etag text, OUT size bigint)
	AS 'MODULE_PATHNAME', 'lakefs_s3_put'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_s3_get(server text, uri text, "offset" bigint DEFAULT 0,
							  length bigint DEFAULT NULL)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'lakefs_s3_get'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_s3_stat(server text, uri text,
							   OUT size bigint, OUT etag text,
							   OUT last_modified timestamptz)
	AS 'MODULE_PATHNAME', 'lakefs_s3_stat'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_s3_delete(server text, uri text) RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_s3_delete'
	LANGUAGE C VOLATILE;

-- Multi-object delete (batches of up to 1000 keys per bucket); returns the count given.
CREATE FUNCTION lakefs_s3_delete(server text, uris text[]) RETURNS bigint
	AS 'MODULE_PATHNAME', 'lakefs_s3_delete_many'
	LANGUAGE C VOLATILE;

-- Test and demo convenience.
CREATE FUNCTION lakefs_s3_create_bucket(server text, bucket text) RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_s3_create_bucket'
	LANGUAGE C VOLATILE;

-- ---------------------------------------------------------------------------
-- Objects by repository, ref and path
-- ---------------------------------------------------------------------------

CREATE FUNCTION lakefs_put_object(repository text, branch text, path text, data bytea,
								  content_type text DEFAULT NULL,
								  metadata jsonb DEFAULT NULL,
								  OUT physical_address text, OUT size bigint,
								  OUT checksum text)
	AS 'MODULE_PATHNAME', 'lakefs_put_object'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_get_object(repository text, ref text, path text,
								  "offset" bigint DEFAULT 0, length bigint DEFAULT NULL)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'lakefs_get_object'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_stat_object(repository text, ref text, path text)
	RETURNS lakefs_entry
	AS 'MODULE_PATHNAME', 'lakefs_stat'
	LANGUAGE C STRICT STABLE;

CREATE FUNCTION lakefs_presign(repository text, ref text, path text,
							   expires interval DEFAULT '15 minutes')
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_presign'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_upload_url(repository text, branch text, path text,
								  expires interval DEFAULT '15 minutes',
								  OUT physical_address text, OUT url text)
	AS 'MODULE_PATHNAME', 'lakefs_upload_url'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_link_object(repository text, branch text, path text,
								   physical_address text,
								   content_type text DEFAULT NULL,
								   metadata jsonb DEFAULT NULL,
								   OUT physical_address text, OUT size bigint,
								   OUT checksum text)
	AS 'MODULE_PATHNAME', 'lakefs_link_object'
	LANGUAGE C VOLATILE;

-- ---------------------------------------------------------------------------
-- Zero-copy import
-- ---------------------------------------------------------------------------

CREATE FUNCTION lakefs_import(repository text, branch text, sources text[],
							  destination text DEFAULT '',
							  message text DEFAULT 'import objects',
							  metadata jsonb DEFAULT '{}')
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_import'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_import(text, text, text[], text, text, jsonb) IS
'commit the objects listed under each source (s3://bucket/prefix or local://prefix) '
'without copying them; keys relative to the source prefix''s last / land under destination';
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
