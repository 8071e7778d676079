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
