-- lakefs_diff: what changed between two refs, in path order; and
-- lakefs_diff_uncommitted: a branch's staged changes against its head.
SELECT lakefs_create_repository('diffs', 'local://diffs') IS NOT NULL AS created;
SELECT lakefs_stage_objects('diffs', 'main',
	$$SELECT format('data/%s.csv', lpad(i::text, 5, '0')) AS path,
			 'obj-' || i AS physical_address, i AS size, 'etag-' || i AS checksum
	  FROM generate_series(1, 20000) i$$) AS staged;
SELECT lakefs_commit('diffs', 'main', 'twenty thousand files') IS NOT NULL AS committed;
SELECT lakefs_create_tag('diffs', 'v1', 'main') IS NOT NULL AS tagged;
SELECT lakefs_create_branch('diffs', 'exp', 'main') IS NOT NULL AS branched;

-- staged changes show up in lakefs_diff_uncommitted, and in lakefs_diff of the
-- branch (a branch is its head plus its staging, as lakefs_ls reads it)
SELECT lakefs_stage_object('diffs', 'exp', 'data/00042.csv', 'obj-42-v2', 4200, 'etag-42b');
SELECT lakefs_delete_object('diffs', 'exp', 'data/10000.csv');
SELECT lakefs_stage_object('diffs', 'exp', 'models/model.pkl', 'obj-model', 77, 'etag-m');
SELECT lakefs_stage_object('diffs', 'exp', 'data/00043.csv', 'obj-43', 43, 'etag-43',
						   last_modified => (SELECT last_modified FROM lakefs_stat('diffs', 'main', 'data/00043.csv')));
SELECT * FROM lakefs_diff_uncommitted('diffs', 'exp');
SELECT * FROM lakefs_diff_uncommitted('diffs', 'exp', prefix => 'models/');
SELECT count(*) AS with_staging FROM lakefs_diff('diffs', 'main', 'exp');
SELECT count(*) AS committed_diff FROM lakefs_diff('diffs', 'main', 'exp@');
SELECT lakefs_commit('diffs', 'exp', 'train') IS NOT NULL AS committed;

-- two commits: removed, changed, added
SELECT * FROM lakefs_diff('diffs', 'main', 'exp');
-- the other way round
SELECT change, path, left_size, right_size FROM lakefs_diff('diffs', 'exp', 'main');
-- ref expressions, tags, the committed head of a branch with "@"
SELECT count(*) FROM lakefs_diff('diffs', 'v1', 'exp@');
SELECT count(*) FROM lakefs_diff('diffs', 'exp~1', 'exp');
-- a prefix restricts the diff
SELECT change, path FROM lakefs_diff('diffs', 'main', 'exp', prefix => 'data/');
SELECT change, path FROM lakefs_diff('diffs', 'main', 'exp', prefix => 'models/');
SELECT change, path FROM lakefs_diff('diffs', 'main', 'exp', prefix => 'nothing/');
-- identical trees: no rows
SELECT count(*) FROM lakefs_diff('diffs', 'main', 'v1');

-- unchanged ranges are skipped unread: one changed path loads two ranges
SELECT lakefs_stage_object('diffs', 'exp', 'data/15000.csv', 'obj-15000-v2', 1, 'etag-x');
SELECT lakefs_commit('diffs', 'exp', 'one more') IS NOT NULL AS committed;
CREATE TEMP TABLE c0 AS SELECT lakefs_debug_counters() AS n;
SELECT change, path FROM lakefs_diff('diffs', 'exp~1', 'exp');
SELECT lakefs_debug_counters() - n AS ranges_loaded FROM c0;

-- a branch with staged changes: lakefs_diff includes them, "exp@" is the head alone
SELECT lakefs_stage_object('diffs', 'exp', 'staged-only', 'obj-s', 1, 'etag-s');
SELECT change, path FROM lakefs_diff('diffs', 'exp', 'exp~1');
SELECT change, path FROM lakefs_diff('diffs', 'exp@', 'exp');
SELECT change, path FROM lakefs_diff('diffs', 'exp~1', 'exp');
SELECT count(*) FROM lakefs_diff('diffs', 'exp', 'exp');
SELECT change, path FROM lakefs_diff_uncommitted('diffs', 'exp');
-- a row at a time: the diff streams
SELECT (lakefs_diff('diffs', 'v1', 'exp')).path LIMIT 2;

-- everything removed, everything added
SELECT lakefs_create_branch('diffs', 'empty', lakefs_resolve_ref('diffs', 'main~1')) IS NOT NULL AS branched;
SELECT change, count(*) FROM lakefs_diff('diffs', 'empty', 'main') GROUP BY change;
SELECT change, count(*) FROM lakefs_diff('diffs', 'main', 'empty') GROUP BY change;

-- errors
SELECT * FROM lakefs_diff('diffs', 'main', 'no-such-ref');
SELECT * FROM lakefs_diff('nope', 'main', 'main');
SELECT * FROM lakefs_diff_uncommitted('diffs', 'no-such-branch');
SELECT * FROM lakefs_diff_uncommitted('diffs', 'v1');
-- a NULL prefix is no prefix; a NULL ref is refused
SELECT count(*) FROM lakefs_diff('diffs', 'main', 'exp', NULL);
SELECT count(*) FROM lakefs_diff('diffs', NULL, 'exp');
SELECT count(*) FROM lakefs_diff_uncommitted('diffs', NULL);
