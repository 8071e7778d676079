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

-- Documentation: every function and view says what it does (\df+ and \dv+ show
-- it); shapes, units and SQLSTATEs are in the README.
COMMENT ON FUNCTION lakefs_version() IS
'the version of the loaded pg_lakefs library';
COMMENT ON FUNCTION lakefs_create_repository(text, text, text, name) IS
'create a repository on a storage namespace (s3://bucket/prefix with a lakefs_s3 server, or '
'local://name) with its default branch on an empty first commit; returns that commit id';
COMMENT ON FUNCTION lakefs_delete_repository(text) IS
'delete a repository and its whole catalog (branches, tags, commits, ranges, staging); '
'objects in the store are kept';
COMMENT ON FUNCTION lakefs_create_branch(text, text, text) IS
'create a branch at a ref (default: the default branch), O(1); returns its head commit id';
COMMENT ON FUNCTION lakefs_delete_branch(text, text) IS
'delete a branch and its staged changes (not the default branch)';
COMMENT ON FUNCTION lakefs_create_tag(text, text, text) IS
'create a tag at a ref; returns the tagged commit id';
COMMENT ON FUNCTION lakefs_delete_tag(text, text) IS
'delete a tag';
COMMENT ON FUNCTION lakefs_resolve_ref(text, text) IS
'the commit id a ref expression names (branch, tag, commit id or prefix, ~N, ^N, branch@)';
COMMENT ON FUNCTION lakefs_stage_object(text, text, text, text, bigint, text, text, jsonb, timestamptz) IS
'stage one entry (path -> physical address, size in bytes, checksum) on a branch, without I/O';
COMMENT ON FUNCTION lakefs_delete_object(text, text, text) IS
'stage the deletion (a tombstone) of a path on a branch';
COMMENT ON FUNCTION lakefs_reset(text, text, text) IS
'drop a branch''s staged changes (under a prefix, or all); returns how many were dropped';
COMMENT ON FUNCTION lakefs_commit(text, text, text, jsonb, boolean) IS
'commit a branch''s staged changes with a message and JSON-object metadata; returns the commit id';
COMMENT ON FUNCTION lakefs_log(text, text, bigint) IS
'the history of a ref, newest first (every commit after all of its descendants)';
COMMENT ON FUNCTION lakefs_ls(text, text, text, text) IS
'the entries of a ref under a prefix, in path order; with a delimiter, common prefixes as '
'rows of path_type ''common_prefix'' (as S3 ListObjectsV2)';
COMMENT ON FUNCTION lakefs_stat(text, text, text) IS
'the entry at one path of a ref';
COMMENT ON FUNCTION lakefs_s3_fdw_handler() IS
'handler of the lakefs_s3 foreign data wrapper (a bucket listing as a foreign table)';
COMMENT ON FUNCTION lakefs_s3_fdw_validator(text[], oid) IS
'validator of the lakefs_s3 options of servers, user mappings and foreign tables';
COMMENT ON FUNCTION lakefs_list_objects(text, text, text) IS
'list the objects under an s3:// or local:// prefix, streaming (ListObjectsV2 pages)';
COMMENT ON FUNCTION lakefs_s3_presign(text, text, text, interval, timestamptz) IS
'a SigV4 presigned URL (GET, PUT or HEAD) for an object, valid 1 second to 7 days';
COMMENT ON FUNCTION lakefs_s3_put(text, text, bytea, text) IS
'write bytes to an object address (multipart above pg_lakefs.multipart_threshold); returns etag and size';
COMMENT ON FUNCTION lakefs_s3_get(text, text, bigint, bigint) IS
'read an object''s bytes, or a range of them (offset and length in bytes)';
COMMENT ON FUNCTION lakefs_s3_stat(text, text) IS
'an object''s size in bytes, ETag and last-modified time (HEAD)';
COMMENT ON FUNCTION lakefs_s3_delete(text, text) IS
'delete one object address';
COMMENT ON FUNCTION lakefs_s3_delete(text, text[]) IS
'delete object addresses in one bucket (DeleteObjects, 1,000 a request); returns how many were given';
COMMENT ON FUNCTION lakefs_s3_create_bucket(text, text) IS
'create a bucket on a lakefs_s3 server';
COMMENT ON FUNCTION lakefs_put_object(text, text, text, bytea, text, jsonb) IS
'upload bytes to the repository''s namespace and stage them at a path of a branch; returns '
'(physical_address, size, checksum)';
COMMENT ON FUNCTION lakefs_get_object(text, text, text, bigint, bigint) IS
'the bytes of the object at a path of a ref (or a range of them), verified against the entry';
COMMENT ON FUNCTION lakefs_stat_object(text, text, text) IS
'the entry at a path of a ref, for an object-store workflow (same row as lakefs_stat)';
COMMENT ON FUNCTION lakefs_presign(text, text, text, interval) IS
'a presigned GET URL for the object at a path of a ref (default 15 minutes)';
COMMENT ON FUNCTION lakefs_upload_url(text, text, text, interval) IS
'a fresh physical address and a presigned PUT URL for it; upload, then lakefs_link_object';
COMMENT ON FUNCTION lakefs_link_object(text, text, text, text, text, jsonb) IS
'stage an uploaded object (HEAD for its size and ETag) at a path of a branch';
COMMENT ON FUNCTION lakefs_diff(text, text, text, text) IS
'the changes from left_ref to right_ref under a prefix (added, removed, changed), streaming; '
'equal ranges are skipped unread';
COMMENT ON FUNCTION lakefs_diff_uncommitted(text, text, text) IS
'a branch''s staged changes against its committed head';
COMMENT ON FUNCTION lakefs_merge_conflicts(text, text, text) IS
'the paths that merging source_ref into dest_branch would find in conflict';
COMMENT ON FUNCTION lakefs_revert(text, text, text, integer) IS
'commit on a branch the inverse of a commit''s change (against parent_number); as lakeFS''s revert';
COMMENT ON FUNCTION lakefs_cherry_pick(text, text, text) IS
'commit on a branch the change of another commit (against its first parent); as git cherry-pick';
COMMENT ON VIEW lakefs_repositories IS
'the repositories: name, storage namespace, default branch, server, owner, created_at';
COMMENT ON VIEW lakefs_branches IS
'the branches with their head commit''s message and metadata and whether they have staged changes';
COMMENT ON VIEW lakefs_tags IS
'the tags and the commits they name';
COMMENT ON VIEW lakefs_commits IS
'every commit of every repository, with its number of objects';
COMMENT ON VIEW lakefs_staged_changes IS
'the staged (uncommitted) changes of every branch';

-- Gateway: paged listings and access keys for the S3 gateway (pg_lakefs_gateway).
-- lakefs_ls gains after (exclusive start path) and amount (page size); the C
-- function still answers the 0.1.0 four-argument declaration (PG_NARGS).
DROP FUNCTION lakefs_ls(text, text, text, text);
CREATE FUNCTION lakefs_ls(repository text, ref text, prefix text DEFAULT '',
						  delimiter text DEFAULT NULL, after text DEFAULT NULL,
						  amount bigint DEFAULT NULL)
	RETURNS SETOF lakefs_entry
	AS 'MODULE_PATHNAME', 'lakefs_ls'
	LANGUAGE C STABLE;

COMMENT ON FUNCTION lakefs_ls(text, text, text, text, text, bigint) IS
'entries under prefix at ref in path order; with a delimiter, one common_prefix row per '
'folded directory (as S3 ListObjects); rows at or before after are skipped by a seek and '
'at most amount rows are returned, so each page costs O(page)';

-- Access keys: S3 credentials that stand for a Postgres role. The secret is kept
-- where only the extension owner reads it (its own schema, never granted: the
-- grants on "ALL TABLES IN SCHEMA lakefs" do not reach it); SigV4 needs the
-- secret itself to derive signing keys, so it is stored as given out, and the
-- signing keys are derived inside the database (lakefs_verify_signature).
CREATE SCHEMA lakefs_keys;
REVOKE ALL ON SCHEMA lakefs_keys FROM PUBLIC;
CREATE TABLE lakefs_keys.access_keys (
	access_key_id		text COLLATE "C" PRIMARY KEY,
	secret_access_key	text NOT NULL,
	role_oid			oid NOT NULL,
	created_at			timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON lakefs_keys.access_keys FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('lakefs_keys.access_keys', '');

CREATE FUNCTION lakefs_create_access_key(role name DEFAULT current_user,
										 OUT access_key_id text,
										 OUT secret_access_key text)
	AS 'MODULE_PATHNAME', 'lakefs_create_access_key'
	LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION lakefs_create_access_key(name) IS
'a new S3 access key for role (the caller must be a member of it); the secret is shown '
'only in this result';

CREATE FUNCTION lakefs_delete_access_key(access_key_id text) RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_delete_access_key'
	LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION lakefs_delete_access_key(text) IS
'revoke an S3 access key (the caller must be a member of its role)';

CREATE FUNCTION lakefs_verify_signature(access_key_id text, date text, region text,
										service text, string_to_sign text,
										signature text,
										OUT found boolean, OUT role name,
										OUT signing_key bytea)
	AS 'MODULE_PATHNAME', 'lakefs_verify_signature'
	LANGUAGE C STRICT VOLATILE;
REVOKE EXECUTE ON FUNCTION lakefs_verify_signature(text, text, text, text, text, text)
	FROM PUBLIC;

COMMENT ON FUNCTION lakefs_verify_signature(text, text, text, text, text, text) IS
'SigV4 check for the S3 gateway: derive the day''s signing key of the access key inside '
'the database and compare HMAC(string_to_sign); returns the key''s role and, only when '
'the signature matches, the day-scoped signing key (for aws-chunked chunk signatures)';

CREATE VIEW lakefs_access_keys AS
	SELECT k.access_key_id, r.rolname AS role, k.created_at
	FROM lakefs_keys.access_keys k
	JOIN pg_roles r ON r.oid = k.role_oid
	WHERE pg_has_role(k.role_oid, 'MEMBER');
GRANT SELECT ON lakefs_access_keys TO PUBLIC;

CREATE FUNCTION lakefs_multipart_part_url(repository text, branch text, upload_id text,
										  part_number integer, method text DEFAULT 'PUT',
										  expires interval DEFAULT '15 minutes')
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_multipart_part_url'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_multipart_part_url(text, text, text, integer, text, interval) IS
'presigned GET, PUT or HEAD URL of part part_number of the S3 gateway''s multipart upload '
'upload_id (the object <namespace>/_lakefs/multipart/<upload_id>/<part>); checks the branch '
'as a write does';
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
-- governance: who may do what. The catalog behind one door (every catalog
-- statement runs as the extension owner inside the C catalog layer; users get
-- EXECUTE on the functions and SELECT on views that show only what they may
-- read), per-repository privileges, protected branches and hooks.

CREATE TABLE lakefs.grants (
	repo_id		integer NOT NULL REFERENCES lakefs.repositories ON DELETE CASCADE,
	grantee		name NOT NULL,
	privilege	text NOT NULL CHECK (privilege IN ('read', 'write', 'admin')),
	branches	text COLLATE "C" NOT NULL DEFAULT '*',
	granted_by	name NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (repo_id, grantee, privilege, branches)
);

CREATE TABLE lakefs.branch_protection (
	repo_id		integer NOT NULL REFERENCES lakefs.repositories ON DELETE CASCADE,
	pattern		text COLLATE "C" NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (repo_id, pattern)
);

-- function: the hook's signature as text (format_procedure_qualified), looked
-- up when the hook runs, so the table holds no reg* column (pg_upgrade-safe)
CREATE TABLE lakefs.hooks (
	repo_id		integer NOT NULL REFERENCES lakefs.repositories ON DELETE CASCADE,
	id			bigint GENERATED ALWAYS AS IDENTITY,
	event		text NOT NULL CHECK (event IN ('pre-commit', 'post-commit', 'pre-merge',
				'post-merge', 'pre-create-branch', 'post-create-branch', 'pre-delete-branch',
				'post-delete-branch', 'pre-create-tag', 'post-create-tag')),
	function	text NOT NULL,
	branches	text COLLATE "C" NOT NULL DEFAULT '*',
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (repo_id, id),
	UNIQUE (repo_id, event, function, branches)
);


-- The administrators of every repository. Roles are cluster-wide: another
-- database may have created it; a non-superuser installer may not create it.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lakefs_admin') THEN
		CREATE ROLE lakefs_admin NOLOGIN;
	END IF;
EXCEPTION WHEN insufficient_privilege THEN
	RAISE NOTICE 'role lakefs_admin not created: %', SQLERRM;
END
$$;

-- 0.1.0 told administrators to grant table privileges on lakefs.* to their
-- users. They keep working, now through the functions: a role that could
-- write lakefs.branches gets write on every existing repository, one that
-- could read it gets read; then every table privilege goes (one door).
INSERT INTO lakefs.grants (repo_id, grantee, privilege, branches, granted_by)
SELECT r.id, g.grantee, g.privilege, '*', current_user
  FROM lakefs.repositories r,
	   (SELECT a.grantee::regrole::name AS grantee,
			   CASE WHEN bool_or(a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE'))
					THEN 'write' ELSE 'read' END AS privilege
		  FROM pg_class c, aclexplode(c.relacl) a
		 WHERE c.oid = 'lakefs.branches'::regclass AND a.grantee <> 0
		   AND a.grantee <> c.relowner
		 GROUP BY a.grantee) g
 WHERE g.grantee::text <> r.owner::text
ON CONFLICT DO NOTHING;

DO $$
DECLARE
	rel regclass;
	who oid;
BEGIN
	FOR rel, who IN
		SELECT DISTINCT c.oid::regclass, a.grantee
		  FROM pg_class c, aclexplode(c.relacl) a
		 WHERE c.relnamespace = 'lakefs'::regnamespace AND a.grantee <> c.relowner
	LOOP
		IF who = 0 THEN
			EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', rel);
		ELSE
			EXECUTE format('REVOKE ALL ON %s FROM %I', rel, who::regrole::text);
		END IF;
	END LOOP;
END
$$;
-- every relation's ACL explicit (owner only), however it got there
REVOKE ALL ON ALL TABLES IN SCHEMA lakefs FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA lakefs FROM PUBLIC;


-- the SQL face of governance (src/governance.c); each checks its arguments
CREATE FUNCTION lakefs_grant(repository text, role text, privilege text,
							 branches text DEFAULT '*')
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_grant'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_revoke(repository text, role text, privilege text,
							  branches text DEFAULT '*')
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_revoke'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_has_privilege(repository text, privilege text,
									 branch text DEFAULT NULL)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'lakefs_has_privilege'
	LANGUAGE C STABLE;

CREATE FUNCTION lakefs_protect_branch(repository text, pattern text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_protect_branch'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_unprotect_branch(repository text, pattern text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_unprotect_branch'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_branch_protected(repository text, branch text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'lakefs_branch_protected'
	LANGUAGE C STABLE;

CREATE FUNCTION lakefs_add_hook(repository text, event text, function regprocedure,
								branches text DEFAULT '*')
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_add_hook'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_drop_hook(repository text, event text, function regprocedure)
	RETURNS void
	AS 'MODULE_PATHNAME', 'lakefs_drop_hook'
	LANGUAGE C VOLATILE;

CREATE FUNCTION lakefs_pending_changes()
	RETURNS TABLE (change text, path text, left_address text, right_address text,
				   left_size bigint, right_size bigint, left_checksum text,
				   right_checksum text)
	AS 'MODULE_PATHNAME', 'lakefs_pending_changes'
	LANGUAGE C STABLE;

-- Views show only the repositories the caller may read. security_barrier:
-- no function of the caller's sees a row before the privilege filter has.
CREATE OR REPLACE VIEW lakefs_repositories WITH (security_barrier) AS
	SELECT r.name, r.storage_namespace, r.default_branch, r.server_name AS server,
		   r.owner, r.created_at
	FROM lakefs.repositories r
	WHERE lakefs_has_privilege(r.name, 'read');

CREATE OR REPLACE VIEW lakefs_branches WITH (security_barrier) AS
	SELECT r.name AS repository, b.name AS branch, b.head AS head_commit,
		   c.message AS head_message, c.metadata AS head_metadata,
		   c.created_at AS head_created_at,
		   lakefs_branch_protected(r.name, b.name) AS protected, b.created_at,
		   (EXISTS (SELECT 1 FROM lakefs.staging s
					WHERE s.repo_id = b.repo_id AND s.branch = b.name) OR
			EXISTS (SELECT 1 FROM lakefs.staging_runs s
					WHERE s.repo_id = b.repo_id AND s.branch = b.name)) AS has_staged_changes
	FROM lakefs.branches b
	JOIN lakefs.repositories r ON r.id = b.repo_id
	JOIN lakefs.commits c ON c.repo_id = b.repo_id AND c.id = b.head
	WHERE lakefs_has_privilege(r.name, 'read');

CREATE OR REPLACE VIEW lakefs_tags WITH (security_barrier) AS
	SELECT r.name AS repository, t.name AS tag, t.commit_id, t.created_at
	FROM lakefs.tags t
	JOIN lakefs.repositories r ON r.id = t.repo_id
	WHERE lakefs_has_privilege(r.name, 'read');

CREATE OR REPLACE VIEW lakefs_commits WITH (security_barrier) AS
	SELECT r.name AS repository, c.id, c.parents, c.message, c.committer, c.metadata,
		   c.created_at, c.generation, m.entries AS objects
	FROM lakefs.commits c
	JOIN lakefs.repositories r ON r.id = c.repo_id
	JOIN lakefs.metaranges m ON m.repo_id = c.repo_id AND m.id = c.metarange_id
	WHERE lakefs_has_privilege(r.name, 'read');

-- the filter in a subquery kept apart (OFFSET 0), so that lakefs_staged only
-- ever sees readable branches
CREATE OR REPLACE VIEW lakefs_staged_changes WITH (security_barrier) AS
	SELECT b.repository, b.branch, s.*
	FROM (SELECT r.name AS repository, b.name AS branch
			FROM lakefs.branches b
			JOIN lakefs.repositories r ON r.id = b.repo_id
		   WHERE lakefs_has_privilege(r.name, 'read') OFFSET 0) b,
	LATERAL lakefs_staged(b.repository, b.branch) s;

CREATE VIEW lakefs_grants WITH (security_barrier) AS
	SELECT r.name AS repository, g.grantee AS role, g.privilege, g.branches,
		   g.granted_by, g.created_at
	FROM lakefs.grants g
	JOIN lakefs.repositories r ON r.id = g.repo_id
	WHERE lakefs_has_privilege(r.name, 'read');

CREATE VIEW lakefs_branch_protection WITH (security_barrier) AS
	SELECT r.name AS repository, p.pattern, p.created_at
	FROM lakefs.branch_protection p
	JOIN lakefs.repositories r ON r.id = p.repo_id
	WHERE lakefs_has_privilege(r.name, 'read');

CREATE VIEW lakefs_hooks WITH (security_barrier) AS
	SELECT r.name AS repository, h.event, h.function, h.branches, h.created_at
	FROM lakefs.hooks h
	JOIN lakefs.repositories r ON r.id = h.repo_id
	WHERE lakefs_has_privilege(r.name, 'read');

GRANT SELECT ON lakefs_repositories, lakefs_branches, lakefs_tags, lakefs_commits,
	lakefs_staged_changes, lakefs_grants, lakefs_branch_protection, lakefs_hooks TO PUBLIC;

COMMENT ON FUNCTION lakefs_grant(text, text, text, text) IS
'give a role read, write or admin on a repository (admin needed); a write grant may be '
'limited to branches matching a glob (branches => ''exp-*'')';
COMMENT ON FUNCTION lakefs_revoke(text, text, text, text) IS
'take back a grant made by lakefs_grant (same role, privilege and branches)';
COMMENT ON FUNCTION lakefs_has_privilege(text, text, text) IS
'whether the current role has read, write (on a branch) or admin on a repository; '
'false for an unknown repository';
COMMENT ON FUNCTION lakefs_protect_branch(text, text) IS
'protect the branches matching a glob: no staging, put, delete, reset, import, commit, '
'cherry-pick or deletion there; merges and reverts allowed (as lakeFS''s branch protection)';
COMMENT ON FUNCTION lakefs_unprotect_branch(text, text) IS
'remove a branch protection rule';
COMMENT ON FUNCTION lakefs_branch_protected(text, text) IS
'whether a protection rule matches the branch';
COMMENT ON FUNCTION lakefs_add_hook(text, text, regprocedure, text) IS
'run a function (event jsonb) RETURNS void on pre-/post- commit, merge, create-branch, '
'delete-branch or create-tag of matching branches, in the same transaction, with the '
'caller''s rights; a pre-hook that raises aborts the operation';
COMMENT ON FUNCTION lakefs_drop_hook(text, text, regprocedure) IS
'remove a hook (every branch pattern of it)';
COMMENT ON FUNCTION lakefs_pending_changes() IS
'inside a pre-hook: the change the operation is about to make, as lakefs_diff rows';
COMMENT ON VIEW lakefs_grants IS
'the per-repository grants of the repositories the caller may read';
COMMENT ON VIEW lakefs_branch_protection IS
'the branch protection rules of the repositories the caller may read';
COMMENT ON VIEW lakefs_hooks IS
'the hooks of the repositories the caller may read';
COMMENT ON VIEW lakefs_repositories IS
'the repositories the caller may read: name, storage namespace, default branch, server, owner, created_at';
COMMENT ON VIEW lakefs_branches IS
'the branches (of readable repositories) with their head commit''s message and metadata, '
'whether a protection rule matches and whether they have staged changes';
COMMENT ON VIEW lakefs_tags IS
'the tags of the repositories the caller may read, and the commits they name';
COMMENT ON VIEW lakefs_commits IS
'every commit of the repositories the caller may read, with its number of objects';
COMMENT ON VIEW lakefs_staged_changes IS
'the staged (uncommitted) changes of every branch of the repositories the caller may read';

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

-- Integration of the sections above: the views added before the one door
-- show only what the caller may read, like every other view.
CREATE OR REPLACE VIEW lakefs_gc_rules WITH (security_barrier) AS
	SELECT r.name AS repository, g.default_retention, g.branches
	FROM lakefs.gc_rules g
	JOIN lakefs.repositories r ON r.id = g.repo_id
	WHERE lakefs_has_privilege(r.name, 'read');
GRANT SELECT ON lakefs_gc_rules TO PUBLIC;
COMMENT ON VIEW lakefs_gc_rules IS
'the garbage collection rules of the repositories the caller may read (lakefs_set_gc_rules)';
COMMENT ON VIEW lakefs_access_keys IS
'the S3 gateway''s access keys of the roles the caller is a member of (never the secret)';
CREATE OR REPLACE VIEW lakefs_metrics WITH (security_barrier) AS
	SELECT r.name AS repository, m.branch, m.commit_id, m.key, m.step, m.value,
		   m.logged_at
	FROM lakefs.metrics m
	JOIN lakefs.repositories r ON r.id = m.repo_id
	WHERE lakefs_has_privilege(r.name, 'read')
	UNION ALL
	SELECT r.name, s.branch, NULL, s.key, s.step, s.value, s.logged_at
	FROM lakefs.staged_metrics s
	JOIN lakefs.repositories r ON r.id = s.repo_id
	WHERE lakefs_has_privilege(r.name, 'read');
GRANT SELECT ON lakefs_metrics TO PUBLIC;
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

-- gateway: one statement per GetObject (the entry and its presigned URL), the
-- gateway's multipart uploads (ListParts, UploadPartCopy, abort and clean-up)
CREATE FUNCTION lakefs_stat_presigned(repository text, ref text, path text,
									  expires interval DEFAULT '15 minutes')
	RETURNS lakefs_entry
	AS 'MODULE_PATHNAME', 'lakefs_stat_presigned'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_stat_presigned(text, text, text, interval) IS
'the entry at a path of a ref with physical_address replaced by a presigned GET URL of its '
'object (as lakeFS''s statObject with presign=true); the ref and path are resolved once';

CREATE FUNCTION lakefs_multipart_parts(repository text, branch text, upload_id text,
									   part_number_marker integer DEFAULT 0,
									   max_parts integer DEFAULT 1000)
	RETURNS TABLE (part_number integer, etag text, size bigint,
				   last_modified timestamptz)
	AS 'MODULE_PATHNAME', 'lakefs_multipart_parts'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_multipart_parts(text, text, text, integer, integer) IS
'the uploaded parts of a gateway multipart upload after part_number_marker (at most '
'max_parts), from the object store''s listing, as S3''s ListParts';

CREATE FUNCTION lakefs_multipart_abort(repository text, branch text, upload_id text)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'lakefs_multipart_abort'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_multipart_abort(text, text, text) IS
'delete the parts and the marker of a gateway multipart upload (S3''s '
'AbortMultipartUpload); returns the number of objects deleted';

CREATE FUNCTION lakefs_multipart_abort_incomplete(repository text,
												  older_than interval DEFAULT '7 days')
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'lakefs_multipart_abort_incomplete'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_multipart_abort_incomplete(text, interval) IS
'delete every gateway multipart upload of the repository whose newest object is older '
'than older_than (as S3''s lifecycle rule AbortIncompleteMultipartUpload); returns the '
'number of uploads deleted';

CREATE FUNCTION lakefs_multipart_upload_part_copy(repository text, branch text,
												  upload_id text, part_number integer,
												  source_repository text,
												  source_ref text, source_path text,
												  first_byte bigint DEFAULT NULL,
												  last_byte bigint DEFAULT NULL,
												  OUT etag text,
												  OUT last_modified timestamptz)
	AS 'MODULE_PATHNAME', 'lakefs_multipart_upload_part_copy'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_multipart_upload_part_copy(text, text, text, integer, text, text, text, bigint, bigint) IS
'make a part of a gateway multipart upload a server-side copy of an object of a ref '
'(bytes first_byte..last_byte when given), read as the caller, as S3''s UploadPartCopy';

-- bulk staging and commit: the history index has no foreign key to
-- lakefs.repositories. Its per-row check was most of the time of a commit of
-- many paths; each insert locks the repository row once instead, and
-- lakefs_delete_repository deletes the repository's rows.
ALTER TABLE lakefs.commit_paths DROP CONSTRAINT commit_paths_repo_id_fkey;

-- history: commits by generation. A log or merge-base walk reads the commits
-- just below the one it is at with one range scan of this index (refs.c,
-- catalog_get_commits_below) instead of one index descent per commit.
CREATE INDEX commits_generation ON lakefs.commits (repo_id, generation);

-- writers answer a NULL argument with 22004 naming it, as every other writer
-- does, instead of returning NULL as STRICT functions do (a psql script with
-- an unset variable would otherwise "succeed" without doing anything)
ALTER FUNCTION lakefs_create_tag(text, text, text) CALLED ON NULL INPUT;
ALTER FUNCTION lakefs_delete_branch(text, text) CALLED ON NULL INPUT;
ALTER FUNCTION lakefs_delete_tag(text, text) CALLED ON NULL INPUT;
ALTER FUNCTION lakefs_delete_object(text, text, text) CALLED ON NULL INPUT;
ALTER FUNCTION lakefs_stage_objects(text, text, text) CALLED ON NULL INPUT;
ALTER FUNCTION lakefs_create_access_key(name) CALLED ON NULL INPUT;
ALTER FUNCTION lakefs_delete_access_key(text) CALLED ON NULL INPUT;

-- gateway fixes: a multipart upload keeps the Content-Type and user metadata of its
-- CreateMultipartUpload in its marker, and CompleteMultipartUpload reads them back
CREATE FUNCTION lakefs_multipart_create(repository text, branch text, path text,
										content_type text DEFAULT NULL,
										metadata jsonb DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_multipart_create'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_multipart_create(text, text, text, text, jsonb) IS
'start an S3 gateway multipart upload to path on branch (checked as a write): draws the '
'upload id and writes its marker object <namespace>/_lakefs/multipart/<id>/upload, which '
'keeps the object''s content type and user metadata (as S3''s CreateMultipartUpload)';

CREATE FUNCTION lakefs_multipart_upload(repository text, branch text, upload_id text)
	RETURNS jsonb
	AS 'MODULE_PATHNAME', 'lakefs_multipart_upload'
	LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lakefs_multipart_upload(text, text, text) IS
'the marker document of a gateway multipart upload (branch, path, created_by, and the '
'content_type and metadata given at its creation); 42704 when the upload does not exist';

-- scale: metaranges of version 2, a tree of content-addressed index nodes
-- (src/common/range_codec.h). A root stays in lakefs.metaranges (commits name
-- it); the index nodes below it live here. Version 1 metaranges stay readable.
CREATE TABLE lakefs.index_nodes (
	repo_id		integer NOT NULL REFERENCES lakefs.repositories ON DELETE CASCADE,
	id			bytea NOT NULL,
	level		integer NOT NULL,
	entries		bigint NOT NULL,
	data		bytea NOT NULL,
	PRIMARY KEY (repo_id, id)
);
ALTER TABLE lakefs.index_nodes ALTER COLUMN data SET COMPRESSION lz4;
REVOKE ALL ON lakefs.index_nodes FROM PUBLIC;
