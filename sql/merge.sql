-- lakefs_merge: three-way merge of a ref into a branch; lakefs_merge_conflicts
SELECT lakefs_create_repository('merges', 'local://merges') IS NOT NULL AS created;
SELECT lakefs_stage_objects('merges', 'main',
	$$SELECT 'raw/' || i || '.csv' AS path, 'raw-' || i AS physical_address,
			 i AS size, 'e' || i AS checksum FROM generate_series(1, 5) i$$) AS staged;
SELECT lakefs_commit('merges', 'main', 'raw data') IS NOT NULL AS committed;

-- a tree as (path, address) pairs; a branch's head as its commit row
CREATE FUNCTION tree(ref text) RETURNS TABLE (path text, address text)
	LANGUAGE sql AS $$SELECT path, physical_address FROM lakefs_ls('merges', ref)$$;
CREATE FUNCTION head(branch text) RETURNS lakefs.commits
	LANGUAGE sql AS $$SELECT c.* FROM lakefs.commits c
		JOIN lakefs.branches b ON b.repo_id = c.repo_id AND b.head = c.id
		JOIN lakefs.repositories r ON r.id = b.repo_id
		WHERE r.name = 'merges' AND b.name = branch$$;

-- fast-forward: main has not moved, so it just takes the experiment's head
SELECT lakefs_create_branch('merges', 'exp1', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('merges', 'exp1', 'model.pkl', 'model-1', 100, 'm1');
SELECT lakefs_commit('merges', 'exp1', 'train 1', '{"accuracy": "0.91"}') IS NOT NULL AS committed;
SELECT lakefs_merge('merges', 'exp1', 'main') = (head('exp1')).id AS fast_forwarded;
SELECT (head('main')).message, cardinality((head('main')).parents) AS parents;
-- merging it again, or merging any ancestor, is a no-op returning the head
SELECT lakefs_merge('merges', 'exp1', 'main') = (head('main')).id AS no_op;
SELECT lakefs_merge('merges', 'main~1', 'main') = (head('main')).id AS no_op;

-- fast_forward => false records a merge commit even when it could move the head
SELECT lakefs_create_branch('merges', 'exp2', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('merges', 'exp2', 'model.pkl', 'model-2', 200, 'm2');
SELECT lakefs_commit('merges', 'exp2', 'train 2') IS NOT NULL AS committed;
SELECT lakefs_merge('merges', 'exp2', 'main', fast_forward => false) <> (head('exp2')).id AS new_commit;
SELECT (head('main')).message, (head('main')).parents[2] = (head('exp2')).id AS second_parent_is_source;
SELECT * FROM tree('main') WHERE path = 'model.pkl';

-- a true merge: both sides changed different paths
SELECT lakefs_create_branch('merges', 'exp3', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('merges', 'exp3', 'metrics.json', 'metrics-3', 10, 'x3');
SELECT lakefs_delete_object('merges', 'exp3', 'raw/1.csv');
SELECT lakefs_commit('merges', 'exp3', 'train 3') IS NOT NULL AS committed;
SELECT lakefs_stage_object('merges', 'main', 'raw/6.csv', 'raw-6', 6, 'e6');
SELECT lakefs_stage_object('merges', 'main', 'raw/5.csv', 'raw-5b', 55, 'e5b');
SELECT lakefs_commit('merges', 'main', 'more raw data') IS NOT NULL AS committed;
CREATE TEMP TABLE before_merge AS SELECT (head('main')).id AS main, (head('exp3')).id AS exp3;
SELECT lakefs_merge('merges', 'exp3', 'main', metadata => '{"winner": "exp3"}') IS NOT NULL AS merged;
SELECT h.message, h.metadata, h.parents = ARRAY[b.main, b.exp3] AS parents_dest_then_source,
	   h.generation = (SELECT max(generation) + 1 FROM lakefs.commits c WHERE c.id IN (b.main, b.exp3)) AS generation_ok
FROM head('main') h, before_merge b;
SELECT * FROM tree('main');
SELECT change, path FROM lakefs_diff('merges', 'main^1', 'main');
SELECT change, path FROM lakefs_diff('merges', 'main^2', 'main');

-- the same change on both sides is taken once, not a conflict
SELECT lakefs_create_branch('merges', 'same', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('merges', 'same', 'shared.txt', 'shared', 1, 's',
						   last_modified => '2026-01-01 00:00+00');
SELECT lakefs_commit('merges', 'same', 'shared on same') IS NOT NULL AS committed;
SELECT lakefs_stage_object('merges', 'main', 'shared.txt', 'shared', 1, 's',
						   last_modified => '2026-01-01 00:00+00');
SELECT lakefs_commit('merges', 'main', 'shared on main') IS NOT NULL AS committed;
SELECT count(*) AS conflicts FROM lakefs_merge_conflicts('merges', 'same', 'main');
SELECT lakefs_merge('merges', 'same', 'main', 'take same') IS NOT NULL AS merged;
SELECT count(*) AS changes FROM lakefs_diff('merges', 'main^1', 'main');

-- conflicts: change vs change, change vs delete, delete vs change, add vs add
SELECT lakefs_create_branch('merges', 'left', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('merges', 'left', 'raw/2.csv', 'raw-2-left', 2, 'l');
SELECT lakefs_stage_object('merges', 'left', 'raw/3.csv', 'raw-3-left', 3, 'l');
SELECT lakefs_delete_object('merges', 'left', 'raw/4.csv');
SELECT lakefs_stage_object('merges', 'left', 'new.txt', 'new-left', 1, 'l');
SELECT lakefs_stage_object('merges', 'left', 'left-only.txt', 'left-only', 1, 'l');
SELECT lakefs_commit('merges', 'left', 'left side') IS NOT NULL AS committed;
SELECT lakefs_stage_object('merges', 'main', 'raw/2.csv', 'raw-2-main', 2, 'm');
SELECT lakefs_delete_object('merges', 'main', 'raw/3.csv');
SELECT lakefs_stage_object('merges', 'main', 'raw/4.csv', 'raw-4-main', 4, 'm');
SELECT lakefs_stage_object('merges', 'main', 'new.txt', 'new-main', 1, 'm');
SELECT lakefs_commit('merges', 'main', 'main side') IS NOT NULL AS committed;
SELECT * FROM lakefs_merge_conflicts('merges', 'left', 'main');
SELECT lakefs_merge('merges', 'left', 'main');
\echo :LAST_ERROR_SQLSTATE
-- nothing moved
SELECT (head('main')).message;
-- source-wins: the source side of each conflict; other changes merge as usual
SELECT lakefs_create_branch('merges', 'main-copy', 'main') IS NOT NULL AS branched;
SELECT lakefs_merge('merges', 'left', 'main', strategy => 'source-wins') IS NOT NULL AS merged;
SELECT * FROM tree('main') WHERE path NOT LIKE 'raw/_.csv' OR path IN ('raw/2.csv', 'raw/3.csv', 'raw/4.csv');
-- dest-wins: the destination keeps its side
SELECT lakefs_merge('merges', 'left', 'main-copy', strategy => 'dest-wins') IS NOT NULL AS merged;
SELECT * FROM tree('main-copy') WHERE path NOT LIKE 'raw/_.csv' OR path IN ('raw/2.csv', 'raw/3.csv', 'raw/4.csv');
-- after the merge the source is an ancestor: no conflicts left, merging is a no-op
SELECT count(*) FROM lakefs_merge_conflicts('merges', 'left', 'main');
SELECT lakefs_merge('merges', 'left', 'main') = (head('main')).id AS no_op;

-- many conflicts: the detail names the first ten and counts the rest
SELECT lakefs_create_branch('merges', 'many', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_objects('merges', 'many',
	$$SELECT 'bulk/' || lpad(i::text, 3, '0') AS path, 'many-' || i AS physical_address,
			 i AS size, 'x' AS checksum FROM generate_series(1, 25) i$$) AS staged;
SELECT lakefs_commit('merges', 'many', 'many') IS NOT NULL AS committed;
SELECT lakefs_stage_objects('merges', 'main',
	$$SELECT 'bulk/' || lpad(i::text, 3, '0') AS path, 'main-' || i AS physical_address,
			 i AS size, 'y' AS checksum FROM generate_series(1, 25) i$$) AS staged;
SELECT lakefs_commit('merges', 'main', 'bulk on main') IS NOT NULL AS committed;
SELECT lakefs_merge('merges', 'many', 'main');
SELECT count(*) FROM lakefs_merge_conflicts('merges', 'many', 'main');

-- criss-cross: two merge bases of equal generation; the choice is deterministic
-- and either gives the same result here
SELECT lakefs_create_branch('merges', 'cross-a', 'main') IS NOT NULL,
	   lakefs_create_branch('merges', 'cross-b', 'main') IS NOT NULL;
SELECT lakefs_stage_object('merges', 'cross-a', 'x', 'xa', 1, 'a');
SELECT lakefs_commit('merges', 'cross-a', 'a1') IS NOT NULL AS committed;
SELECT lakefs_stage_object('merges', 'cross-b', 'y', 'yb', 1, 'b');
SELECT lakefs_commit('merges', 'cross-b', 'b1') IS NOT NULL AS committed;
SELECT lakefs_merge('merges', 'cross-b', 'cross-a') IS NOT NULL AS a_takes_b1;
SELECT lakefs_merge('merges', 'cross-a~1', 'cross-b') IS NOT NULL AS b_takes_a1;
SELECT lakefs_stage_object('merges', 'cross-a', 'z', 'za', 1, 'a');
SELECT lakefs_commit('merges', 'cross-a', 'a3') IS NOT NULL AS committed;
SELECT lakefs_stage_object('merges', 'cross-b', 'w', 'wb', 1, 'b');
SELECT lakefs_commit('merges', 'cross-b', 'b3') IS NOT NULL AS committed;
SELECT lakefs_merge('merges', 'cross-b', 'cross-a') IS NOT NULL AS merged;
SELECT * FROM tree('cross-a') WHERE path IN ('w', 'x', 'y', 'z');
SELECT lakefs_merge('merges', 'cross-a', 'cross-b') = (head('cross-a')).id AS fast_forwarded;

-- errors
-- a destination with staged changes
SELECT lakefs_stage_object('merges', 'main', 'dirty', 'dirty', 1, 'd');
SELECT lakefs_merge('merges', 'exp1', 'main');
SELECT lakefs_reset('merges', 'main');
-- unknown strategy
SELECT lakefs_merge('merges', 'left', 'main', strategy => 'ours');
-- unknown refs, repository, branch; tags are not branches
SELECT lakefs_merge('merges', 'nope', 'main');
SELECT lakefs_merge('merges', 'exp1', 'nope');
SELECT lakefs_merge('nope', 'exp1', 'main');
SELECT lakefs_create_tag('merges', 'v1', 'main') IS NOT NULL AS tagged;
SELECT lakefs_merge('merges', 'exp1', 'v1');
SELECT lakefs_merge('merges', NULL, 'main');
SELECT * FROM lakefs_merge_conflicts('merges', 'nope', 'main');
-- metadata must be an object
SELECT lakefs_merge('merges', 'exp3', 'exp1', metadata => '[1]');
