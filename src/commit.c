/*-------------------------------------------------------------------------
 *
 * commit.c
 *		Applying sorted changes to a tree; creating commits.
 *
 * tree_apply_changes is the heart of commit (and of merge, revert and
 * import): it walks the base metarange and the sorted changes together.
 * A base range that no change falls into is reused by id, unread, as long as
 * the range writer is aligned (holds no pending entries); likewise a whole
 * index node of any level (the highest that fits, manifest.h), unread, when
 * the builder holds nothing below that level either, so only the nodes on
 * the paths to the changed ranges are read and written. A range that a
 * change falls into is decoded, merged with its changes, and re-chunked;
 * because boundaries are content-defined the writer re-aligns at the next
 * boundary key, after which reuse resumes. Cost: O(changes + ranges they
 * touch), plus one pass over the metarange's descriptors.
 *
 * A change whose entry has the content of the base entry at its path
 * (entries_equal, lakeFS's entry identity) is no change: the base entry, with
 * its physical address and last-modified time, stays in the tree, as
 * lakeFS's committer writes the base record when the identities match
 * (pkg/graveler/committed/commit.go, applyNextKey). So re-uploading the same
 * bytes and committing leaves the tree as it was ("no changes" unless
 * allow_empty), and the re-uploaded object is referenced by nothing once the
 * staging is gone: GC collects it as uncommitted garbage.
 *
 * Range i of a tree covers the keys in (max key of range i-1, max key of
 * range i]; the last range also covers everything above, and so does the
 * last node of every level. Appending to a tree (an experiment's outputs
 * under a new prefix, a log) would then rewrite the whole right edge, the
 * last range and the last node of every level, however little it adds.
 * Instead a last range or node that holds at least an average one's worth
 * (sealed_tail) is reused by id when every change left is above it, and the
 * appended entries start a range and nodes of their own after it; a smaller
 * one is rewritten with them, so appends still fill ranges and nodes of the
 * usual size.
 *
 * commit_on_branch locks the branch row first, so concurrent commits to one
 * branch serialize and see each other's heads; other branches don't wait.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "chunker.h"
#include "commit.h"
#include "diff.h"
#include "gc.h"
#include "governance.h"
#include "history.h"
#include "manifest.h"
#include "metrics.h"
#include "refs.h"
#include "staging.h"

/* note that the change at path altered the tree (ApplyStats.changed) */
static void
note_changed(ApplyStats *stats, const char *path, uint32 len)
{
	if (stats->nchanged == HISTORY_MAX_PATHS)
	{
		stats->changed_overflow = true;
		return;
	}
	if (stats->changed == NULL)
		stats->changed = palloc(sizeof(char *) * HISTORY_MAX_PATHS);
	stats->changed[stats->nchanged++] = pnstrdup(path, len);
}

/* is the change above d's max key? */
static inline bool
change_above(const LkChange *ch, const RangeDesc *d)
{
	return lk_keycmp(ch->entry.path, ch->entry.path_len, d->max_key, d->max_len) > 0;
}

/* feed the writer the entries of base range i merged with its changes */
static void
apply_range(TreeReader *base, uint32 i, bool last, RangeWriter *rw,
			ChangeSource *src, LkChange *ch, bool *have_ch, ApplyStats *stats)
{
	const RangeDesc *d = tree_desc(base, i);
	bytea	   *data = tree_load_range(base, i);
	RangeReader r;
	LakefsEntry e;
	bool		have_e;
	int			rc;

	tree_range_reader(data, &r);
	rc = range_reader_next(&r, &e);
	have_e = rc == LK_CODEC_OK;
	for (;;)
	{
		bool		ch_here = *have_ch && (last || !change_above(ch, d));
		int			c;

		if (!have_e && !ch_here)
			break;
		c = !have_e ? 1 : !ch_here ? -1 :
			lk_keycmp(e.path, e.path_len, ch->entry.path, ch->entry.path_len);
		if (c < 0)
			range_writer_add(rw, &e);
		else if (c == 0 && !ch->tombstone && entries_equal(&e, &ch->entry))
		{
			/* the same content (lakeFS's identity): keep the base entry */
			range_writer_add(rw, &e);
			stats->same_content++;
			*have_ch = src->next(src->arg, ch);
		}
		else
		{
			if (!ch->tombstone)
				range_writer_add(rw, &ch->entry);
			if (c == 0 || !ch->tombstone)
				note_changed(stats, ch->entry.path, ch->entry.path_len);
			stats->changes++;
			*have_ch = src->next(src->arg, ch);
		}
		if (c <= 0)
		{
			rc = range_reader_next(&r, &e);
			if (rc != LK_CODEC_OK && rc != LK_CODEC_END)
				lakefs_codec_error(rc, "range", d->id);
			have_e = rc == LK_CODEC_OK;
		}
	}
	pfree(data);
}

/*
 * sealed_tail: may the last range (level 0) or index node of its level,
 * described by d, be closed for good, with changes above its max key going
 * to new ones after it? When it holds at least the average a range has
 * entries (pg_lakefs.range_size_bits) or a node of its level has ranges
 * below it (pg_lakefs.index_node_size_bits a level).
 */
static bool
sealed_tail(const RangeDesc *d, uint32 level)
{
	uint32		bits = level == 0 ? (uint32) chunk_avg_bits :
		(uint32) chunk_node_bits * level;

	if (bits >= 63)
		return false;
	return (level == 0 ? d->count : d->leaves) >= (UINT64CONST(1) << bits);
}

/*
 * reusable_node: the highest index node of base that starts at range i, that
 * no change falls into (the next change, if any, is past its max key, and,
 * while changes remain, it is not the last node of its level, which covers
 * everything above, unless sealed_tail) and that the builder can take whole;
 * NULL for none.
 */
static const TreeNode *
reusable_node(TreeReader *base, MetarangeBuilder *mb, uint32 i, bool have_ch,
			  const LkChange *ch)
{
	for (uint32 level = base->height - 1; level >= 1; level--)
	{
		const TreeNode *node = tree_node_at(base, i, level);

		if (node == NULL || !metarange_builder_can_add_node(mb, level))
			continue;
		if (!have_ch ||
			(change_above(ch, &node->desc) &&
			 (node->first + node->desc.leaves < base->n ||
			  sealed_tail(&node->desc, level))))
			return node;
	}
	return NULL;
}

/*
 * tree_apply_changes: the tree of base_metarange with every change of src
 * applied, stored; its metarange id into out_metarange. Tombstones for
 * absent paths are no-ops. Throws on catalog corruption or unsorted input.
 */
void
tree_apply_changes(int32 repo_id, const uint8 *base_metarange, ChangeSource *src,
				   uint8 *out_metarange, ApplyStats *stats)
{
	TreeReader *base = tree_open(repo_id, base_metarange);
	MetarangeBuilder mb;
	RangeWriter rw;
	LkChange	ch;
	bool		have_ch;

	memset(stats, 0, sizeof(*stats));
	metarange_builder_init(&mb, repo_id);
	range_writer_init(&rw, &mb);
	have_ch = src->next(src->arg, &ch);
	for (uint32 i = 0; i < base->n;)
	{
		const TreeNode *node = rw.count == 0 ? reusable_node(base, &mb, i, have_ch, &ch) :
			NULL;
		const RangeDesc *d;
		bool		last;
		bool		touched;

		CHECK_FOR_INTERRUPTS();
		if (node)
		{
			/* a whole subtree no change falls into: reused by id, unread */
			metarange_builder_add_node(&mb, node);
			stats->ranges_reused += node->desc.leaves;
			i += (uint32) node->desc.leaves;
			continue;
		}
		d = tree_desc(base, i);
		last = i == base->n - 1;
		touched = have_ch && (!change_above(&ch, d) || (last && !sealed_tail(d, 0)));
		if (!touched && rw.count == 0)
		{
			metarange_builder_add(&mb, d);
			stats->ranges_reused++;
			i++;
			continue;
		}
		apply_range(base, i, last, &rw, src, &ch, &have_ch, stats);
		i++;
	}
	/* an empty base tree, or changes above a sealed tail: every change is new */
	for (; have_ch; have_ch = src->next(src->arg, &ch))
	{
		if (!ch.tombstone)
		{
			range_writer_add(&rw, &ch.entry);
			note_changed(stats, ch.entry.path, ch.entry.path_len);
		}
		stats->changes++;
	}
	range_writer_flush(&rw);
	/*
	 * No change: the base tree itself, whatever format it was written in
	 * (callers test "changes nothing" by id).
	 */
	if (stats->changes == 0)
		memcpy(out_metarange, base_metarange, LK_ID_LEN);
	else
		metarange_builder_finish(&mb, out_metarange);
	stats->ranges_written = mb.ranges_written;
	stats->entries = mb.entries;
}

/* ---- staging as a change source ---- */

static bool
staging_next(void *arg, LkChange *out)
{
	const LkStagedEntry *s = staging_cursor_next((StagingCursor *) arg);

	if (s == NULL)
		return false;
	out->entry = s->entry;
	out->tombstone = s->tombstone;
	return true;
}

ChangeSource *
staging_change_source(int32 repo_id, const char *branch, const char *from)
{
	ChangeSource *src = palloc(sizeof(ChangeSource));

	src->next = staging_next;
	src->arg = staging_cursor_open(repo_id, branch, from);
	return src;
}

/* ---- commits ---- */

/*
 * commit_compute_id: the id of commit c into out: the SHA-256 (lower-case
 * hex) of a canonical serialization of every field but c->id. Allocates
 * only temporary memory, which it frees; throws only on out-of-memory.
 */
void
commit_compute_id(const LkCommit *c, LkCommitId out)
{
	StringInfoData buf;
	char		mr_hex[LK_ID_HEX_LEN + 1];
	uint8		id[LK_ID_LEN];

	lk_hex(c->metarange_id, LK_ID_LEN, mr_hex);
	initStringInfo(&buf);
	appendStringInfo(&buf, "lakefs commit v1\nmetarange %s\n", mr_hex);
	for (int i = 0; i < c->nparents; i++)
		appendStringInfo(&buf, "parent %s\n", c->parents[i]);
	appendStringInfo(&buf, "committer %s\ncreated " INT64_FORMAT "\ngeneration %d\n",
					 c->committer, (int64) c->created_at, c->generation);
	appendStringInfo(&buf, "metadata %s\nmessage %s",
					 JsonbToCString(NULL, &c->metadata->root, VARSIZE(c->metadata)),
					 c->message);
	lk_sha256(buf.data, buf.len, id);
	lk_hex(id, LK_ID_LEN, out);
	pfree(buf.data);
}

/*
 * commit_create: fill in c->id (commit_compute_id) and store the commit;
 * false when that very commit was stored already.
 */
bool
commit_create(LkRepo *repo, LkCommit *c)
{
	commit_compute_id(c, c->id);
	return catalog_insert_commit(repo->id, c);
}

/*
 * commit_write: the one place a commit is assembled. Creates the commit of
 * tree metarange with the given parents (the first is the branch's head when
 * a branch moves; none for a repository's first commit) and, when branch is
 * not NULL, moves the branch to it (the caller holds its writer lock).
 * Returns the new id, palloc'd. The committer is the session user (the role
 * that logged in, unchanged by SET ROLE or SECURITY DEFINER functions); the
 * generation is 1 + the parents' largest. Throws on catalog errors.
 * commit_write_op names the head move for the reflog (catalog.h's list);
 * commit_write is commit_write_op(..., "commit").
 */
char *
commit_write(LkRepo *repo, const char *branch, LkCommit *const *parents, int nparents,
			 const uint8 *metarange, const char *message, Jsonb *metadata)
{
	return commit_write_op(repo, branch, parents, nparents, metarange, message, metadata,
						   "commit");
}

char *
commit_write_op(LkRepo *repo, const char *branch, LkCommit *const *parents, int nparents,
				const uint8 *metarange, const char *message, Jsonb *metadata,
				const char *operation)
{
	return commit_write_applied(repo, branch, parents, nparents, metarange, NULL, message,
								metadata, operation);
}

/*
 * commit_write_applied: commit_write_op of a tree that tree_apply_changes
 * made from the first parent's; applied (its stats, or NULL) lists the
 * paths it changed, for the history index.
 */
char *
commit_write_applied(LkRepo *repo, const char *branch, LkCommit *const *parents,
					 int nparents, const uint8 *metarange, const ApplyStats *applied,
					 const char *message, Jsonb *metadata, const char *operation)
{
	LkCommit	c;

	memset(&c, 0, sizeof(c));
	c.nparents = nparents;
	c.parents = palloc(sizeof(LkCommitId) * Max(nparents, 1));
	c.generation = 0;
	for (int i = 0; i < nparents; i++)
	{
		memcpy(c.parents[i], parents[i]->id, sizeof(LkCommitId));
		c.generation = Max(c.generation, parents[i]->generation);
	}
	c.generation++;
	memcpy(c.metarange_id, metarange, LK_ID_LEN);
	c.message = (char *) message;
	c.committer = GetUserNameFromId(GetSessionUserId(), false);
	c.metadata = metadata;
	c.created_at = GetCurrentTimestamp();
	/* a commit stored before was indexed with it */
	if (commit_create(repo, &c))
		history_index_commit(repo, &c, nparents > 0 ? parents[0] : NULL, applied, true);
	if (branch != NULL)
		catalog_set_branch_head(repo->id, branch, c.id, operation);
	return pstrdup(c.id);
}

/*
 * commit_changes: apply src to the tree of the branch's head (the caller
 * holds the branch's writer lock and passes its head) and commit the result
 * on the branch; returns the new commit id. Unless allow_empty, a result
 * equal to the head's tree, or no change applied, raises
 * ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE.
 * The pre-commit hooks run before the head moves (they may raise), the
 * post-commit hooks after.
 * commit_changes_op names the head move for the reflog (commit_changes:
 * "commit").
 */
char *
commit_changes(LkRepo *repo, const char *branch, const char *head, ChangeSource *src,
			   const char *message, Jsonb *metadata, bool allow_empty, ApplyStats *stats)
{
	return commit_changes_op(repo, branch, head, src, message, metadata, allow_empty,
							 stats, "commit");
}

char *
commit_changes_op(LkRepo *repo, const char *branch, const char *head, ChangeSource *src,
				  const char *message, Jsonb *metadata, bool allow_empty,
				  ApplyStats *stats, const char *operation)
{
	LkCommit   *parent = refs_get_commit(repo, head);
	uint8		metarange[LK_ID_LEN];
	HookEvent	ev;

	tree_apply_changes(repo->id, parent->metarange_id, src, metarange, stats);
	/*
	 * Empty: the same tree, or no path changed (every staged entry had the
	 * committed content, every tombstone was of an absent path). The latter
	 * can still give another metarange when this session's
	 * pg_lakefs.range_size_bits or metarange_format re-cuts the touched
	 * ranges or writes the tree in the other format.
	 */
	if (!allow_empty && ((stats->nchanged == 0 && !stats->changed_overflow) ||
						 memcmp(metarange, parent->metarange_id, LK_ID_LEN) == 0))
	{
		bool		staged = stats->changes > 0 || stats->same_content > 0;

		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no changes to commit on branch \"%s\"", branch),
				 staged ? errdetail("The changes leave the tree as it was.") : 0,
				 errhint("Stage objects first, or pass allow_empty => true.")));
	}
	memset(&ev, 0, sizeof(ev));
	ev.repo = repo;
	ev.event = "commit";
	ev.branch = branch;
	ev.message = message;
	ev.metadata = metadata;
	ev.left_metarange = parent->metarange_id;
	ev.right_metarange = metarange;
	hooks_fire(true, &ev);
	ev.commit_id = commit_write_applied(repo, branch, &parent, 1, metarange, stats, message,
										metadata, operation);
	hooks_fire(false, &ev);
	return (char *) ev.commit_id;
}

/*
 * lock_branch: the one way a writer takes a branch: its writer lock (FOR NO
 * KEY UPDATE on the branch row, held to the end of the transaction), and
 * its head into head. Staging, commit, merge, revert, cherry-pick, import,
 * reset and branch deletion all take it, so the writers of one branch
 * serialize and those of different branches never wait on each other.
 * Throws ERRCODE_UNDEFINED_OBJECT for an unknown branch; first, 42501
 * without write on the branch or when a protection rule matches it, 55006
 * while a hook of the branch runs (governance_check_writer).
 */
static void
lock_branch_for(LkRepo *repo, const char *branch, LkCommitId head, const char *op)
{
	governance_check_writer(repo->id, branch, op);
	gc_catalog_writer_lock(repo->id);	/* ranges it reuses survive GC */
	if (!catalog_get_branch(repo->id, branch, BRANCH_LOCK_UPDATE, head))
		no_such_branch(repo, branch);
}

/*
 * no_such_branch: the error of a write to a branch that does not exist
 * (ERRCODE_UNDEFINED_OBJECT); when a tag has the name, it says that tags are
 * read-only rather than suggesting to create a branch that would clash.
 */
void
no_such_branch(LkRepo *repo, const char *branch)
{
	LkCommitId	commit;

	if (catalog_get_tag(repo->id, branch, commit))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("branch \"%s\" not found in repository \"%s\"", branch, repo->name),
				 errdetail("\"%s\" is a tag, and tags are read-only.", branch),
				 errhint("Write to a branch; lakefs_create_branch(repository, name, '%s') "
						 "makes one at the tag.", branch)));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("branch \"%s\" not found in repository \"%s\"", branch, repo->name),
			 errhint("Create it with lakefs_create_branch().")));
}

void
lock_branch(LkRepo *repo, const char *branch, LkCommitId head)
{
	lock_branch_for(repo, branch, head, NULL);
}

/*
 * lock_clean_branch: lock_branch for an operation (op, e.g. "merge") that
 * moves the head to a tree of its own and so needs a branch without staged
 * changes: throws ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE otherwise.
 * Returns the head commit (shared, read-only: see refs_get_commit).
 * Protected branches admit only op "merge" and "revert" (lakeFS semantics).
 */
LkCommit *
lock_clean_branch(LkRepo *repo, const char *branch, const char *op)
{
	LkCommitId	head;

	lock_branch_for(repo, branch, head, op);
	if (staging_has_changes(repo->id, branch))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("branch \"%s\" has uncommitted changes", branch),
				 errdetail("The %s needs a branch without staged changes.", op),
				 errhint("Commit them with lakefs_commit() or drop them with lakefs_reset().")));
	return refs_get_commit(repo, head);
}

/*
 * commit_on_branch: commit the branch's staged changes; returns the new
 * commit id. Raises ERRCODE_UNDEFINED_OBJECT for an unknown branch and
 * ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE when there is nothing to commit
 * (unless allow_empty, or metrics are staged: they move to the new commit).
 */
char *
commit_on_branch(LkRepo *repo, const char *branch, const char *message,
				 Jsonb *metadata, bool allow_empty, ApplyStats *stats)
{
	LkCommitId	head;
	ChangeSource *src;
	char	   *id;

	lock_branch(repo, branch, head);
	src = staging_change_source(repo->id, branch, NULL);
	/* staged metrics alone make a commit too; they move to it (metrics.c) */
	id = commit_changes(repo, branch, head, src, message, metadata,
						allow_empty || metrics_staged(repo->id, branch), stats);
	staging_cursor_close((StagingCursor *) src->arg);
	(void) staging_reset(repo->id, branch, NULL);
	(void) metrics_commit(repo->id, branch, id);
	return id;
}
