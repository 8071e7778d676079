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
 * changed + changes) more, whatever wrote it. A commit that changed at most
 * HISTORY_MAX_PATHS paths gets one row per path; a bigger one (a bulk load,
 * an import, a rewrite) gets one marker row with the empty path, which no
 * entry can have, and its diff stops there: a million-path commit writes one
 * row, not a million (they were most of its time and WAL).
 *
 * Reading: the index gives the candidate commits of the paths (those that
 * changed them, on any branch) and the marker commits; the log walk keeps
 * the candidates it reaches, checks each marker commit it reaches against
 * its first parent (a seek per path or prefix: lakeFS answers every commit
 * of a path history this way), and stops below the lowest candidate or
 * marker generation, so a path's history decodes at most the ranges that
 * hold the path in the marker commits.
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

/*
 * history_index_commit: record the paths c changed against parent (NULL:
 * against the empty tree), or a marker row when there are more than
 * HISTORY_MAX_PATHS. applied, when not NULL, lists them already (c's tree
 * is tree_apply_changes of parent's: ApplyStats.changed); else the two
 * trees are diffed. Nothing when the schema has no index (0.1.0).
 * fresh: c was just inserted, so none of its rows exist (catalog_history_add).
 * Temporary memory is freed; throws on catalog errors.
 */
void
history_index_commit(LkRepo *repo, const LkCommit *c, const LkCommit *parent,
					 const ApplyStats *applied, bool fresh)
{
	MemoryContext cxt;
	MemoryContext old;
	TreeDiff	d;
	DiffRecord	rec;
	uint8		empty[LK_ID_LEN];
	char	  **paths;
	int			n = 0;
	bool		many = false;

	if (!catalog_has_history_index())
		return;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "lakefs history index",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	if (applied != NULL)
	{
		paths = applied->changed;
		n = applied->nchanged;
		many = applied->changed_overflow;
	}
	else
	{
		if (parent == NULL)
			tree_empty_metarange(repo->id, empty);
		tree_diff_init(&d, tree_open(repo->id, parent ? parent->metarange_id : empty),
					   tree_open(repo->id, c->metarange_id), "");
		paths = palloc(sizeof(char *) * HISTORY_MAX_PATHS);
		while (tree_diff_next(&d, &rec))
		{
			const LakefsEntry *e = rec.left ? rec.left : rec.right;

			if (n == HISTORY_MAX_PATHS)
			{
				many = true;
				break;
			}
			paths[n++] = pnstrdup(e->path, e->path_len);
		}
		tree_diff_end(&d);
	}
	if (many)
	{
		char	   *marker = "";

		catalog_history_add(repo->id, c->id, c->generation, &marker, 1, fresh);
	}
	else if (n > 0)
		catalog_history_add(repo->id, c->id, c->generation, paths, n, fresh);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* does the first diff record under prefix show a change at (exactly, when
 * exact) that path? Diff records come in path order and a path sorts before
 * every path it is a prefix of, so the first record decides. */
static bool
changed_under(TreeReader *left, TreeReader *right, const char *prefix,
			  bool exact)
{
	TreeDiff	d;
	DiffRecord	rec;
	bool		found;

	tree_diff_init(&d, left, right, prefix);
	found = tree_diff_next(&d, &rec);
	if (found && exact)
	{
		const LakefsEntry *e = rec.left ? rec.left : rec.right;

		found = e->path_len == strlen(prefix) && memcmp(e->path, prefix, e->path_len) == 0;
	}
	tree_diff_end(&d);
	return found;
}

/*
 * history_commit_changes: did c change one of paths[npaths] or a path under
 * one of prefixes[nprefixes] against its first parent (the empty tree for a
 * root commit)? For the marker commits of history_candidates. Memory is
 * freed; throws on catalog errors.
 */
bool
history_commit_changes(LkRepo *repo, const LkCommit *c, char **paths, int npaths,
					   char **prefixes, int nprefixes)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "lakefs path check",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	uint8		empty[LK_ID_LEN];
	TreeReader *left;
	TreeReader *right;
	bool		changed = false;

	if (c->nparents == 0)
		tree_empty_metarange(repo->id, empty);
	left = tree_open(repo->id, c->nparents > 0 ?
					 refs_get_commit(repo, c->parents[0])->metarange_id : empty);
	right = tree_open(repo->id, c->metarange_id);
	for (int i = 0; i < npaths && !changed; i++)
		changed = paths[i][0] != '\0' && changed_under(left, right, paths[i], true);
	for (int i = 0; i < nprefixes && !changed; i++)
		changed = changed_under(left, right, prefixes[i], false);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return changed;
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
							 NULL, false);
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
 * changed one of paths or a path under one of prefixes, and the marker
 * commits (too many changes to index: check them with
 * history_commit_changes), as a hash of HistoryCandidate keyed by LkCommitId
 * (in the current context); their lowest generation into *min_generation
 * (INT32_MAX when none).
 */
HTAB *
history_candidates(LkRepo *repo, char **paths, int npaths, char **prefixes,
				   int nprefixes, int32 max_generation, int32 *min_generation)
{
	HASHCTL		ctl;
	HTAB	   *h;
	char	  **ends = palloc(sizeof(char *) * Max(nprefixes, 1));

	ctl.keysize = sizeof(LkCommitId);
	ctl.entrysize = sizeof(HistoryCandidate);
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
