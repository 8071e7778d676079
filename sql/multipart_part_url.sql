-- lakefs_multipart_part_url: presigned URLs of the S3 gateway's multipart
-- parts, checked as a write to the branch. Its errors (the URLs themselves are
-- tested against a live server in test/t/gateway.py).
SELECT lakefs_create_repository('parts', 's3://bucket/parts') IS NOT NULL AS created;
SELECT lakefs_create_tag('parts', 'v1', 'main') IS NOT NULL AS tagged;
-- an upload id is 32 lower-case hex digits, a part number 1 to 10000
SELECT lakefs_multipart_part_url('parts', 'main', 'not-an-id', 1);
SELECT lakefs_multipart_part_url('parts', 'main', repeat('a', 32), 0);
SELECT lakefs_multipart_part_url('parts', 'main', repeat('a', 32), 10001);
SELECT lakefs_multipart_part_url('parts', 'main', repeat('a', 32), 1, expires => '0 seconds');
-- only branches take writes
SELECT lakefs_multipart_part_url('parts', 'v1', repeat('a', 32), 1);
SELECT lakefs_multipart_part_url('nope', 'main', repeat('a', 32), 1);
-- a repository without an object store server cannot presign
SELECT lakefs_multipart_part_url('parts', 'main', repeat('a', 32), 1);
SELECT lakefs_delete_repository('parts');
-- the gateway's multipart uploads on a local:// repository (the store calls
-- of an s3:// one are tested against a live server in test/t/gateway.py)
SELECT lakefs_create_repository('uploads', 'local://uploads-' || md5(random()::text)) IS NOT NULL AS created;
SELECT lakefs_put_object('uploads', 'main', 'src.bin', convert_to('0123456789abcdef', 'UTF8')) IS NOT NULL AS put;
SELECT lakefs_commit('uploads', 'main', 'source') IS NOT NULL AS committed;
SELECT lakefs_create_tag('uploads', 'v1', 'main') IS NOT NULL AS tagged;
SELECT lakefs_multipart_create('uploads', 'main', 'joined.bin') AS upload_id \gset
SELECT length(:'upload_id') AS id_length;
-- a fresh upload has no parts; a part copy makes one, with or without a range
SELECT count(*) AS parts FROM lakefs_multipart_parts('uploads', 'main', :'upload_id');
SELECT etag IS NOT NULL AS etag, last_modified IS NOT NULL AS last_modified
  FROM lakefs_multipart_upload_part_copy('uploads', 'main', :'upload_id', 2, 'uploads', 'v1', 'src.bin');
SELECT etag FROM lakefs_multipart_upload_part_copy('uploads', 'main', :'upload_id', 1, 'uploads', 'main', 'src.bin', 4, 7);
SELECT part_number, etag, size, last_modified IS NOT NULL AS last_modified
  FROM lakefs_multipart_parts('uploads', 'main', :'upload_id');
-- paging: after a part number, at most max_parts
SELECT part_number FROM lakefs_multipart_parts('uploads', 'main', :'upload_id', 1);
SELECT part_number FROM lakefs_multipart_parts('uploads', 'main', :'upload_id', max_parts => 1);
-- errors: malformed arguments, no such upload, a tag, the source and its range
SELECT * FROM lakefs_multipart_parts('uploads', 'main', 'not-an-id');
SELECT * FROM lakefs_multipart_parts('uploads', 'main', repeat('0', 32));
SELECT * FROM lakefs_multipart_parts('uploads', 'main', :'upload_id', -1);
SELECT * FROM lakefs_multipart_parts('uploads', 'main', :'upload_id', 10001);
SELECT * FROM lakefs_multipart_parts('uploads', 'main', :'upload_id', 0, -1);
SELECT * FROM lakefs_multipart_parts('uploads', 'v1', :'upload_id');
SELECT lakefs_multipart_create('uploads', 'v1', 'x.bin');
SELECT lakefs_multipart_create('uploads', 'main', '');
SELECT lakefs_multipart_create('nope', 'main', 'x.bin');
SELECT * FROM lakefs_multipart_upload_part_copy('uploads', 'main', :'upload_id', 3, 'uploads', 'main', 'missing.bin');
SELECT * FROM lakefs_multipart_upload_part_copy('uploads', 'main', :'upload_id', 3, 'nope', 'main', 'src.bin');
SELECT * FROM lakefs_multipart_upload_part_copy('uploads', 'main', :'upload_id', 3, 'uploads', 'main', 'src.bin', 4, 16);
SELECT * FROM lakefs_multipart_upload_part_copy('uploads', 'main', :'upload_id', 3, 'uploads', 'main', 'src.bin', 7, 4);
SELECT * FROM lakefs_multipart_upload_part_copy('uploads', 'main', :'upload_id', 3, 'uploads', 'main', 'src.bin', 4);
SELECT * FROM lakefs_multipart_upload_part_copy('uploads', 'main', :'upload_id', 0, 'uploads', 'main', 'src.bin');
SELECT * FROM lakefs_multipart_upload_part_copy('uploads', 'main', repeat('0', 32), 1, 'uploads', 'main', 'src.bin');
SELECT * FROM lakefs_multipart_upload_part_copy('uploads', 'v1', :'upload_id', 1, 'uploads', 'main', 'src.bin');
-- the part URLs of a local:// upload: not presignable; an unknown upload takes no part
SELECT lakefs_multipart_part_url('uploads', 'main', repeat('0', 32), 1);
-- abort deletes the parts and the marker; the upload is gone then
SELECT lakefs_multipart_abort('uploads', 'main', :'upload_id') AS deleted;
SELECT set_config('lk_test.upload_id', :'upload_id', false) IS NOT NULL AS noted;
DO $$ BEGIN
	PERFORM * FROM lakefs_multipart_parts('uploads', 'main', current_setting('lk_test.upload_id'));
EXCEPTION WHEN undefined_object THEN RAISE NOTICE 'parts of the aborted upload: %', SQLSTATE;
END $$;
DO $$ BEGIN
	PERFORM lakefs_multipart_abort('uploads', 'main', current_setting('lk_test.upload_id'));
EXCEPTION WHEN undefined_object THEN RAISE NOTICE 'abort again: %', SQLSTATE;
END $$;
SELECT lakefs_multipart_abort('uploads', 'main', 'not-an-id');
-- incomplete uploads older than a bound are deleted (an S3 lifecycle rule's AbortIncompleteMultipartUpload)
SELECT lakefs_multipart_create('uploads', 'main', 'left.bin') AS left_id \gset
SELECT lakefs_multipart_abort_incomplete('uploads', '1 hour') AS young_kept;
SELECT lakefs_multipart_abort_incomplete('uploads', '0 seconds') AS old_deleted;
SELECT set_config('lk_test.upload_id', :'left_id', false) IS NOT NULL AS noted;
DO $$ BEGIN
	PERFORM * FROM lakefs_multipart_parts('uploads', 'main', current_setting('lk_test.upload_id'));
EXCEPTION WHEN undefined_object THEN RAISE NOTICE 'parts of the expired upload: %', SQLSTATE;
END $$;
SELECT lakefs_multipart_abort_incomplete('uploads', '-1 day');
SELECT lakefs_multipart_abort_incomplete('nope');
-- lakefs_stat_presigned: the entry with a presigned URL; local:// objects cannot be presigned
SELECT * FROM lakefs_stat_presigned('uploads', 'main', 'missing.bin');
SELECT * FROM lakefs_stat_presigned('uploads', 'main', 'src.bin', '0 seconds');
SELECT * FROM lakefs_stat_presigned('uploads', 'main', 'src.bin');
SELECT lakefs_delete_repository('uploads');
-- several uploads across listing pages (3 objects a page): each settled whole
SELECT lakefs_create_repository('pages', 'local://pages-' || md5(random()::text)) IS NOT NULL AS created;
SELECT lakefs_put_object('pages', 'main', 'src.bin', convert_to('0123456789abcdef', 'UTF8')) IS NOT NULL AS put;
CREATE TEMP TABLE ups AS
	SELECT lakefs_multipart_create('pages', 'main', 'f' || i) AS id, i FROM generate_series(1, 4) i;
SELECT count(*) AS copies FROM ups, LATERAL generate_series(1, ups.i) p,
	LATERAL lakefs_multipart_upload_part_copy('pages', 'main', ups.id, p, 'pages', 'main', 'src.bin') c;
SET pg_lakefs.list_page_size = 3;
SELECT ups.i, (SELECT count(*) FROM lakefs_multipart_parts('pages', 'main', ups.id)) AS parts FROM ups ORDER BY 1;
SELECT lakefs_multipart_abort_incomplete('pages', '1 hour') AS kept;
SELECT lakefs_multipart_abort_incomplete('pages', '0 seconds') AS deleted;
SELECT lakefs_multipart_abort_incomplete('pages', '0 seconds') AS none_left;
RESET pg_lakefs.list_page_size;
SELECT lakefs_delete_repository('pages');
