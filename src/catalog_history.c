/*-------------------------------------------------------------------------
 *
 * catalog_history.c
 *		Catalog layer of the history features: reading lakefs.reflog (the
 *		rows are written by catalog.c's branch statements, in the statement
 *		that moves the head), and the history index lakefs.commit_paths (the
 *		paths each commit changed against its first parent).
 *
 * Like catalog.c: each function connects to SPI, runs a saved plan with
 * parameters, copies its result into the caller's memory context and
 * disconnects. One branch's reflog rows are written under its writer lock,
 * so their seq order is the order of its head moves.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "catalog_history.h"
#include "catalog_spi.h"

typedef enum HistoryPlan
{
	H_REFLOG_NTH,
	H_REFLOG_AT,
	H_REFLOG_LAST_DELETE,
	H_REFLOG_LIST,
	H_REFLOG_LIST_BRANCH,
	H_INDEX_ADD,
	H_INDEX_ADD_KEEP,
	H_INDEX_DELETE_REPO,
	H_INDEX_PATHS,
	H_INDEX_PREFIX,
	H_INDEX_PREFIX_OPEN,
	H_INDEX_MARKERS,
	H_ALL_COMMITS,
	NUM_HISTORY_PLANS
} HistoryPlan;

typedef struct HistoryPlanDef
{
	const char *sql;
	int			nargs;
	Oid			types[4];
} HistoryPlanDef;

static const HistoryPlanDef plan_defs[NUM_HISTORY_PLANS] = {
	[H_REFLOG_NTH] = {"SELECT new_head FROM lakefs.reflog WHERE repo_id = $1 AND branch = $2 "
		"ORDER BY seq DESC OFFSET $3 LIMIT 1", 3, {INT4OID, TEXTOID, INT8OID}},
	[H_REFLOG_AT] = {"SELECT new_head FROM lakefs.reflog WHERE repo_id = $1 AND branch = $2 "
		"AND at <= $3 ORDER BY seq DESC LIMIT 1", 3, {INT4OID, TEXTOID, TIMESTAMPTZOID}},
	[H_REFLOG_LAST_DELETE] = {"SELECT old_head FROM lakefs.reflog WHERE repo_id = $1 "
		"AND branch = $2 AND operation = 'delete' ORDER BY seq DESC LIMIT 1",
	2, {INT4OID, TEXTOID}},
	/*
	 * Catalog plans are generic (catalog_spi.c), so an optional condition
	 * gets a statement of its own rather than "$n IS NULL OR ...", which a
	 * generic plan can only filter by, not seek with.
	 */
	[H_REFLOG_LIST] = {"SELECT at, branch, old_head, new_head, operation, actor "
		"FROM lakefs.reflog WHERE repo_id = $1 ORDER BY seq DESC", 1, {INT4OID}},
	[H_REFLOG_LIST_BRANCH] = {"SELECT at, branch, old_head, new_head, operation, actor "
		"FROM lakefs.reflog WHERE repo_id = $1 AND branch = $2 ORDER BY seq DESC",
	2, {INT4OID, TEXTOID}},
	/*
	 * commit_paths has no foreign key to lakefs.repositories: its per-row
	 * check was most of a large commit's time. The one repository lock
	 * below keeps what the key kept (no row for a deleted repository);
	 * catalog_history_delete_repo removes a repository's rows.
	 */
	[H_INDEX_ADD] = {"INSERT INTO lakefs.commit_paths (repo_id, path, generation, commit_id) "
		"SELECT $1, p, $3, $4 FROM (SELECT 1 FROM lakefs.repositories WHERE id = $1 "
		"FOR KEY SHARE) r, unnest($2::text[]) p",
	4, {INT4OID, TEXTARRAYOID, INT4OID, TEXTOID}},
	[H_INDEX_ADD_KEEP] = {"INSERT INTO lakefs.commit_paths (repo_id, path, generation, commit_id) "
		"SELECT $1, p, $3, $4 FROM (SELECT 1 FROM lakefs.repositories WHERE id = $1 "
		"FOR KEY SHARE) r, unnest($2::text[]) p ON CONFLICT DO NOTHING",
	4, {INT4OID, TEXTARRAYOID, INT4OID, TEXTOID}},
	[H_INDEX_DELETE_REPO] = {"DELETE FROM lakefs.commit_paths WHERE repo_id = $1", 1, {INT4OID}},
	[H_INDEX_PATHS] = {"SELECT DISTINCT commit_id, generation FROM lakefs.commit_paths "
		"WHERE repo_id = $1 AND path = ANY ($2) AND path <> '' AND generation <= $3",
	3, {INT4OID, TEXTARRAYOID, INT4OID}},
	[H_INDEX_PREFIX] = {"SELECT DISTINCT commit_id, generation FROM lakefs.commit_paths "
		"WHERE repo_id = $1 AND path >= $2 AND path < $3 AND generation <= $4",
	4, {INT4OID, TEXTOID, TEXTOID, INT4OID}},
	/* a prefix with no key after it (all 0xff bytes): no upper bound */
	[H_INDEX_PREFIX_OPEN] = {"SELECT DISTINCT commit_id, generation FROM lakefs.commit_paths "
		"WHERE repo_id = $1 AND path >= $2 AND generation <= $3",
	3, {INT4OID, TEXTOID, INT4OID}},
	/* the marker rows: commits with too many changes to index (history.c) */
	[H_INDEX_MARKERS] = {"SELECT commit_id, generation FROM lakefs.commit_paths "
		"WHERE repo_id = $1 AND path = '' AND generation <= $2", 2, {INT4OID, INT4OID}},
	[H_ALL_COMMITS] = {"SELECT r.name, c.id FROM lakefs.commits c "
		"JOIN lakefs.repositories r ON r.id = c.repo_id ORDER BY c.repo_id, c.generation",
	0, {0}},
};

static SPIPlanPtr plans[NUM_HISTORY_PLANS];

static void
run_plan(HistoryPlan p, Datum *values, const char *nulls, long count)
{
	spi_run_saved(&plans[p], plan_defs[p].sql, plan_defs[p].nargs, plan_defs[p].types,
				  values, nulls, count);
}

/* one commit id of the first row into out; REFLOG_NONE/REFLOG_GONE/REFLOG_HEAD */
static ReflogResult
first_head(HistoryPlan p, Datum *args, LkCommitId out)
{
	ReflogResult r = REFLOG_NONE;

	if (!catalog_has_reflog())
		return r;				/* a 0.1.0 schema: nothing logged */
	connect_spi();
	run_plan(p, args, NULL, 1);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = col(0, 1, &isnull);

		r = isnull ? REFLOG_GONE : REFLOG_HEAD;
		if (!isnull)
			text_to_cstring_buffer(DatumGetTextPP(d), out, sizeof(LkCommitId));
	}
	SPI_finish();
	return r;
}

/*
 * catalog_reflog_nth: the branch's head after its n-th latest move (n = 0:
 * the latest). REFLOG_NONE when the reflog has fewer moves, REFLOG_GONE when
 * that move deleted the branch.
 */
ReflogResult
catalog_reflog_nth(int32 repo_id, const char *branch, int64 n, LkCommitId out)
{
	Datum		args[3] = {Int32GetDatum(repo_id), TEXT_ARG(branch), Int64GetDatum(n)};

	return first_head(H_REFLOG_NTH, args, out);
}

/*
 * catalog_reflog_at: the branch's head at instant at (after its last move
 * at or before it). REFLOG_NONE when no move is that old, REFLOG_GONE when
 * the branch was deleted then.
 */
ReflogResult
catalog_reflog_at(int32 repo_id, const char *branch, TimestampTz at, LkCommitId out)
{
	Datum		args[3] = {Int32GetDatum(repo_id), TEXT_ARG(branch), TimestampTzGetDatum(at)};

	return first_head(H_REFLOG_AT, args, out);
}

/* catalog_reflog_last_deleted: the head the branch had when last deleted */
bool
catalog_reflog_last_deleted(int32 repo_id, const char *branch, LkCommitId out)
{
	Datum		args[2] = {Int32GetDatum(repo_id), TEXT_ARG(branch)};

	return first_head(H_REFLOG_LAST_DELETE, args, out) == REFLOG_HEAD;
}

/*
 * catalog_reflog_list: the reflog of one branch (or of every branch when
 * branch is NULL), newest first, palloc'd in the caller's context; *n rows.
 */
LkReflogEntry *
catalog_reflog_list(int32 repo_id, const char *branch, int *n)
{
	Datum		args[2] = {Int32GetDatum(repo_id), branch ? TEXT_ARG(branch) : (Datum) 0};
	LkReflogEntry *rows;

	*n = 0;
	if (!catalog_has_reflog())
		return palloc(sizeof(LkReflogEntry));
	connect_spi();
	run_plan(branch ? H_REFLOG_LIST_BRANCH : H_REFLOG_LIST, args, NULL, 0);
	*n = (int) SPI_processed;
	rows = SPI_palloc(sizeof(LkReflogEntry) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		bool		isnull;

		rows[i].at = DatumGetTimestampTz(col(i, 1, &isnull));
		rows[i].branch = col_text(i, 2);
		rows[i].old_head = col_text(i, 3);
		rows[i].new_head = col_text(i, 4);
		rows[i].operation = col_text(i, 5);
		rows[i].actor = col_text(i, 6);
	}
	SPI_finish();
	return rows;
}

/*
 * catalog_has_history_index: does lakefs.commit_paths exist (0.2.0 on)? A
 * 0.1.0 schema served by this library indexes nothing.
 */
bool
catalog_has_history_index(void)
{
	return catalog_relation_exists("commit_paths");
}

/*
 * catalog_history_add: record that commit (of generation) changed paths[n].
 * fresh: the commit row was inserted by this transaction just now, so none
 * of its rows exist yet (a plain insert); otherwise rows already there are
 * kept (the backfill). Throws ERRCODE_UNDEFINED_OBJECT when the repository
 * was deleted by a concurrent transaction.
 */
void
catalog_history_add(int32 repo_id, const char *commit, int32 generation,
					char **paths, int n, bool fresh)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	Datum		args[4];
	bool		gone;

	for (int i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(paths[i]);
	args[0] = Int32GetDatum(repo_id);
	args[1] = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[2] = Int32GetDatum(generation);
	args[3] = TEXT_ARG(commit);
	connect_spi();
	run_plan(fresh ? H_INDEX_ADD : H_INDEX_ADD_KEEP, args, NULL, 0);
	gone = fresh && n > 0 && SPI_processed == 0;
	SPI_finish();
	if (gone)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the repository was deleted by a concurrent transaction")));
}

/* catalog_history_delete_repo: drop a repository's history index rows */
void
catalog_history_delete_repo(int32 repo_id)
{
	Datum		args[1] = {Int32GetDatum(repo_id)};

	if (!catalog_has_history_index())
		return;
	connect_spi();
	run_plan(H_INDEX_DELETE_REPO, args, NULL, 0);
	SPI_finish();
}

/*
 * add the (commit_id, generation) rows of the last result to *out (a hash of
 * HistoryCandidate): as marker commits when marker, which never demotes a
 * commit already known to change a path
 */
static void
collect_candidates(HTAB *out, int32 *min_generation, bool marker)
{
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		bool		found;
		LkCommitId	id;
		HistoryCandidate *hc;
		int32		gen = DatumGetInt32(col(i, 2, &isnull));

		text_to_cstring_buffer(DatumGetTextPP(col(i, 1, &isnull)), id, sizeof(LkCommitId));
		hc = hash_search(out, id, HASH_ENTER, &found);
		if (!found || !marker)
			hc->marker = marker;
		*min_generation = Min(*min_generation, gen);
	}
}

/*
 * catalog_history_candidates: every commit of generation <= max_generation
 * that changed one of paths[npaths] or a path under one of prefixes[nprefixes]
 * (prefix_ends[i]: the key after every path under prefixes[i], NULL for
 * none), and the marker commits (marker set: too many changes to index),
 * entered into out (a hash of HistoryCandidate); their smallest generation
 * into *min_generation (left as is when none).
 */
void
catalog_history_candidates(int32 repo_id, char **paths, int npaths, char **prefixes,
						   char **prefix_ends, int nprefixes, int32 max_generation,
						   HTAB *out, int32 *min_generation)
{
	MemoryContext cxt = CurrentMemoryContext;

	connect_spi();
	if (npaths > 0)
	{
		Datum	   *elems = MemoryContextAlloc(cxt, sizeof(Datum) * npaths);
		Datum		args[3];

		for (int i = 0; i < npaths; i++)
			elems[i] = CStringGetTextDatum(paths[i]);
		args[0] = Int32GetDatum(repo_id);
		args[1] = PointerGetDatum(construct_array(elems, npaths, TEXTOID, -1, false,
												  TYPALIGN_INT));
		args[2] = Int32GetDatum(max_generation);
		run_plan(H_INDEX_PATHS, args, NULL, 0);
		collect_candidates(out, min_generation, false);
	}
	for (int i = 0; i < nprefixes; i++)
	{
		Datum		args[4] = {Int32GetDatum(repo_id), TEXT_ARG(prefixes[i]),
			Int32GetDatum(max_generation), Int32GetDatum(max_generation)};

		if (prefix_ends[i])
		{
			args[2] = TEXT_ARG(prefix_ends[i]);
			run_plan(H_INDEX_PREFIX, args, NULL, 0);
		}
		else
			run_plan(H_INDEX_PREFIX_OPEN, args, NULL, 0);
		collect_candidates(out, min_generation, false);
	}
	{
		Datum		args[2] = {Int32GetDatum(repo_id), Int32GetDatum(max_generation)};

		run_plan(H_INDEX_MARKERS, args, NULL, 0);
		collect_candidates(out, min_generation, true);
	}
	SPI_finish();
}

/*
 * catalog_all_commits: every commit of every repository, oldest generation
 * first per repository: repository names and commit ids, palloc'd; *n rows.
 */
void
catalog_all_commits(char ***repos, char ***ids, int *n)
{
	connect_spi();
	run_plan(H_ALL_COMMITS, NULL, NULL, 0);
	*n = (int) SPI_processed;
	*repos = SPI_palloc(sizeof(char *) * Max(*n, 1));
	*ids = SPI_palloc(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		(*repos)[i] = col_text(i, 1);
		(*ids)[i] = col_text(i, 2);
	}
	SPI_finish();
}
