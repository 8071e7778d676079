/* extension/pg_lakefs--0.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pg_lakefs" to load this file. \quit

CREATE SCHEMA lakefs;

CREATE FUNCTION lakefs_version() RETURNS text
	AS 'MODULE_PATHNAME', 'lakefs_version'
	LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
