-- Branch and tag names follow git's ref-name rules, branches and tags never
-- share a name, "branch$" names a branch with its staged changes (as lakeFS's
-- ref modifier), and commit metadata keys are never empty.
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	EXECUTE stmt;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $f$;
SET client_min_messages = warning;
SELECT lakefs_create_repository('ref-names', 's3://bucket/ref-names') IS NOT NULL AS created;

-- names git accepts
SELECT lakefs_create_tag('ref-names', t, 'main') IS NOT NULL AS tagged
  FROM unnest(ARRAY['v2.3', 'release-2026.11', 'v1.0.0-rc.1', 'ünïcode', 'a@b', '_x']) t;
SELECT lakefs_create_branch('ref-names', 'feature.x', 'main') IS NOT NULL AS branched;
SELECT tag FROM lakefs_tags WHERE repository = 'ref-names' ORDER BY tag;

-- and what it refuses, each with 42602
SELECT n, pg_temp.error_of(format('SELECT lakefs_create_tag(%L, %L, %L)', 'ref-names', n, 'main')) AS error
  FROM unnest(ARRAY['a..b', 'a@{1}', '.hidden', '-dash', 'ends.', 'x.lock', '@', 'ends@',
                    'a b', E'tab\there', 'a~1', 'a^2', 'a:b', 'a?', 'a*', 'a[0]', 'a\b',
                    'feature/x', 'cash$', '']) n;

-- a tag and a branch may not share a name, in either order
SELECT pg_temp.error_of($$SELECT lakefs_create_branch('ref-names', 'v2.3', 'main')$$);
SELECT pg_temp.error_of($$SELECT lakefs_create_tag('ref-names', 'feature.x', 'main')$$);

-- "branch$": the branch with its staging, like the plain name; never a tag
SELECT lakefs_stage_object('ref-names', 'feature.x', 'staged.txt', 'data/s', 1, 'c');
SELECT path FROM lakefs_ls('ref-names', 'feature.x$');
SELECT path FROM lakefs_ls('ref-names', 'feature.x@');
SELECT pg_temp.error_of($$SELECT * FROM lakefs_ls('ref-names', 'v2.3$')$$);

-- commit metadata keys
SELECT pg_temp.error_of($$SELECT lakefs_commit('ref-names', 'feature.x', 'm', '{"": 1}')$$);
SELECT lakefs_commit('ref-names', 'feature.x', 'm', '{"accuracy": 0.9, "nested": {"": 1}}') IS NOT NULL AS committed;
SELECT lakefs_delete_repository('ref-names');
