-- the extension loads and reports its version
SELECT lakefs_version();
SELECT extversion FROM pg_extension WHERE extname = 'pg_lakefs';
SELECT nspname FROM pg_namespace WHERE nspname = 'lakefs';
-- the library and the installed scripts agree on the version (EXTVERSION in the Makefile)
SELECT lakefs_version() = extversion AS same_version FROM pg_extension WHERE extname = 'pg_lakefs';
