-- Zero-copy import: the checks that need no object store. Typed sources are a
-- JSON array of lakeFS ImportLocation objects; every malformed shape is 22023
-- with a hint, every NULL argument 22004 naming it. (The imports themselves run
-- against the S3 test server in test/t/import.py.)
\set VERBOSITY default
SELECT lakefs_create_repository('repo-import', 's3://example/repo-import') IS NOT NULL;

-- sources must be an array of objects with exactly path, destination and type
SELECT lakefs_import('repo-import', 'main', '{"path": "s3://b/x/"}'::jsonb);
SELECT lakefs_import('repo-import', 'main', '[]'::jsonb);
SELECT lakefs_import('repo-import', 'main', '["s3://b/x/"]'::jsonb);
SELECT lakefs_import('repo-import', 'main',
	'[{"path": "s3://b/x/", "destination": "raw/", "type": "common_prefix", "storage_id": "s"}]'::jsonb);
SELECT lakefs_import('repo-import', 'main', '[{"path": "s3://b/x/", "type": "common_prefix"}]'::jsonb);
SELECT lakefs_import('repo-import', 'main',
	'[{"path": "s3://b/x/", "destination": null, "type": "common_prefix"}]'::jsonb);
SELECT lakefs_import('repo-import', 'main',
	'[{"path": "s3://b/x/", "destination": "raw/", "type": "prefix"}]'::jsonb);
-- the second source is the bad one
SELECT lakefs_import('repo-import', 'main',
	'[{"path": "s3://b/x/", "destination": "raw/", "type": "common_prefix"},
	  {"path": "s3://b/y", "destination": "raw/y", "type": "object", "size": 1}]'::jsonb);
-- an untyped literal matches both forms
SELECT lakefs_import('repo-import', 'main', '[]');

-- NULL arguments
SELECT lakefs_import(NULL, 'main', ARRAY['s3://b/x/']);
SELECT lakefs_import('repo-import', NULL, ARRAY['s3://b/x/']);
SELECT lakefs_import('repo-import', 'main', NULL::text[]);
SELECT lakefs_import('repo-import', 'main', ARRAY['s3://b/x/', NULL]);
SELECT lakefs_import('repo-import', 'main', ARRAY['s3://b/x/'], NULL);
SELECT lakefs_import('repo-import', 'main', ARRAY['s3://b/x/'], 'raw/', NULL);
SELECT lakefs_import('repo-import', 'main', ARRAY['s3://b/x/'], 'raw/', 'm', NULL);
SELECT lakefs_import(NULL, 'main', '[]'::jsonb);
SELECT lakefs_import('repo-import', NULL, '[]'::jsonb);
SELECT lakefs_import('repo-import', 'main', NULL::jsonb);
SELECT lakefs_import('repo-import', 'main', '[]'::jsonb, NULL);
SELECT lakefs_import('repo-import', 'main', '[]'::jsonb, 'm', NULL);

-- nothing was committed
SELECT count(*) FROM lakefs_log('repo-import', 'main');
