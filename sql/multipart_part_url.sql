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
