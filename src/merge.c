/*-------------------------------------------------------------------------
 *
 * merge.c
 *		Three-way merge of trees; merge, revert and cherry-pick on branches.
 *
 * merge_trees(base, source, dest) streams the diff base -> source (equal
 * ranges skipped unread, see diff.c) and, for each changed path, looks up
 * the destination's entry: unread when the destination range that would hold
 * the path is the base's range (same id), else with a TreeProbe (ascending
 * paths, each touched range opened once):
 *
 *   dest equals base      only the source changed it: take the source side
 *   dest equals source    both made the same change: nothing to do
 *   otherwise             a conflict (change vs change, change vs delete,
 *                         add vs add with different entries)
 *
 * The taken changes feed tree_apply_changes over the destination tree, so
 * every destination range they do not touch is reused by id. The cost is
 * O(size of diff(base, source) + the ranges it touches), whatever the size
 * of the trees. A conflict is resolved by the strategy, or counted (the
 * first MERGE_CONFLICTS_SHOWN paths kept) and raised as one error after the
 * walk, which rolls back the ranges written meanwhile.
 *
 * Branch operations lock the destination branch row (BRANCH_LOCK_UPDATE)
 * before reading its head, so they serialize with commits to that branch,
 * and refuse a branch with staged changes: those would otherwise be
 * silently rebased onto the new head.
 *
 * Revert and cherry-pick are the same three-way merge of other trees:
 * revert applies commit -> parent onto the branch, cherry-pick applies
 * parent -> commit; both create an ordinary single-parent commit.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

#include "diff.h"
#include "governance.h"
#include "merge.h"
#include "refs.h"

/* the state behind the merge's ChangeSource */
typedef struct MergeSource
{
	TreeDiff	diff;			/* base -> source */
	TreeProbe	dest;
	MergeStrategy strategy;
	MergeStats *stats;
	ConflictCallback on_conflict;
	void	   *cb_arg;
} MergeSource;

/*
 * merge_strategy_parse: NULL is MERGE_STRATEGY_NONE; an unknown name raises
 * ERRCODE_INVALID_PARAMETER_VALUE with the valid names in the hint.
 */
MergeStrategy
merge_strategy_parse(const char *name)
{
	if (name == NULL)
		return MERGE_STRATEGY_NONE;
	if (strcmp(name, "source-wins") == 0)
		return MERGE_SOURCE_WINS;
	if (strcmp(name, "dest-wins") == 0)
		return MERGE_DEST_WINS;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown merge strategy \"%s\"", name),
			 errhint("Valid strategies are \"source-wins\" and \"dest-wins\"; "
					 "leave strategy NULL to fail on conflicts.")));
	return MERGE_STRATEGY_NONE;	/* keep the compiler quiet */
}

/* note_conflict: count it, keep the first paths; returns whether to take it */
static bool
note_conflict(MergeSource *m, const DiffRecord *rec, const LakefsEntry *dest)
{
	const LakefsEntry *any = rec->left ? rec->left : rec->right;
	MergeStats *st = m->stats;

	if (st->conflicts < MERGE_CONFLICTS_SHOWN)
		st->conflict_paths[st->conflicts] = pnstrdup(any->path, any->path_len);
	st->conflicts++;
	if (m->on_conflict)
		m->on_conflict(m->cb_arg, rec->left, rec->right, dest);
	return m->strategy == MERGE_SOURCE_WINS;
}

/*
 * dest_is_base: true when the destination's entry at path is known to equal
 * the base's without reading either: the ranges that would hold path in the
 * two trees are the same range (or path is past the end of both trees).
 */
static bool
dest_is_base(MergeSource *m, const char *path, uint32 len)
{
	TreeReader *b = m->diff.l.tree;
	TreeReader *d = m->dest.tree;
	uint32		ib = tree_find_range(b, path, len);
	uint32		id = tree_find_range(d, path, len);

	if (ib >= b->n || id >= d->n)
		return ib >= b->n && id >= d->n;
	return memcmp(tree_desc(b, ib)->id, tree_desc(d, id)->id, LK_ID_LEN) == 0;
}

/*
 * merge_next: ChangeSource callback; the next change to apply to the
 * destination, in path order. Strings point into the diff and stay valid
 * until the next call.
 */
static bool
merge_next(void *arg, LkChange *out)
{
	MergeSource *m = (MergeSource *) arg;
	DiffRecord	rec;

	while (tree_diff_next(&m->diff, &rec))
	{
		const LakefsEntry *any = rec.left ? rec.left : rec.right;
		LakefsEntry d;
		const LakefsEntry *dest = NULL;

		if (dest_is_base(m, any->path, any->path_len))
			dest = rec.left;
		else if (tree_probe(&m->dest, any->path, any->path_len, &d))
			dest = &d;
		if (entries_equal(dest, rec.right))
			continue;			/* already there */
		if (!entries_equal(dest, rec.left) && !note_conflict(m, &rec, dest))
			continue;
		memset(out, 0, sizeof(*out));
		out->tombstone = rec.right == NULL;
		if (rec.right)
			out->entry = *rec.right;
		else
		{
			out->entry.path = any->path;
			out->entry.path_len = any->path_len;
		}
		m->stats->changes++;
		return true;
	}
	return false;
}

static void
merge_source_init(MergeSource *m, LkRepo *repo, const uint8 *base, const uint8 *source,
				  const uint8 *dest, MergeStats *stats)
{
	memset(m, 0, sizeof(*m));
	memset(stats, 0, sizeof(*stats));
	tree_diff_init(&m->diff, tree_open(repo->id, base), tree_open(repo->id, source), "");
	tree_probe_init(&m->dest, tree_open(repo->id, dest));
	m->stats = stats;
}

static void
merge_source_end(MergeSource *m)
{
	m->stats->ranges_skipped = m->diff.ranges_skipped;
	tree_diff_end(&m->diff);
	tree_probe_end(&m->dest);
}

/*
 * merge_trees: the three-way merge of source into dest over base, stored;
 * its metarange id into out. Conflicts are resolved by strategy; with
 * MERGE_STRATEGY_NONE they are left as in dest and counted in stats (the
 * caller raises). Throws on catalog corruption.
 */
void
merge_trees(LkRepo *repo, const uint8 *base, const uint8 *source, const uint8 *dest,
			MergeStrategy strategy, uint8 *out, MergeStats *stats)
{
	MergeSource m;
	ChangeSource cs;

	merge_source_init(&m, repo, base, source, dest, stats);
	m.strategy = strategy;
	cs.next = merge_next;
	cs.arg = &m;
	tree_apply_changes(repo->id, dest, &cs, out, &stats->apply);
	merge_source_end(&m);
}

/* merge_scan_conflicts: call cb for every conflict of the merge, in path order */
void
merge_scan_conflicts(LkRepo *repo, const uint8 *base, const uint8 *source,
					 const uint8 *dest, ConflictCallback cb, void *arg)
{
	MergeSource m;
	MergeStats	stats;
	LkChange	ch;

	merge_source_init(&m, repo, base, source, dest, &stats);
	m.on_conflict = cb;
	m.cb_arg = arg;
	while (merge_next(&m, &ch))
		CHECK_FOR_INTERRUPTS();
	merge_source_end(&m);
}

/* conflict_error: raise the conflict error of an operation ("merge of ...") */
static void
conflict_error(const char *what, const MergeStats *st, const char *hint)
{
	StringInfoData paths;
	int			shown = (int) Min(st->conflicts, MERGE_CONFLICTS_SHOWN);

	initStringInfo(&paths);
	for (int i = 0; i < shown; i++)
		appendStringInfo(&paths, "%s\"%s\"", i ? ", " : "", st->conflict_paths[i]);
	if (st->conflicts > shown)
		appendStringInfo(&paths, " and " INT64_FORMAT " more", st->conflicts - shown);
	ereport(ERROR,
			(errcode(ERRCODE_LAKEFS_MERGE_CONFLICT),
			 errmsg("%s has " INT64_FORMAT " conflicting path(s)", what, st->conflicts),
			 errdetail("Conflicting paths: %s.", paths.data),
			 errhint("%s", hint)));
}

static void
log_merge(const char *what, const MergeStats *st)
{
	elog(DEBUG1, "%s: " INT64_FORMAT " changes, " INT64_FORMAT " conflicts, "
		 INT64_FORMAT " range pairs skipped, " INT64_FORMAT " ranges reused, "
		 INT64_FORMAT " written", what, st->changes, st->conflicts, st->ranges_skipped,
		 st->apply.ranges_reused, st->apply.ranges_written);
}

/*
 * merge_into_branch: merge source_ref into branch dest; returns dest's new
 * head. Already merged: a no-op returning the head. dest an ancestor of the
 * source: a fast-forward (no commit) unless fast_forward is false or squash.
 * Otherwise a merge commit with parents (dest head, source), or with squash
 * (git's merge --squash) one commit whose only parent is dest's head. Raises
 * ERRCODE_LAKEFS_MERGE_CONFLICT on unresolved conflicts. Pre- and post-merge
 * hooks run around the head move. *result (never NULL) says which happened
 * and the head before.
 */
char *
merge_into_branch(LkRepo *repo, const char *source_ref, const char *dest,
				  const char *message, Jsonb *metadata, MergeStrategy strategy,
				  bool fast_forward, bool squash, MergeResult *result)
{
	LkCommit   *head = lock_clean_branch(repo, dest, "merge");
	LkCommit   *parents[2];
	LkRef		src;
	LkCommitId	base_id;
	LkCommit   *base;
	MergeStats	st;
	uint8		mr[LK_ID_LEN];
	char	   *what;
	HookEvent	ev;

	memcpy(result->old_head, head->id, sizeof(LkCommitId));
	result->outcome = MERGE_UP_TO_DATE;
	refs_resolve(repo, source_ref, &src);
	if (strcmp(src.commit, head->id) == 0)
		return pstrdup(head->id);
	if (!refs_merge_base(repo, head->id, src.commit, base_id))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("\"%s\" and branch \"%s\" have no common ancestor", source_ref, dest)));
	if (strcmp(base_id, src.commit) == 0)
		return pstrdup(head->id);	/* already merged */
	memset(&ev, 0, sizeof(ev));
	ev.repo = repo;
	ev.event = "merge";
	ev.source_ref = source_ref;
	ev.destination_branch = dest;
	ev.metadata = metadata;
	ev.left_metarange = head->metarange_id;
	if (strcmp(base_id, head->id) == 0 && fast_forward && !squash)
	{
		ev.right_metarange = refs_get_commit(repo, src.commit)->metarange_id;
		hooks_fire(true, &ev);
		catalog_set_branch_head(repo->id, dest, src.commit, "fast-forward");
		result->outcome = MERGE_FAST_FORWARD;
		ev.commit_id = src.commit;
		hooks_fire(false, &ev);
		return pstrdup(src.commit);
	}
	base = refs_get_commit(repo, base_id);
	parents[0] = head;
	parents[1] = refs_get_commit(repo, src.commit);
	what = psprintf("merge of \"%s\" into \"%s\"", source_ref, dest);
	merge_trees(repo, base->metarange_id, parents[1]->metarange_id, head->metarange_id,
				strategy, mr, &st);
	log_merge(what, &st);
	if (st.conflicts > 0 && strategy == MERGE_STRATEGY_NONE)
		conflict_error(what, &st,
					   "List them with lakefs_merge_conflicts(), or resolve them with "
					   "strategy => 'source-wins' or 'dest-wins'.");
	if (message == NULL)
		message = psprintf(squash ? "Squash merge '%s' into '%s'" : "Merge '%s' into '%s'",
						   source_ref, dest);
	ev.message = message;
	ev.right_metarange = mr;
	hooks_fire(true, &ev);
	result->outcome = MERGE_COMMIT;
	result->changes = st.changes;
	ev.commit_id = commit_write_applied(repo, dest, parents, squash ? 1 : 2, mr, &st.apply,
										message, metadata, "merge");
	hooks_fire(false, &ev);
	return (char *) ev.commit_id;
}

/*
 * merge_conflicts_of_refs: call cb for every conflict that merging
 * source_ref into dest_ref (both as committed) would hit.
 */
void
merge_conflicts_of_refs(LkRepo *repo, const char *source_ref, const char *dest_ref,
						ConflictCallback cb, void *arg)
{
	LkRef		src;
	LkRef		dst;
	LkCommitId	base_id;

	refs_resolve(repo, source_ref, &src);
	refs_resolve(repo, dest_ref, &dst);
	if (!refs_merge_base(repo, dst.commit, src.commit, base_id))
		return;
	merge_scan_conflicts(repo, refs_get_commit(repo, base_id)->metarange_id,
						 refs_get_commit(repo, src.commit)->metarange_id,
						 refs_get_commit(repo, dst.commit)->metarange_id, cb, arg);
}

/*
 * apply_commit_delta: apply the change from tree "from" to tree "to" onto
 * the branch head as a new single-parent commit (revert, cherry-pick).
 * Raises ERRCODE_LAKEFS_MERGE_CONFLICT on conflicts and
 * ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE when nothing would change.
 */
static char *
apply_commit_delta(LkRepo *repo, LkCommit *head, const char *branch, const char *op,
				   const char *what, const uint8 *from, const uint8 *to,
				   const char *message, Jsonb *metadata)
{
	MergeStats	st;
	uint8		mr[LK_ID_LEN];

	merge_trees(repo, from, to, head->metarange_id, MERGE_STRATEGY_NONE, mr, &st);
	log_merge(what, &st);
	if (st.conflicts > 0)
		conflict_error(what, &st,
					   "The branch changed these paths since; change them back, or "
					   "resolve by hand and commit.");
	if (memcmp(mr, head->metarange_id, LK_ID_LEN) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s changes nothing", what),
				 errdetail("The branch already has the result.")));
	return commit_write_applied(repo, branch, &head, 1, mr, &st.apply, message, metadata, op);
}

/* metadata plus one string field (jsonb || {"key": "value"}) */
static Jsonb *
metadata_with(Jsonb *md, const char *key, const char *value)
{
	char	   *json = psprintf("{\"%s\": \"%s\"}", key, value);
	Datum		extra = DirectFunctionCall1(jsonb_in, CStringGetDatum(json));

	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(md), extra));
}

static LkCommit *
commit_parent(LkRepo *repo, LkCommit *c, const char *ref, int n)
{
	if (n == PARENT_NUMBER_NONE && c->nparents > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("commit \"%s\" is a merge commit and no parent_number was given", ref),
				 errdetail("A merge commit has %d parents; its change depends on the parent "
						   "it is taken against.", c->nparents),
				 errhint("Pass parent_number => 1 for the change against its first parent "
						 "(git's -m 1).")));
	if (n == PARENT_NUMBER_NONE)
		n = 1;
	if (c->nparents == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("commit \"%s\" has no parent", ref),
				 errdetail("It is the first commit of the repository.")));
	if (n < 1 || n > c->nparents)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parent number %d is out of range for commit \"%s\"", n, ref),
				 errhint("The commit has %d parent(s), numbered from 1.", c->nparents)));
	return refs_get_commit(repo, c->parents[n - 1]);
}

/*
 * revert_on_branch: undo commit_ref's change (against its parent number
 * parent_number, git's -m; PARENT_NUMBER_NONE for a commit with one parent:
 * a merge commit then raises 22023) on branch; returns the new commit id.
 */
char *
revert_on_branch(LkRepo *repo, const char *branch, const char *commit_ref,
				 int parent_number)
{
	LkCommit   *head = lock_clean_branch(repo, branch, "revert");
	LkRef		ref;
	LkCommit   *c;
	LkCommit   *parent;

	refs_resolve(repo, commit_ref, &ref);
	c = refs_get_commit(repo, ref.commit);
	parent = commit_parent(repo, c, commit_ref, parent_number);
	return apply_commit_delta(repo, head, branch, "revert",
							  psprintf("revert of \"%s\" on branch \"%s\"", commit_ref, branch),
							  c->metarange_id, parent->metarange_id,
							  psprintf("Revert \"%s\"", c->message),
							  metadata_with(DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																			   CStringGetDatum("{}"))),
											"reverted_commit", c->id));
}

/*
 * cherry_pick_on_branch: apply commit_ref's change (against its parent
 * number parent_number, git's -m; PARENT_NUMBER_NONE for a commit with one
 * parent) on branch, keeping its message and metadata (plus
 * "cherry_picked_from"); returns the new commit id.
 */
char *
cherry_pick_on_branch(LkRepo *repo, const char *branch, const char *commit_ref,
					  int parent_number)
{
	LkCommit   *head = lock_clean_branch(repo, branch, "cherry-pick");
	LkRef		ref;
	LkCommit   *c;
	LkCommit   *parent;

	refs_resolve(repo, commit_ref, &ref);
	c = refs_get_commit(repo, ref.commit);
	parent = commit_parent(repo, c, commit_ref, parent_number);
	return apply_commit_delta(repo, head, branch, "cherry-pick",
							  psprintf("cherry-pick of \"%s\" onto branch \"%s\"",
									   commit_ref, branch),
							  parent->metarange_id, c->metarange_id, c->message,
							  metadata_with(c->metadata, "cherry_picked_from", c->id));
}
