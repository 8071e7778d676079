-- History walks read commits ahead by generation windows (lakefs.commits_generation),
-- falling back to first-parent chains: the log, its filters and merge bases are the
-- same whichever way the rows were read.
SELECT lakefs_create_repository('walks', 'local://walks') IS NOT NULL AS created;
DO $$
BEGIN
	-- 40 commits on main
	FOR i IN 1..40 LOOP
		PERFORM lakefs_stage_object('walks', 'main', 'm/' || i, 'm' || i, i, 'm' || i);
		PERFORM lakefs_commit('walks', 'main', 'main ' || i);
	END LOOP;
	-- 30 branches with one commit each at the same generation: a window of the
	-- commits below a child holds more parallel commits than the parent alone
	FOR b IN 1..30 LOOP
		PERFORM lakefs_create_branch('walks', 'p' || b, 'main~5');
		PERFORM lakefs_stage_object('walks', 'p' || b, 'p/' || b, 'p' || b, b, 'p' || b);
		PERFORM lakefs_commit('walks', 'p' || b, 'parallel ' || b);
	END LOOP;
	-- an old branch merged back: a second parent far below its child
	PERFORM lakefs_create_branch('walks', 'old', 'main~30');
	FOR i IN 1..3 LOOP
		PERFORM lakefs_stage_object('walks', 'old', 'o/' || i, 'o' || i, i, 'o' || i);
		PERFORM lakefs_commit('walks', 'old', 'old ' || i);
	END LOOP;
	PERFORM lakefs_merge('walks', 'old', 'main', fast_forward => false);
	FOR b IN 1..30 BY 7 LOOP
		PERFORM lakefs_merge('walks', 'p' || b, 'main', fast_forward => false);
	END LOOP;
	FOR i IN 41..60 LOOP
		PERFORM lakefs_stage_object('walks', 'main', 'm/' || (i % 7), 'm' || i, i, 'm' || i);
		PERFORM lakefs_commit('walks', 'main', 'main ' || i);
	END LOOP;
END $$;

-- the model: every commit reachable from main, in the walk's order
CREATE TEMP TABLE model AS
WITH RECURSIVE r AS (
	SELECT c.id, c.parents FROM lakefs.commits c JOIN lakefs.repositories p ON p.id = c.repo_id
	WHERE p.name = 'walks' AND c.id = lakefs_resolve_ref('walks', 'main')
	UNION
	SELECT c.id, c.parents FROM r, unnest(r.parents) x
	JOIN lakefs.commits c ON c.id = x
	JOIN lakefs.repositories p ON p.id = c.repo_id AND p.name = 'walks')
SELECT array_agg(c.id ORDER BY c.generation DESC, c.created_at DESC, c.id DESC) AS ids
FROM r JOIN lakefs.commits c ON c.id = r.id;

CREATE TEMP TABLE got AS
SELECT (SELECT array_agg(id) FROM lakefs_log('walks', 'main')) AS log,
	   (SELECT array_agg(id) FROM lakefs_log('walks', 'main', first_parent => true)) AS first_parent,
	   (SELECT array_agg(id) FROM lakefs_log('walks', 'main', paths => ARRAY['m/3', 'o/2'])) AS paths,
	   (SELECT array_agg(id) FROM lakefs_log('walks', 'main', exclude => 'old')) AS excluded,
	   lakefs_merge_base('walks', 'p2', 'old') AS base_old,
	   lakefs_merge_base('walks', 'p3', 'p4') AS base_parallel;
SELECT cardinality(log) AS commits, log = (SELECT ids FROM model) AS log_is_the_model,
	   cardinality(first_parent) AS first_parent, cardinality(paths) AS path_commits,
	   cardinality(excluded) AS not_in_old,
	   base_old = lakefs_resolve_ref('walks', 'old~3') AS base_old,
	   base_parallel = lakefs_resolve_ref('walks', 'p3~1') AS base_parallel
FROM got;

-- without the index (a database still at 0.1.0) the walks read chains only
BEGIN;
DROP INDEX lakefs.commits_generation;
SELECT (SELECT array_agg(id) FROM lakefs_log('walks', 'main')) = log AS log,
	   (SELECT array_agg(id) FROM lakefs_log('walks', 'main', first_parent => true)) = first_parent AS first_parent,
	   (SELECT array_agg(id) FROM lakefs_log('walks', 'main', paths => ARRAY['m/3', 'o/2'])) = paths AS paths,
	   (SELECT array_agg(id) FROM lakefs_log('walks', 'main', exclude => 'old')) = excluded AS excluded,
	   lakefs_merge_base('walks', 'p2', 'old') = base_old AS base_old,
	   lakefs_merge_base('walks', 'p3', 'p4') = base_parallel AS base_parallel
FROM got;
ROLLBACK;

SELECT lakefs_delete_repository('walks');
