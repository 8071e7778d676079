-- lakefs_diff's delimiter, after/amount paging and three-dot mode;
-- lakefs_diff_uncommitted's paging.
-- small ranges (64 entries on average), so that paging has ranges to skip
SET pg_lakefs.range_size_bits = 6;
SELECT lakefs_create_repository('pages', 'local://pages') IS NOT NULL AS created;
SELECT lakefs_stage_objects('pages', 'main',
	$$SELECT format('%s/%s.csv', d, lpad(i::text, 4, '0')) AS path,
			 'obj-' || d || i AS physical_address, i AS size, 'etag-' || d || i AS checksum
	  FROM generate_series(1, 3000) i, unnest(ARRAY['a', 'b', 'c/x', 'c/y']) d$$) AS staged;
SELECT lakefs_stage_object('pages', 'main', 'top.txt', 'obj-top', 1, 'etag-top');
SELECT lakefs_commit('pages', 'main', 'base') IS NOT NULL AS committed;
SELECT lakefs_create_branch('pages', 'exp', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_objects('pages', 'exp',
	$$SELECT format('a/%s.csv', lpad(i::text, 4, '0')) AS path, 'obj-a2-' || i AS physical_address,
			 i AS size, 'etag-a2-' || i AS checksum FROM generate_series(1, 3000, 7) i$$) AS staged;
SELECT lakefs_delete_object('pages', 'exp', 'c/y/0042.csv');
SELECT lakefs_stage_object('pages', 'exp', 'd/new.csv', 'obj-new', 5, 'etag-new');
SELECT lakefs_stage_object('pages', 'exp', 'top.txt', 'obj-top2', 2, 'etag-top2');
SELECT lakefs_commit('pages', 'exp', 'changes') IS NOT NULL AS committed;

-- the full diff, by change
SELECT change, count(*) FROM lakefs_diff('pages', 'main', 'exp') GROUP BY 1 ORDER BY 1;

-- delimiter: one prefix_changed row per directory with changes, as lakeFS
SELECT * FROM lakefs_diff('pages', 'main', 'exp', delimiter => '/');
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', prefix => 'c/', delimiter => '/');
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', prefix => 'c/y/', delimiter => '/');
-- an empty delimiter is none
SELECT count(*) FROM lakefs_diff('pages', 'main', 'exp', delimiter => '');
-- a longer delimiter
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', delimiter => '/00')
 WHERE change = 'prefix_changed';
SELECT count(*) FROM lakefs_diff('pages', 'main', 'exp', delimiter => '/00');

-- after/amount: pages in path order, the start exclusive
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', amount => 3);
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', after => 'a/0015.csv', amount => 3);
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', after => 'a/0016.csv', amount => 2);
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', after => 'b', amount => 2);
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', after => 'top.txt');
SELECT count(*) FROM lakefs_diff('pages', 'main', 'exp', amount => 0);
-- every page of 50 concatenated is the whole diff
WITH RECURSIVE pg(n, last, cnt) AS (
	SELECT 1, max(path), count(*) FROM (SELECT path FROM lakefs_diff('pages', 'main', 'exp', amount => 50)) p
	UNION ALL
	SELECT n + 1, (SELECT max(path) FROM lakefs_diff('pages', 'main', 'exp', after => last, amount => 50)),
		   (SELECT count(*) FROM lakefs_diff('pages', 'main', 'exp', after => last, amount => 50))
	  FROM pg WHERE cnt = 50)
SELECT count(*) AS pages, sum(cnt) AS rows FROM pg;
-- with a delimiter, after = a prefix row continues past that directory
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', delimiter => '/', amount => 2);
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', delimiter => '/', after => 'c/', amount => 2);
-- after and prefix together
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', prefix => 'a/', after => 'a/2990', amount => 5);
SELECT count(*) FROM lakefs_diff('pages', 'main', 'exp', prefix => 'a/', after => 'zzz');
SELECT count(*) FROM lakefs_diff('pages', 'main', 'exp', prefix => 'b/', after => 'a');

-- a page far in reads only the range pair holding its start (the full diff
-- reads every range of a/ on both sides)
CREATE TEMP TABLE c0 AS SELECT lakefs_debug_counters() AS n;
SELECT count(*) FROM lakefs_diff('pages', 'main', 'exp', after => 'a/2900.csv', amount => 3);
CREATE TEMP TABLE c1 AS SELECT lakefs_debug_counters() - n AS page FROM c0;
SELECT count(*) FROM lakefs_diff('pages', 'main', 'exp');
SELECT page <= 4 AS page_ranges, lakefs_debug_counters() - n - page > 40 AS full_ranges
  FROM c0, c1;
-- a delimiter skips the ranges below a collapsed prefix
CREATE TEMP TABLE c2 AS SELECT lakefs_debug_counters() AS n;
SELECT count(*) FROM lakefs_diff('pages', 'main', 'exp', delimiter => '/');
SELECT lakefs_debug_counters() - n <= 12 AS delimiter_ranges FROM c2;

-- staged changes, paged
SELECT lakefs_stage_object('pages', 'exp', 'b/0001.csv', 'obj-b1-v2', 9, 'etag-b1-v2');
SELECT lakefs_stage_object('pages', 'exp', 'b/0002.csv', 'obj-b2-v2', 9, 'etag-b2-v2');
SELECT lakefs_delete_object('pages', 'exp', 'b/0003.csv');
SELECT lakefs_delete_object('pages', 'exp', 'd/new.csv');
SELECT change, path FROM lakefs_diff_uncommitted('pages', 'exp', amount => 2);
SELECT change, path FROM lakefs_diff_uncommitted('pages', 'exp', after => 'b/0002.csv');
SELECT change, path FROM lakefs_diff_uncommitted('pages', 'exp', prefix => 'd/', after => 'a');
-- staging shows in a branch side, with delimiter and paging
SELECT change, path FROM lakefs_diff('pages', 'exp@', 'exp', delimiter => '/');
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', after => 'a/2996.csv', amount => 6);
SELECT change, path FROM lakefs_diff('pages', 'exp', 'main', after => 'a/2996.csv', amount => 6);
SELECT lakefs_reset('pages', 'exp');

-- three-dot: what merging exp into main would change, with conflicts
SELECT lakefs_create_branch('pages', 'side', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('pages', 'main', 'top.txt', 'obj-top3', 3, 'etag-top3');
SELECT lakefs_stage_object('pages', 'main', 'a/0008.csv', 'obj-a2-8', 8, 'etag-a2-8',
	last_modified => (SELECT last_modified FROM lakefs_stat('pages', 'exp', 'a/0008.csv')));
SELECT lakefs_stage_object('pages', 'main', 'b/0005.csv', 'obj-b5-main', 5, 'etag-b5-main');
SELECT lakefs_commit('pages', 'main', 'main moves on') IS NOT NULL AS committed;
-- two-dot shows main's own change of b/0005.csv; three-dot does not
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', prefix => 'b/');
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', prefix => 'b/', mode => 'three-dot');
-- top.txt changed differently on both sides: a conflict (left = main's entry);
-- a/0008.csv changed the same way on both: no conflict
SELECT * FROM lakefs_diff('pages', 'main', 'exp', mode => 'three-dot')
 WHERE path IN ('top.txt', 'a/0008.csv', 'c/y/0042.csv');
SELECT change, count(*) FROM lakefs_diff('pages', 'main', 'exp', mode => 'three-dot') GROUP BY 1 ORDER BY 1;
SELECT count(*) FROM lakefs_merge_conflicts('pages', 'exp', 'main');
-- three-dot with a delimiter; with the left side's staged changes
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', delimiter => '/', mode => 'three-dot');
SELECT lakefs_stage_object('pages', 'main', 'd/new.csv', 'obj-other', 6, 'etag-other');
SELECT change, path FROM lakefs_diff('pages', 'main', 'exp', prefix => 'd/', mode => 'three-dot');
SELECT change, path FROM lakefs_diff('pages', 'main@', 'exp', prefix => 'd/', mode => 'three-dot');
SELECT lakefs_reset('pages', 'main');
-- three-dot of an ancestor is two-dot
SELECT (SELECT count(*) FROM lakefs_diff('pages', 'exp~1', 'exp', mode => 'three-dot'))
	 = (SELECT count(*) FROM lakefs_diff('pages', 'exp~1', 'exp')) AS same;
-- three-dot the other way round: what main brought since the fork
SELECT change, path FROM lakefs_diff('pages', 'exp', 'main', mode => 'three-dot');

-- called through 0.1.0's declaration (four arguments, STRICT)
CREATE FUNCTION pg_temp.diff_010(repository text, left_ref text, right_ref text,
								 prefix text DEFAULT '')
	RETURNS TABLE (change text, path text, left_address text, right_address text,
				   left_size bigint, right_size bigint, left_checksum text,
				   right_checksum text)
	AS '$libdir/pg_lakefs', 'lakefs_diff' LANGUAGE C STRICT STABLE;
SELECT count(*) FROM pg_temp.diff_010('pages', 'main~1', 'exp', 'a/');
CREATE FUNCTION pg_temp.diff_uncommitted_010(repository text, branch text, prefix text DEFAULT '')
	RETURNS TABLE (change text, path text, left_address text, right_address text,
				   left_size bigint, right_size bigint, left_checksum text,
				   right_checksum text)
	AS '$libdir/pg_lakefs', 'lakefs_diff_uncommitted' LANGUAGE C STRICT STABLE;
SELECT lakefs_delete_object('pages', 'exp', 'a/0001.csv');
SELECT change, path FROM pg_temp.diff_uncommitted_010('pages', 'exp');

-- errors
SELECT * FROM lakefs_diff('pages', 'main', 'exp', mode => 'four-dot');
SELECT * FROM lakefs_diff('pages', 'main', 'exp', amount => -1);
SELECT * FROM lakefs_diff_uncommitted('pages', 'exp', amount => -1);
SELECT * FROM lakefs_diff('pages', 'main', 'nope', mode => 'three-dot');
SELECT * FROM lakefs_diff('pages', 'nope', 'main', mode => 'three-dot');
SELECT * FROM lakefs_diff('pages', NULL, 'main');
SELECT * FROM lakefs_diff('pages', 'main', NULL);
SELECT * FROM lakefs_diff(NULL, 'main', 'main');
-- NULL optional arguments are their defaults
SELECT count(*) FROM lakefs_diff('pages', 'main~1', 'exp', NULL, NULL, NULL, NULL, NULL);
-- unrelated histories have no merge base (a second root written by hand)
INSERT INTO lakefs.commits
	SELECT repo_id, repeat('e', 64), '{}', metarange_id, 'another root', committer,
		   metadata, created_at, 1
	  FROM lakefs.commits
	 WHERE repo_id = (SELECT id FROM lakefs.repositories WHERE name = 'pages')
	   AND parents = '{}';
SELECT * FROM lakefs_diff('pages', 'main', repeat('e', 64), mode => 'three-dot');
SELECT count(*) FROM lakefs_diff('pages', repeat('e', 64), 'main~1');
SELECT lakefs_delete_repository('pages');
