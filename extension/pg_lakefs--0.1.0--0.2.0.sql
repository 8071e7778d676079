/* extension/pg_lakefs--0.1.0--0.2.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pg_lakefs UPDATE TO '0.2.0'" to load this file. \quit

-- 0.2.0: every schema and function change since the frozen 0.1.0. A new
-- installation runs 0.1.0's script and then this one, so both paths end in the
-- same catalog (test/t/upgrade.sh proves it).

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
