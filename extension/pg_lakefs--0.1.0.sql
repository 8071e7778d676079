/* extension/pg_lakefs--0.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pg_lakefs" to load this file. \quit

CREATE SCHEMA lakefs;

CREATE FUNCTION lakefs_version() RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_version'
	LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

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
