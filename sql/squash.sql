-- lakefs_merge(..., squash => true): git's merge --squash.
SELECT lakefs_create_repository('squashes', 'local://squashes') IS NOT NULL AS created;
SELECT lakefs_stage_object('squashes', 'main', 'a', 'obj-a', 1, 'etag-a');
SELECT lakefs_commit('squashes', 'main', 'a') IS NOT NULL AS committed;
SELECT lakefs_create_branch('squashes', 'feature', 'main') IS NOT NULL AS branched;
SELECT lakefs_stage_object('squashes', 'feature', 'b', 'obj-b', 1, 'etag-b');
SELECT lakefs_commit('squashes', 'feature', 'b') IS NOT NULL AS committed;
SELECT lakefs_stage_object('squashes', 'feature', 'c', 'obj-c', 1, 'etag-c');
SELECT lakefs_commit('squashes', 'feature', 'c') IS NOT NULL AS committed;
-- fast-forwardable, squashed anyway: one new commit, one parent, the source's tree
CREATE TEMP TABLE h AS SELECT lakefs_resolve_ref('squashes', 'main') AS before;
SELECT lakefs_merge('squashes', 'feature', 'main', squash => true) <> lakefs_resolve_ref('squashes', 'feature') AS new_commit;
SELECT message, parents = ARRAY[(SELECT before FROM h)] AS one_parent
  FROM lakefs_log('squashes', 'main', max_count => 1);
SELECT count(*) FROM lakefs_diff('squashes', 'main', 'feature');
SELECT lakefs_is_ancestor('squashes', 'feature', 'main') AS feature_merged;
SELECT operation FROM lakefs_reflog('squashes', 'main') LIMIT 1;
-- diverged: the merged tree, one parent
SELECT lakefs_stage_object('squashes', 'feature', 'd', 'obj-d', 1, 'etag-d');
SELECT lakefs_commit('squashes', 'feature', 'd') IS NOT NULL AS committed;
SELECT lakefs_stage_object('squashes', 'main', 'e', 'obj-e', 1, 'etag-e');
SELECT lakefs_commit('squashes', 'main', 'e') IS NOT NULL AS committed;
SELECT lakefs_merge('squashes', 'feature', 'main', message => 'squash d', squash => true) IS NOT NULL AS merged;
SELECT message, cardinality(parents) FROM lakefs_log('squashes', 'main', max_count => 1);
SELECT path FROM lakefs_ls('squashes', 'main') ORDER BY path;
-- squash => false is a normal merge
SELECT lakefs_stage_object('squashes', 'feature', 'f', 'obj-f', 1, 'etag-f');
SELECT lakefs_commit('squashes', 'feature', 'f') IS NOT NULL AS committed;
SELECT lakefs_merge('squashes', 'feature', 'main', squash => false) IS NOT NULL AS merged;
SELECT cardinality(parents) FROM lakefs_log('squashes', 'main', max_count => 1);
-- conflicts still refuse
SELECT lakefs_stage_object('squashes', 'feature', 'a', 'obj-a2', 1, 'etag-a2');
SELECT lakefs_commit('squashes', 'feature', 'a2') IS NOT NULL AS committed;
SELECT lakefs_stage_object('squashes', 'main', 'a', 'obj-a3', 1, 'etag-a3');
SELECT lakefs_commit('squashes', 'main', 'a3') IS NOT NULL AS committed;
SELECT lakefs_merge('squashes', 'feature', 'main', squash => true);
SELECT lakefs_delete_repository('squashes');
