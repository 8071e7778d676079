/*-------------------------------------------------------------------------
 *
 * refs.c
 *		Resolving ref expressions, walking history, finding merge bases.
 *
 * A ref expression is a base followed by modifiers:
 *   base       a branch, a tag, a full commit id or a unique prefix of one
 *              (1 to 64 lower-case hex digits, as lakeFS's ref resolution:
 *              pkg/graveler/ref/resolve_ref.go, ^[a-fA-F0-9]{1,64}$), looked
 *              up in that order; "branch@"
 *              is the branch's committed head, without its staged changes
 *   @{N}       right after a branch name: its head N moves ago in the reflog
 *              (@{0} the current head), as git's
 *   @{time}    right after a branch name: its head at that instant (any
 *              timestamptz input), also for a branch deleted since
 *   ~N         the N-th first-parent ancestor ("~" alone is ~1)
 *   ^N         the N-th parent ("^" alone is ^1, ^0 the commit itself)
 *
 * History walks use generation numbers (1 + the largest parent
 * generation): a max-heap on (generation, created_at, id) visits every
 * commit after all of its descendants, so a walk can stop early.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "lib/pairingheap.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "catalog_history.h"
#include "names.h"
#include "refs.h"

static bool
is_hex_lower(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * The commit rows read in this (sub)transaction, by (repository, id), so that
 * one merge, revert or log reads each commit row once. Commits never change,
 * but one inserted by a subtransaction that rolls back must not be served
 * later: the cache lives for one (sub)transaction and is dropped when
 * another one asks. It stops growing at COMMIT_CACHE_MAX entries.
 */
#define COMMIT_CACHE_MAX 8192

typedef struct CommitCacheKey
{
	int32		repo_id;
	LkCommitId	id;
} CommitCacheKey;

typedef struct CommitCacheEntry
{
	CommitCacheKey key;
	LkCommit   *commit;
} CommitCacheEntry;

static HTAB *commit_cache;
static MemoryContext commit_cache_cxt;
static LocalTransactionId commit_cache_lxid = InvalidLocalTransactionId;
static SubTransactionId commit_cache_subxid = InvalidSubTransactionId;

static HTAB *
commit_cache_get(void)
{
	HASHCTL		ctl;

	if (commit_cache != NULL && commit_cache_lxid == MyProc->lxid &&
		commit_cache_subxid == GetCurrentSubTransactionId())
		return commit_cache;
	if (commit_cache_cxt == NULL)
		commit_cache_cxt = AllocSetContextCreate(TopMemoryContext, "pg_lakefs commit cache",
												 ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(commit_cache_cxt);
	ctl.keysize = sizeof(CommitCacheKey);
	ctl.entrysize = sizeof(CommitCacheEntry);
	ctl.hcxt = commit_cache_cxt;
	commit_cache = hash_create("pg_lakefs commits", 64, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	commit_cache_lxid = MyProc->lxid;
	commit_cache_subxid = GetCurrentSubTransactionId();
	return commit_cache;
}

/*
 * refs_get_commit: the commit row id of repo, read at most once per
 * (sub)transaction. The result is shared and read-only: callers must not
 * modify or free it; it lives until the (sub)transaction ends. Throws
 * ERRCODE_DATA_CORRUPTED when the commit is missing.
 */
LkCommit *
refs_get_commit(LkRepo *repo, const char *id)
{
	HTAB	   *cache = commit_cache_get();
	CommitCacheKey key;
	CommitCacheEntry *hit;
	LkCommit   *c;

	memset(&key, 0, sizeof(key));
	key.repo_id = repo->id;
	strlcpy(key.id, id, sizeof(LkCommitId));
	hit = hash_search(cache, &key, HASH_FIND, NULL);
	if (hit != NULL)
		return hit->commit;
	if (hash_get_num_entries(cache) < COMMIT_CACHE_MAX)
	{
		MemoryContext old = MemoryContextSwitchTo(commit_cache_cxt);

		c = catalog_get_commit(repo->id, id);
		MemoryContextSwitchTo(old);
		if (c != NULL)
			((CommitCacheEntry *) hash_search(cache, &key, HASH_ENTER, NULL))->commit = c;
	}
	else
		c = catalog_get_commit(repo->id, id);

	if (c == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("commit %s of repository \"%s\" is missing", id, repo->name)));
	return c;
}

/* resolve the base of an expression; sets out->branch for a plain branch */
static bool
resolve_base(LkRepo *repo, const char *base, LkRef *out)
{
	size_t		len = strlen(base);
	bool		committed_only = len > 1 && base[len - 1] == '@';
	bool		staging = len > 1 && base[len - 1] == '$';	/* lakeFS's "branch$" */
	char	   *name = pnstrdup(base, committed_only || staging ? len - 1 : len);

	out->branch = NULL;
	if (catalog_get_branch(repo->id, name, BRANCH_LOCK_NONE, out->commit))
	{
		if (!committed_only)
			out->branch = name;
		return true;
	}
	if (committed_only || staging)
		return false;
	if (catalog_get_tag(repo->id, name, out->commit))
		return true;
	if (len >= 1 && len <= LK_ID_HEX_LEN && is_hex_lower(name, len))
	{
		LkCommitId	found;
		int			n = catalog_find_commit_prefix(repo->id, name, found);

		if (n > 1)
			ereport(ERROR,
					(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
					 errmsg("commit id prefix \"%s\" is ambiguous in repository \"%s\"",
							name, repo->name),
					 errhint("Give more hex digits of the commit id.")));
		if (n == 1)
		{
			memcpy(out->commit, found, sizeof(LkCommitId));
			return true;
		}
	}
	return false;
}

static int
parse_count(const char **p)
{
	long		n = 1;

	if (**p >= '0' && **p <= '9')
	{
		char	   *end;

		n = strtol(*p, &end, 10);
		*p = end;
	}
	return (int) Min(n, INT_MAX);
}

static bool
is_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * reflog_instant: the instant of a @{time} selector; 22007 naming the ref
 * expression (not only the selector) when sel is no timestamp.
 */
static TimestampTz
reflog_instant(const char *expr, const char *sel)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile TimestampTz at = 0;
	volatile bool bad = false;

	PG_TRY();
	{
		at = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(sel),
													 ObjectIdGetDatum(InvalidOid),
													 Int32GetDatum(-1)));
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		if (e->sqlerrcode != ERRCODE_INVALID_DATETIME_FORMAT &&
			e->sqlerrcode != ERRCODE_DATETIME_VALUE_OUT_OF_RANGE &&
			e->sqlerrcode != ERRCODE_DATETIME_FIELD_OVERFLOW)
			PG_RE_THROW();
		FlushErrorState();
		FreeErrorData(e);
		bad = true;
	}
	PG_END_TRY();
	if (bad)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("invalid reflog selector \"%s\" in ref expression \"%s\"", sel, expr),
				 errhint("A reflog selector is a count of moves back or an instant, e.g. "
						 "\"main@{1}\" or \"main@{2026-11-01 12:00:00+00}\".")));
	return at;
}

/*
 * resolve_reflog: branch@{sel}, sel a count of moves back or an instant.
 * 42704 for a branch with no reflog that does not exist, 22023 when the
 * reflog does not reach that far or the branch did not exist then, 22007
 * for a selector that is neither a count nor a timestamp.
 */
static void
resolve_reflog(LkRepo *repo, const char *expr, const char *branch, const char *sel,
			   LkRef *out)
{
	ReflogResult r;
	bool		exists = catalog_get_branch(repo->id, branch, BRANCH_LOCK_NONE, out->commit);

	out->branch = NULL;
	if (is_digits(sel))
	{
		long		n = strtol(sel, NULL, 10);

		r = catalog_reflog_nth(repo->id, branch, n, out->commit);
		if (r == REFLOG_NONE && n == 0 && exists)
			return;				/* no move recorded yet: @{0} is the head */
	}
	else
	{
		TimestampTz at = reflog_instant(expr, sel);

		r = catalog_reflog_at(repo->id, branch, at, out->commit);
	}
	if (r == REFLOG_HEAD)
		return;
	if (r == REFLOG_NONE && !exists && catalog_reflog_nth(repo->id, branch, 0,
														  out->commit) == REFLOG_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("branch \"%s\" not found in repository \"%s\"", branch, repo->name),
				 errdetail("The reflog has no moves of a branch of that name.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("ref \"%s\" does not exist", expr),
			 r == REFLOG_GONE ?
			 errdetail("Branch \"%s\" did not exist at that point of its reflog.", branch) :
			 errdetail("The reflog of branch \"%s\" does not reach back that far.", branch),
			 errhint("lakefs_reflog() lists the moves of a branch.")));
}

/*
 * refs_resolve: resolve expr in repo, or raise ERRCODE_UNDEFINED_OBJECT
 * (unknown ref), ERRCODE_AMBIGUOUS_PARAMETER (ambiguous prefix) or
 * ERRCODE_INVALID_PARAMETER_VALUE (bad modifier, or past the first commit).
 */
void
refs_resolve(LkRepo *repo, const char *expr, LkRef *out)
{
	const char *mod = expr + strcspn(expr, "~^");
	const char *brace = strstr(expr, "@{");
	char	   *base = pnstrdup(expr, mod - expr);

	if (brace != NULL && brace > expr && brace < mod)
	{
		const char *close = strchr(brace, '}');

		if (close == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid ref expression \"%s\"", expr),
					 errhint("A reflog selector is closed by \"}\", e.g. \"main@{1}\" or "
							 "\"main@{2026-11-01 12:00:00+00}\".")));
		resolve_reflog(repo, expr, pnstrdup(expr, brace - expr),
					   pnstrdup(brace + 2, close - brace - 2), out);
		mod = close + 1;
	}
	else if (base[0] == '\0' && expr[0] != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid ref expression \"%s\"", expr),
				 errhint("A ref expression starts with a branch, a tag or a commit id, "
						 "e.g. \"main~2\".")));
	else if (base[0] == '\0' || !resolve_base(repo, base, out))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("ref \"%s\" not found in repository \"%s\"", base, repo->name),
				 errhint("A ref is a branch, a tag, a commit id (or a unique prefix of "
						 "one), optionally followed by ~N or ^N.")));
	if (*mod)
		out->branch = NULL;
	while (*mod)
	{
		char		op = *mod++;
		int			n = parse_count(&mod);
		LkCommit   *c;

		if (op != '~' && op != '^')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid ref expression \"%s\"", expr),
					 errhint("Modifiers are ~N (N-th first-parent ancestor) and ^N "
							 "(N-th parent), e.g. \"main~2\" or \"main^2\".")));
		if (op == '^')
		{
			if (n == 0)
				continue;
			c = refs_get_commit(repo, out->commit);
			if (n > c->nparents)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("ref \"%s\" does not exist", expr),
						 errdetail("The commit before ^%d has %d parent(s).", n, c->nparents)));
			memcpy(out->commit, c->parents[n - 1], sizeof(LkCommitId));
			continue;
		}
		for (int i = 0; i < n; i++)
		{
			c = refs_get_commit(repo, out->commit);
			if (c->nparents == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("ref \"%s\" does not exist", expr),
						 errdetail("The history has only %d first-parent ancestor(s).", i)));
			memcpy(out->commit, c->parents[0], sizeof(LkCommitId));
		}
	}
}

/* ---- history walks ---- */

typedef struct WalkNode
{
	pairingheap_node ph;
	LkCommit   *commit;
	int			side;			/* merge base: bit 0 = reached from a, bit 1 = b */
} WalkNode;

typedef struct SeenEntry
{
	LkCommitId	id;				/* hash key */
	int			side;
	bool		queued;			/* in the heap (a log walk's count needs it) */
} SeenEntry;

/*
 * A log walk: side 1 = reachable from the head, 2 = from the excluded ref
 * (git's a..b); interesting counts the queued commits of side 1 only, and
 * the walk ends when none is left.
 */
struct CommitWalk
{
	LkRepo	   *repo;
	pairingheap *heap;
	HTAB	   *seen;
	bool		first_parent;
	bool		exclude;
	int64		interesting;
	HTAB	   *prefetched;		/* commits read ahead, by id (NULL: none yet) */
	int			chunk;			/* rows of the next read */
	int			window_hits;	/* windows that held the commit looked for */
	int			window_misses;	/* ... that did not */
	bool		chains_only;	/* no more windows */
};

/*
 * A walk reads commit rows ahead, 16 at first, then doubling up to 1024 per
 * statement, instead of one round trip per commit. A parent missing from the
 * cache is read with a window of the commits just below its child's
 * generation (catalog_get_commits_below: one index range scan, cheap per
 * row); a commit's first parent is usually there (a one-parent commit's
 * parent is exactly one generation below it). When it is not (a merge's
 * second parent far below, more parallel commits at that depth than the
 * window holds) the commit is read with its first-parent chain (a recursive
 * statement, one index descent per commit: tens of times the cost per row of
 * a window); once the misses of its windows outnumber the hits by more than
 * two, or without the index (a 0.1.0 schema), the walk reads chains only.
 */
#define WALK_PREFETCH_MIN 16
#define WALK_PREFETCH_MAX 1024

typedef struct PrefetchEntry
{
	LkCommitId	id;				/* hash key */
	LkCommit   *commit;
} PrefetchEntry;

/*
 * walk_read: read commits ahead for a walk that misses id: a window of the
 * commits below generation below (when given and windows pay off), else id
 * and its first-parent chain. Each row goes into the commit cache, or, when
 * that is full, into the walk's read-ahead. Returns id's row, or NULL when
 * the rows read do not include it (a window without it).
 */
static LkCommit *
walk_read(CommitWalk *w, const char *id, int32 below)
{
	HTAB	   *cache = commit_cache_get();
	bool		to_cache = hash_get_num_entries(cache) + w->chunk <= COMMIT_CACHE_MAX;
	MemoryContext old = MemoryContextSwitchTo(to_cache ? commit_cache_cxt :
											  CurrentMemoryContext);
	bool		window = below > 1 && !w->chains_only;
	CommitCacheKey key;
	LkCommit  **rows;
	LkCommit   *want = NULL;
	int			n = -1;

	if (window)
		n = catalog_get_commits_below(w->repo->id, below, w->chunk, &rows);
	if (n < 0)
	{
		window = false;			/* no index (0.1.0 schema): chains only */
		w->chains_only = true;
		n = catalog_get_commit_chain(w->repo->id, id, w->chunk, &rows);
	}
	MemoryContextSwitchTo(old);
	if (!to_cache && w->prefetched == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(LkCommitId);
		ctl.entrysize = sizeof(PrefetchEntry);
		ctl.hcxt = CurrentMemoryContext;
		w->prefetched = hash_create("lakefs walk read-ahead", 256, &ctl,
									HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	memset(&key, 0, sizeof(key));
	key.repo_id = w->repo->id;
	for (int i = 0; i < n; i++)
	{
		LkCommit  **slot;
		bool		found;

		if (to_cache)
		{
			strlcpy(key.id, rows[i]->id, sizeof(LkCommitId));
			slot = &((CommitCacheEntry *) hash_search(cache, &key, HASH_ENTER,
													  &found))->commit;
		}
		else
			slot = &((PrefetchEntry *) hash_search(w->prefetched, rows[i]->id,
												   HASH_ENTER, &found))->commit;
		if (!found)
			*slot = rows[i];
		if (want == NULL && strcmp(rows[i]->id, id) == 0)
			want = *slot;
	}
	w->chunk = Min(w->chunk * 2, WALK_PREFETCH_MAX);
	if (window)
	{
		if (want != NULL)
			w->window_hits++;
		else
			w->window_misses++;
		w->chains_only = w->window_misses > w->window_hits + 2;
	}
	return want;
}

/*
 * walk_get_commit: commit id for a walk: from the commit cache, else from
 * the walk's read-ahead, else read ahead (walk_read) with a window below
 * generation below (the generation of the child that names it; 0 when
 * unknown) or with its first-parent chain. Read-only, as refs_get_commit's.
 */
static LkCommit *
walk_get_commit(CommitWalk *w, const char *id, int32 below)
{
	HTAB	   *cache = commit_cache_get();
	CommitCacheKey key;
	CommitCacheEntry *hit;
	PrefetchEntry *p;
	LkCommit   *c;

	memset(&key, 0, sizeof(key));
	key.repo_id = w->repo->id;
	strlcpy(key.id, id, sizeof(LkCommitId));
	hit = hash_search(cache, &key, HASH_FIND, NULL);
	if (hit != NULL)
		return hit->commit;
	if (w->chunk == 0)
		w->chunk = WALK_PREFETCH_MIN;
	if (w->prefetched && (p = hash_search(w->prefetched, id, HASH_FIND, NULL)) != NULL)
		return p->commit;
	c = walk_read(w, id, below);
	if (c == NULL && below > 0)
		c = walk_read(w, id, 0);	/* not in the window: its chain */
	if (c == NULL)
		return refs_get_commit(w->repo, id);	/* raises: the commit is missing */
	return c;
}

/* max-heap order: higher generation first, then later, then larger id */
static int
walk_cmp(const pairingheap_node *a, const pairingheap_node *b, void *arg)
{
	const LkCommit *ca = ((const WalkNode *) a)->commit;
	const LkCommit *cb = ((const WalkNode *) b)->commit;

	if (ca->generation != cb->generation)
		return ca->generation > cb->generation ? 1 : -1;
	if (ca->created_at != cb->created_at)
		return ca->created_at > cb->created_at ? 1 : -1;
	return strcmp(ca->id, cb->id);
}

static HTAB *
new_seen(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(LkCommitId);
	ctl.entrysize = sizeof(SeenEntry);
	ctl.hcxt = CurrentMemoryContext;
	return hash_create("lakefs commit walk", 256, &ctl,
					   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

/* walk_push: queue commit id (a parent of a commit of generation below, or 0) */
static void
walk_push(CommitWalk *w, const char *id, int side, int32 below)
{
	bool		found;
	SeenEntry  *s = hash_search(w->seen, id, HASH_ENTER, &found);
	WalkNode   *node;

	if (found)
	{
		if (s->queued && s->side == 1 && (side & 2))
			w->interesting--;
		s->side |= side;
		return;
	}
	s->side = side;
	s->queued = true;
	if (side == 1)
		w->interesting++;
	node = palloc(sizeof(WalkNode));
	node->commit = walk_get_commit(w, id, below);
	node->side = side;
	pairingheap_add(w->heap, &node->ph);
}

CommitWalk *
commit_walk_start(LkRepo *repo, const char *head)
{
	return commit_walk_start_ex(repo, head, NULL, false);
}

/*
 * commit_walk_start_ex: a walk over the commits reachable from head but not
 * from exclude (NULL: none), as git's exclude..head; first_parent follows
 * only first parents (on both sides), as git's --first-parent.
 */
CommitWalk *
commit_walk_start_ex(LkRepo *repo, const char *head, const char *exclude, bool first_parent)
{
	CommitWalk *w = palloc0(sizeof(CommitWalk));

	w->repo = repo;
	w->heap = pairingheap_allocate(walk_cmp, NULL);
	w->seen = new_seen();
	w->first_parent = first_parent;
	w->exclude = exclude != NULL;
	walk_push(w, head, 1, 0);
	if (exclude)
		walk_push(w, exclude, 2, 0);
	return w;
}

/* commit_walk_next: the next commit of the history, NULL at the end. */
LkCommit *
commit_walk_next(CommitWalk *w)
{
	for (;;)
	{
		WalkNode   *node;
		LkCommit   *c;
		SeenEntry  *s;
		int			n;

		if (pairingheap_is_empty(w->heap) || (w->exclude && w->interesting <= 0))
			return NULL;
		node = (WalkNode *) pairingheap_remove_first(w->heap);
		c = node->commit;
		pfree(node);
		s = hash_search(w->seen, c->id, HASH_FIND, NULL);
		s->queued = false;
		if (s->side == 1)
			w->interesting--;
		n = w->first_parent ? Min(c->nparents, 1) : c->nparents;
		for (int i = 0; i < n; i++)
			walk_push(w, c->parents[i], s->side, c->generation);
		if (s->side == 1)
			return c;
	}
}

/*
 * refs_merge_base: the best common ancestor of a and b (false if none).
 *
 * Walks both histories at once from the highest generation down; a commit
 * reached from both sides is a common ancestor, and the first one popped has
 * the highest generation (ties broken by time, then id: deterministic for
 * criss-cross histories). Its own ancestors are not expanded further.
 */
bool
refs_merge_base(LkRepo *repo, const char *a, const char *b, LkCommitId base)
{
	CommitWalk	w;

	memset(&w, 0, sizeof(w));
	w.repo = repo;
	w.heap = pairingheap_allocate(walk_cmp, NULL);
	w.seen = new_seen();
	walk_push(&w, a, 1, 0);
	walk_push(&w, b, 2, 0);
	while (!pairingheap_is_empty(w.heap))
	{
		WalkNode   *node = (WalkNode *) pairingheap_remove_first(w.heap);
		SeenEntry  *s = hash_search(w.seen, node->commit->id, HASH_FIND, NULL);

		if (s->side == 3)
		{
			memcpy(base, node->commit->id, sizeof(LkCommitId));
			hash_destroy(w.seen);
			if (w.prefetched)
				hash_destroy(w.prefetched);
			return true;
		}
		for (int i = 0; i < node->commit->nparents; i++)
			walk_push(&w, node->commit->parents[i], s->side, node->commit->generation);
	}
	hash_destroy(w.seen);
	if (w.prefetched)
		hash_destroy(w.prefetched);
	return false;
}

/* refs_is_ancestor: is ancestor reachable from "of" (or equal to it)? */
bool
refs_is_ancestor(LkRepo *repo, const char *ancestor, const char *of)
{
	LkCommitId	base;

	if (strcmp(ancestor, of) == 0)
		return true;
	return refs_merge_base(repo, ancestor, of, base) && strcmp(base, ancestor) == 0;
}
