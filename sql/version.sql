-- the extension loads and reports its version
SELECT lakefs_version();
SELECT extversion FROM pg_extension WHERE extname = 'pg_lakefs';
SELECT nspname FROM pg_namespace WHERE nspname = 'lakefs';
