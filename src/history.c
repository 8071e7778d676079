/*-------------------------------------------------------------------------
 *
 * history.c
 *		The history index: which paths each commit changed against its first
 *		parent, written when the commit is (commit_write_op: commit, merge,
 *		revert, cherry-pick, import), backfilled once for commits written
 *		before it existed; and path history (lakefs_log's paths/prefixes)
 *		read from it.
 *
 * Writing diffs the first parent's tree against the new one (range pairs
 * with equal ids passed unread, diff.c), so a commit pays O(ranges it
 * changed + changes) more, whatever wrote it. Rows go to the catalog in
 * batches of HISTORY_BATCH paths.
 *
 * Reading: the index gives the candidate commits of the paths (those that
 * changed them, on any branch); the log walk keeps the candidates it
 * reaches and stops below the lowest candidate generation, so a path's
 * history never decodes a tree.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "catalog_history.h"
#include "diff.h"
#include "history.h"
#include "manifest.h"
#include "refs.h"

#define HISTORY_BATCH 10000

/*
 * history_index_commit: record the paths c changed against parent (NULL:
 * against the empty tree). Nothing when the schema has no index (0.1.0).
 * fresh: c was just inserted, so none of its rows exist (catalog_history_add).
 * Temporary memory is freed; throws on catalog errors.
 */
void
history_index_commit(LkRepo *repo, const LkCommit *c, const LkCommit *parent, bool fresh)
{
	MemoryContext cxt;
	MemoryContext old;
	TreeDiff	d;
	DiffRecord	rec;
	uint8		empty[LK_ID_LEN];
	char	  **paths;
	int			n = 0;

	if (!catalog_has_history_index())
		return;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "lakefs history index",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	if (parent == NULL)
		tree_empty_metarange(repo->id, empty);
	tree_diff_init(&d, tree_open(repo->id, parent ? parent->metarange_id : empty),
				   tree_open(repo->id, c->metarange_id), "");
	paths = palloc(sizeof(char *) * HISTORY_BATCH);
	while (tree_diff_next(&d, &rec))
	{
		const LakefsEntry *e = rec.left ? rec.left : rec.right;

		paths[n++] = pnstrdup(e->path, e->path_len);
		if (n == HISTORY_BATCH)
		{
			catalog_history_add(repo->id, c->id, c->generation, paths, n, fresh);
			for (int i = 0; i < n; i++)
				pfree(paths[i]);
			n = 0;
		}
	}
	if (n > 0)
		catalog_history_add(repo->id, c->id, c->generation, paths, n, fresh);
	tree_diff_end(&d);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/*
 * history_backfill: index every commit of every repository (the upgrade to
 * 0.2.0 runs it once; rows already there are kept).
 */
void
history_backfill(void)
{
	char	  **repos;
	char	  **ids;
	int			n;
	LkRepo	   *repo = NULL;

	catalog_all_commits(&repos, &ids, &n);
	for (int i = 0; i < n; i++)
	{
		LkCommit   *c;

		CHECK_FOR_INTERRUPTS();
		if (repo == NULL || strcmp(repo->name, repos[i]) != 0)
			repo = catalog_get_repo(repos[i], false);
		c = refs_get_commit(repo, ids[i]);
		history_index_commit(repo, c,
							 c->nparents > 0 ? refs_get_commit(repo, c->parents[0]) : NULL,
							 false);
	}
}

/* the key after every path that starts with prefix, NULL for none */
static char *
prefix_end(const char *prefix)
{
	size_t		len = strlen(prefix);
	char	   *s = pstrdup(prefix);

	while (len > 0 && (uint8) s[len - 1] == 0xff)
		len--;
	if (len == 0)
		return NULL;
	s[len - 1]++;
	s[len] = '\0';
	return s;
}

/*
 * history_candidates: the commits of generation <= max_generation that
 * changed one of paths or a path under one of prefixes, as a hash keyed by
 * LkCommitId (in the current context); their lowest generation into
 * *min_generation (INT32_MAX when none).
 */
HTAB *
history_candidates(LkRepo *repo, char **paths, int npaths, char **prefixes,
				   int nprefixes, int32 max_generation, int32 *min_generation)
{
	HASHCTL		ctl;
	HTAB	   *h;
	char	  **ends = palloc(sizeof(char *) * Max(nprefixes, 1));

	ctl.keysize = sizeof(LkCommitId);
	ctl.entrysize = sizeof(LkCommitId);
	ctl.hcxt = CurrentMemoryContext;
	h = hash_create("lakefs path history", 64, &ctl,
					HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	for (int i = 0; i < nprefixes; i++)
		ends[i] = prefix_end(prefixes[i]);
	*min_generation = PG_INT32_MAX;
	catalog_history_candidates(repo->id, paths, npaths, prefixes, ends, nprefixes,
							   max_generation, h, min_generation);
	return h;
}
