/*-------------------------------------------------------------------------
 *
 * catalog_history.c
 *		Catalog layer of the history features: reading lakefs.reflog (the
 *		rows are written by catalog.c's branch statements, in the statement
 *		that moves the head).
 *
 * Like catalog.c: each function connects to SPI, runs a saved plan with
 * parameters, copies its result into the caller's memory context and
 * disconnects. One branch's reflog rows are written under its writer lock,
 * so their seq order is the order of its head moves.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
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
	[H_REFLOG_LIST] = {"SELECT at, branch, old_head, new_head, operation, actor "
		"FROM lakefs.reflog WHERE repo_id = $1 AND ($2::text IS NULL OR branch = $2) "
		"ORDER BY seq DESC", 2, {INT4OID, TEXTOID}},
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
	char		nulls[2] = {' ', branch ? ' ' : 'n'};
	LkReflogEntry *rows;

	*n = 0;
	if (!catalog_has_reflog())
		return palloc(sizeof(LkReflogEntry));
	connect_spi();
	run_plan(H_REFLOG_LIST, args, nulls, 0);
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
