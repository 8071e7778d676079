-- Arguments that used to be accepted or to crash, and the errors they get now:
-- each failing call is shown with its SQLSTATE and message.
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	EXECUTE stmt;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $f$;
SET client_min_messages = warning;
SELECT lakefs_create_repository('hard', 's3://bucket/hard') IS NOT NULL AS created;

-- A NULL names the argument (22004), for every function.
SELECT pg_temp.error_of($$SELECT * FROM lakefs_ls(NULL, 'main')$$);
SELECT pg_temp.error_of($$SELECT lakefs_commit('hard', NULL, 'm')$$);
SELECT pg_temp.error_of($$SELECT lakefs_commit('hard', 'main', NULL)$$);
SELECT pg_temp.error_of($$SELECT lakefs_stage_object('hard', 'main', 'a', 'data/a', NULL, 'c')$$);
SELECT pg_temp.error_of($$SELECT lakefs_stage_object('hard', 'main', 'a', 'data/a', 1, NULL)$$);
SELECT pg_temp.error_of($$SELECT lakefs_put_object('hard', 'main', 'a', NULL)$$);
SELECT pg_temp.error_of($$SELECT lakefs_s3_delete(NULL, NULL::text[])$$);

-- Bulk staging checks what lakefs_stage_object checks.
SELECT pg_temp.error_of($$SELECT lakefs_stage_objects('hard', 'main', $q$SELECT 'a' AS path, 'data/a' AS physical_address,
       1::bigint AS size, 'c' AS checksum, '[1]'::jsonb AS metadata$q$)$$);
SELECT pg_temp.error_of($$SELECT lakefs_stage_objects('hard', 'main', $q$SELECT 'a' AS path, 'data/a' AS physical_address,
       NULL::bigint AS size, 'c' AS checksum$q$)$$);
SELECT pg_temp.error_of($$SELECT lakefs_stage_objects('hard', 'main', $q$SELECT 'a' AS path, 'data/a' AS physical_address,
       1::bigint AS size, NULL AS checksum$q$)$$);
SELECT count(*) AS staged FROM lakefs_staged('hard', 'main');

-- Numbers out of range.
SELECT pg_temp.error_of($$SELECT count(*) FROM lakefs_log('hard', 'main', -1)$$);
SELECT count(*) FROM lakefs_log('hard', 'main', 0);

-- Dot segments: a namespace never has them; an S3 key with them would be
-- resolved by HTTP to another key.
SELECT pg_temp.error_of($$SELECT lakefs_create_repository('dots', 'local://../../etc')$$);
SELECT pg_temp.error_of($$SELECT lakefs_create_repository('dots', 's3://bucket/a/./b')$$);
CREATE SERVER hard_s3 FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint 'http://127.0.0.1:9');
CREATE USER MAPPING FOR PUBLIC SERVER hard_s3 OPTIONS (access_key_id 'k', secret_access_key 's');
SELECT pg_temp.error_of($$SELECT lakefs_s3_get('hard_s3', 's3://bucket/a/../b')$$);

-- Presigned URLs: a finite instant, at most 7 days.
SELECT pg_temp.error_of($$SELECT lakefs_s3_presign('hard_s3', 'GET', 's3://bucket/x', '1 hour', 'infinity')$$);
SELECT pg_temp.error_of($$SELECT lakefs_s3_presign('hard_s3', 'GET', 's3://bucket/x', '8 days')$$);

-- Existing names: 42710.
SELECT pg_temp.error_of($$SELECT lakefs_create_repository('hard', 's3://bucket/hard2')$$);
SELECT pg_temp.error_of($$SELECT lakefs_create_branch('hard', 'main', 'main')$$);
SELECT lakefs_create_tag('hard', 'v1', 'main') IS NOT NULL AS tagged;
SELECT pg_temp.error_of($$SELECT lakefs_create_tag('hard', 'v1', 'main')$$);

-- The raw object functions reach local:// only for members of
-- pg_read_server_files / pg_write_server_files (superusers are).
CREATE ROLE hard_user;
GRANT USAGE ON FOREIGN SERVER hard_s3 TO hard_user;
SET pg_lakefs.local_root = '/nonexistent-root';
SET ROLE hard_user;
SELECT pg_temp.error_of($$SELECT lakefs_s3_get(NULL, 'local://repo/data/x')$$);
SELECT pg_temp.error_of($$SELECT lakefs_s3_stat(NULL, 'local://repo/data/x')$$);
SELECT pg_temp.error_of($$SELECT * FROM lakefs_list_objects(NULL, 'local://repo/')$$);
SELECT pg_temp.error_of($$SELECT lakefs_s3_put(NULL, 'local://repo/data/x', 'bytes')$$);
SELECT pg_temp.error_of($$SELECT lakefs_s3_delete(NULL, 'local://repo/data/x')$$);
SELECT pg_temp.error_of($$SELECT lakefs_s3_delete(NULL, ARRAY['local://repo/data/x'])$$);
RESET ROLE;
GRANT pg_read_server_files TO hard_user;
SET ROLE hard_user;
-- a reader passes the privilege check and meets the next one (the root must exist)
SELECT pg_temp.error_of($$SELECT lakefs_s3_get(NULL, 'local://repo/data/x')$$);
SELECT pg_temp.error_of($$SELECT lakefs_s3_put(NULL, 'local://repo/data/x', 'bytes')$$);
RESET ROLE;
RESET pg_lakefs.local_root;
DROP USER MAPPING FOR PUBLIC SERVER hard_s3;
DROP SERVER hard_s3;
REVOKE pg_read_server_files FROM hard_user;
DROP ROLE hard_user;
SELECT lakefs_delete_repository('hard');

