-- The object-store SQL surface that needs no network: servers, user mappings,
-- the option validator and presigned URLs.

-- A server for AWS S3 itself, virtual-hosted style, and the credentials of the
-- S3 documentation's examples.
CREATE SERVER aws FOREIGN DATA WRAPPER lakefs_s3
    OPTIONS (endpoint 'https://s3.amazonaws.com', region 'us-east-1', url_style 'virtual');
CREATE USER MAPPING FOR CURRENT_USER SERVER aws
    OPTIONS (access_key_id 'AKIAIOSFODNN7EXAMPLE',
             secret_access_key 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');

-- The presigned URL of the S3 documentation ("Authenticating Requests: Using
-- Query Parameters"), signature aeeed9bb...
SELECT lakefs_s3_presign('aws', 'GET', 's3://examplebucket/test.txt', '24 hours',
                         '2013-05-24 00:00:00+00');

-- Path style puts the bucket in the path.
CREATE SERVER local_minio FOREIGN DATA WRAPPER lakefs_s3
    OPTIONS (endpoint 'http://127.0.0.1:9000', url_style 'path');
CREATE USER MAPPING FOR CURRENT_USER SERVER local_minio
    OPTIONS (access_key_id 'minioadmin', secret_access_key 'minioadmin');
SELECT lakefs_s3_presign('local_minio', 'PUT', 's3://bucket/dir/a file.json', '15 minutes',
                         '2026-01-01 12:00:00+00');

-- Errors: unknown options list the valid ones.
CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (host 'x');
CREATE USER MAPPING FOR PUBLIC SERVER aws OPTIONS (user 'x');
CREATE FOREIGN TABLE bad (key text) SERVER aws OPTIONS (bukket 'x');
-- Bad values say what is expected.
CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint 's3.amazonaws.com');
CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (url_style 'dns');
CREATE SERVER bad FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (request_timeout 'forever');
-- Presigning checks its arguments.
SELECT lakefs_s3_presign('aws', 'POST', 's3://examplebucket/test.txt', '1 hour');
SELECT lakefs_s3_presign('aws', 'GET', 's3://examplebucket/test.txt', '0 seconds');
SELECT lakefs_s3_presign('aws', 'GET', 'examplebucket/test.txt', '1 hour');
SELECT lakefs_s3_presign('nosuchserver', 'GET', 's3://examplebucket/test.txt', '1 hour');

DROP USER MAPPING FOR CURRENT_USER SERVER aws;
DROP USER MAPPING FOR CURRENT_USER SERVER local_minio;
DROP SERVER aws, local_minio;
