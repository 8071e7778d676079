/*-------------------------------------------------------------------------
 *
 * api_diff.c
 *		SQL functions for diff, merge, revert and cherry-pick.
 *
 * The diff functions are value-per-call set-returning functions: the
 * iterator lives in the multi-call memory context and each call decodes only
 * as far as its one row, so a caller that reads rows one at a time (a
 * target-list call, a cursor) gets the first before the last is computed.
 * In a FROM clause the executor collects every row in a tuplestore (which
 * spills to disk past work_mem) before it reads the first, and says it
 * prefers materialize mode (SFRM_Materialize_Preferred): there one call
 * fills the tuplestore itself, without a function call, a heap tuple and
 * its copy per row. Each row is built in a small context reset on every
 * row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "api_args.h"
#include "catalog.h"
#include "diff.h"
#include "governance.h"
#include "experiments.h"
#include "listing.h"
#include "merge.h"
#include "refs.h"

PG_FUNCTION_INFO_V1(lakefs_diff);
PG_FUNCTION_INFO_V1(lakefs_diff_uncommitted);
PG_FUNCTION_INFO_V1(lakefs_pending_changes);
PG_FUNCTION_INFO_V1(lakefs_merge);
PG_FUNCTION_INFO_V1(lakefs_merge_conflicts);
PG_FUNCTION_INFO_V1(lakefs_revert);
PG_FUNCTION_INFO_V1(lakefs_cherry_pick);


#define DIFF_COLS 8

/* the state of one diff call, in the multi-call context */
typedef struct DiffCall
{
	LkRepo	   *repo;
	uint32		ns_len;			/* storage namespace length, without a final '/' */
	Datum		change[DIFF_CONFLICT + 1];	/* the change column's texts, by DiffType */
	RefDiff		diff;
	int64		left;			/* rows still to return (amount), -1 for all */
	MemoryContext rowcxt;		/* one row's values, reset every call */
} DiffCall;

/*
 * The functions' later arguments are absent when the library is called
 * through an older declaration (0.1.0's lakefs_diff had four): absent is
 * NULL.
 */
static bool
arg_given(FunctionCallInfo fcinfo, int n)
{
	return n < PG_NARGS() && !PG_ARGISNULL(n);
}

static char *
opt_text(FunctionCallInfo fcinfo, int n, char *dflt)
{
	return arg_given(fcinfo, n) ? text_to_cstring(PG_GETARG_TEXT_PP(n)) : dflt;
}

/* amount: the page size, NULL for all rows; negative is refused (22023) */
static int64
amount_arg(FunctionCallInfo fcinfo, int n)
{
	int32		amount;

	if (!arg_given(fcinfo, n))
		return -1;
	amount = PG_GETARG_INT32(n);
	if (amount < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must not be negative"),
				 errhint("amount is the number of rows of one page; NULL returns every row.")));
	return amount;
}

/* the diff functions: two refs, a branch's staging, a running pre-hook's change */
#define DIFF_REFS 0
#define DIFF_STAGING 1
#define DIFF_PENDING 2

static RefDiffMode
mode_arg(const char *mode)
{
	if (strcmp(mode, "two-dot") == 0)
		return REF_DIFF_TWO_DOT;
	if (strcmp(mode, "three-dot") == 0)
		return REF_DIFF_THREE_DOT;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid diff mode \"%s\"", mode),
			 errhint("The modes are 'two-dot' (left_ref to right_ref) and 'three-dot' "
					 "(their merge base to right_ref, as lakeFS's compare).")));
	return REF_DIFF_TWO_DOT;	/* not reached */
}

/*
 * diff_first_call: resolve the arguments and set up the iterator.
 * lakefs_diff (DIFF_REFS): (repository, left_ref, right_ref, prefix,
 * delimiter, after, amount, mode); lakefs_diff_uncommitted (DIFF_STAGING):
 * (repository, branch, prefix, after, amount); lakefs_pending_changes
 * (DIFF_PENDING): none, the trees of the operation whose pre-hook runs.
 */
static DiffCall *
diff_open(FunctionCallInfo fcinfo, int kind, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	DiffCall   *dc = palloc0(sizeof(DiffCall));

	if (kind == DIFF_PENDING)
	{
		const uint8 *left;
		const uint8 *right;

		dc->repo = hooks_pending(&left, &right);
		if (left == NULL)
		{
			uint8	   *empty = palloc(LK_ID_LEN);

			tree_empty_metarange(dc->repo->id, empty);
			left = right = empty;
		}
		dc->left = -1;
		ref_diff_init_trees(&dc->diff, dc->repo, left, right);
	}
	else
		dc->repo = catalog_get_repo(ARG_TEXT(0), false);
	dc->ns_len = strlen(dc->repo->storage_namespace);
	if (dc->ns_len > 0 && dc->repo->storage_namespace[dc->ns_len - 1] == '/')
		dc->ns_len--;
	for (int t = DIFF_ADDED; t <= DIFF_CONFLICT; t++)
		dc->change[t] = CStringGetTextDatum(diff_type_name((DiffType) t));
	if (kind == DIFF_STAGING)
	{
		char	   *branch = ARG_TEXT(1);

		dc->left = amount_arg(fcinfo, 4);
		ref_diff_init_uncommitted(&dc->diff, dc->repo, branch, opt_text(fcinfo, 2, ""),
								  opt_text(fcinfo, 3, NULL));
	}
	else if (kind == DIFF_REFS)
	{
		char	   *left = ARG_TEXT(1);
		char	   *right = ARG_TEXT(2);
		RefDiffMode mode = mode_arg(opt_text(fcinfo, 7, "two-dot"));

		dc->left = amount_arg(fcinfo, 6);
		ref_diff_init(&dc->diff, dc->repo, left, right, mode, opt_text(fcinfo, 3, ""),
					  opt_text(fcinfo, 4, NULL), opt_text(fcinfo, 5, NULL));
	}
	dc->rowcxt = AllocSetContextCreate(cxt, "lakefs diff row", ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(old);
	return dc;
}

/*
 * address_text: the entry's address as a URI, as entry_full_address() gives
 * it, built straight into a text datum (this runs for every row).
 */
static Datum
address_text(const DiffCall *dc, const LakefsEntry *e)
{
	uint32		pre = (e->flags & LK_ENTRY_FULL_ADDRESS) ? 0 : dc->ns_len + 1;
	text	   *t = palloc(VARHDRSZ + pre + e->address_len);
	char	   *p = VARDATA(t);

	SET_VARSIZE(t, VARHDRSZ + pre + e->address_len);
	if (pre)
	{
		memcpy(p, dc->repo->storage_namespace, dc->ns_len);
		p[dc->ns_len] = '/';
	}
	memcpy(p + pre, e->address, e->address_len);
	return PointerGetDatum(t);
}

static void
side_values(const DiffCall *dc, const LakefsEntry *e, int col, Datum *v, bool *n)
{
	if (e == NULL)
	{
		n[col] = n[col + 2] = n[col + 4] = true;
		return;
	}
	v[col] = address_text(dc, e);
	v[col + 2] = Int64GetDatum(e->size);
	v[col + 4] = PointerGetDatum(cstring_to_text_with_len(e->checksum, e->checksum_len));
}

/* diff_values: the columns of one record, built in the current context */
static void
diff_values(const DiffCall *dc, const RefDiffRecord *rec, Datum *v, bool *n)
{
	memset(n, 0, sizeof(bool) * DIFF_COLS);
	v[0] = dc->change[rec->type];
	v[1] = PointerGetDatum(cstring_to_text_with_len(rec->path, rec->path_len));
	side_values(dc, rec->left, 2, v, n);
	side_values(dc, rec->right, 3, v, n);
}

/* diff_next: the next record, if any is left of the amount */
static bool
diff_next(DiffCall *dc, MemoryContext cxt, RefDiffRecord *rec)
{
	MemoryContext old;
	bool		found;

	if (dc->left == 0)
		return false;
	old = MemoryContextSwitchTo(cxt);
	found = ref_diff_next(&dc->diff, rec);
	MemoryContextSwitchTo(old);
	if (found && dc->left > 0)
		dc->left--;
	return found;
}

/*
 * diff_materialize: every row into the caller's tuplestore, in one call (a
 * FROM clause). The iterator lives in a context of its own, deleted at the
 * end.
 */
static Datum
diff_materialize(FunctionCallInfo fcinfo, int kind)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "lakefs diff",
											  ALLOCSET_DEFAULT_SIZES);
	DiffCall   *dc;
	RefDiffRecord rec;
	Datum		v[DIFF_COLS];
	bool		n[DIFF_COLS];

	InitMaterializedSRF(fcinfo, 0);
	dc = diff_open(fcinfo, kind, cxt);
	while (diff_next(dc, cxt, &rec))
	{
		MemoryContext old = MemoryContextSwitchTo(dc->rowcxt);

		CHECK_FOR_INTERRUPTS();
		diff_values(dc, &rec, v, n);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
		MemoryContextSwitchTo(old);
		MemoryContextReset(dc->rowcxt);
	}
	ref_diff_end(&dc->diff);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}

/*
 * diff_srf: one call of any diff function: materialized when the caller
 * prefers it (a FROM clause), else one row a call.
 */
static Datum
diff_srf(FunctionCallInfo fcinfo, int kind)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FuncCallContext *fctx;
	DiffCall   *dc;
	RefDiffRecord rec;

	if (SRF_IS_FIRSTCALL())
	{
		TupleDesc	desc;
		MemoryContext old;

		if (rsinfo != NULL && IsA(rsinfo, ReturnSetInfo) &&
			(rsinfo->allowedModes & SFRM_Materialize) &&
			(rsinfo->allowedModes & SFRM_Materialize_Preferred))
			return diff_materialize(fcinfo, kind);
		fctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fctx->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "a diff function must return a composite type");
		fctx->tuple_desc = BlessTupleDesc(desc);
		MemoryContextSwitchTo(old);
		fctx->user_fctx = diff_open(fcinfo, kind, fctx->multi_call_memory_ctx);
	}
	fctx = SRF_PERCALL_SETUP();
	dc = (DiffCall *) fctx->user_fctx;
	MemoryContextReset(dc->rowcxt);
	if (diff_next(dc, fctx->multi_call_memory_ctx, &rec))
	{
		MemoryContext old = MemoryContextSwitchTo(dc->rowcxt);
		Datum		v[DIFF_COLS];
		bool		n[DIFF_COLS];
		HeapTuple	tup;

		diff_values(dc, &rec, v, n);
		tup = heap_form_tuple(fctx->tuple_desc, v, n);
		MemoryContextSwitchTo(old);
		SRF_RETURN_NEXT(fctx, HeapTupleGetDatum(tup));
	}
	ref_diff_end(&dc->diff);
	SRF_RETURN_DONE(fctx);
}

/*
 * lakefs_diff(repository, left_ref, right_ref, prefix, delimiter, after,
 *			   amount, mode)
 *		The differences from left_ref to right_ref (or, three-dot, from their
 *		merge base to right_ref), in path order. A branch stands for its head
 *		and its staged changes; "branch@" for its head alone.
 */
Datum
lakefs_diff(PG_FUNCTION_ARGS)
{
	return diff_srf(fcinfo, DIFF_REFS);
}

/*
 * lakefs_diff_uncommitted(repository, branch, prefix, after, amount)
 *		The branch's staged changes against its committed head.
 */
Datum
lakefs_diff_uncommitted(PG_FUNCTION_ARGS)
{
	return diff_srf(fcinfo, DIFF_STAGING);
}

/*
 * lakefs_pending_changes()
 *		While a pre-hook runs: the change the operation is about to make, as
 *		diff rows from the branch's head to the tree it will get (empty for
 *		an operation that changes no tree). 55000 elsewhere.
 */
Datum
lakefs_pending_changes(PG_FUNCTION_ARGS)
{
	return diff_srf(fcinfo, DIFF_PENDING);
}

/* ---- merge, revert, cherry-pick ---- */

static void
require_arg(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/*
 * lakefs_merge(repo, source_ref, dest_branch, message, metadata, strategy,
 *				fast_forward, squash) -> dest_branch's new head commit id
 *				(squash is absent through 0.1.0's declaration)
 */
Datum
lakefs_merge(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo;
	MergeStrategy strategy;
	MergeResult result;
	char	   *id;

	require_arg(fcinfo, 0, "repository");
	require_arg(fcinfo, 1, "source_ref");
	require_arg(fcinfo, 2, "dest_branch");
	strategy = merge_strategy_parse(ARG_TEXT_OR(5, NULL));
	repo = catalog_get_repo(ARG_TEXT(0), false);
	id = merge_into_branch(repo, ARG_TEXT(1), ARG_TEXT(2), ARG_TEXT_OR(3, NULL),
						   commit_metadata_arg(fcinfo, 4), strategy,
						   PG_ARGISNULL(6) || PG_GETARG_BOOL(6),
						   arg_given(fcinfo, 7) && PG_GETARG_BOOL(7), &result);
	(void) merge_report(repo, ARG_TEXT(1), ARG_TEXT(2), &result, id);
	PG_RETURN_TEXT_P(cstring_to_text(id));
}

/* the tuplestore and repository of a lakefs_merge_conflicts call */
typedef struct ConflictRows
{
	ReturnSetInfo *rsinfo;
	LkRepo	   *repo;
	MemoryContext rowcxt;
} ConflictRows;

static void
conflict_row(void *arg, const LakefsEntry *base, const LakefsEntry *source,
			 const LakefsEntry *dest)
{
	ConflictRows *cr = (ConflictRows *) arg;
	const LakefsEntry *sides[3] = {base, source, dest};
	const LakefsEntry *any = base ? base : source;
	MemoryContext old = MemoryContextSwitchTo(cr->rowcxt);
	Datum		v[4];
	bool		n[4] = {0};

	v[0] = PointerGetDatum(cstring_to_text_with_len(any->path, any->path_len));
	for (int i = 0; i < 3; i++)
	{
		n[i + 1] = sides[i] == NULL;
		if (sides[i])
			v[i + 1] = CStringGetTextDatum(entry_full_address(cr->repo, sides[i]));
	}
	tuplestore_putvalues(cr->rsinfo->setResult, cr->rsinfo->setDesc, v, n);
	MemoryContextSwitchTo(old);
	MemoryContextReset(cr->rowcxt);
}

/*
 * lakefs_merge_conflicts(repo, source_ref, dest_ref)
 *		Every path that merging source_ref into dest_ref would conflict on.
 */
Datum
lakefs_merge_conflicts(PG_FUNCTION_ARGS)
{
	ConflictRows cr;

	InitMaterializedSRF(fcinfo, 0);
	cr.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	cr.repo = catalog_get_repo(ARG_TEXT(0), false);
	cr.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "lakefs conflict row",
									  ALLOCSET_SMALL_SIZES);
	merge_conflicts_of_refs(cr.repo, ARG_TEXT(1), ARG_TEXT(2), conflict_row, &cr);
	return (Datum) 0;
}

/*
 * parent_number (PARENT_NUMBER_NONE when absent through 0.1.0's cherry-pick
 * declaration or NULL); a given number below 1 is refused here, so no value
 * a caller passes can stand for "none"
 */
static int
parent_number_arg(FunctionCallInfo fcinfo, int n)
{
	int32		v;

	if (!arg_given(fcinfo, n))
		return PARENT_NUMBER_NONE;
	v = PG_GETARG_INT32(n);
	if (v < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parent_number must be at least 1, not %d", v),
				 errhint("Parents are numbered from 1, as git's -m.")));
	return v;
}

/* lakefs_revert(repo, branch, commit_ref, parent_number) -> new commit id */
Datum
lakefs_revert(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *ref = ARG_TEXT(2);

	PG_RETURN_TEXT_P(cstring_to_text(revert_on_branch(repo, branch, ref,
													  parent_number_arg(fcinfo, 3))));
}

/* lakefs_cherry_pick(repo, branch, commit_ref, parent_number) -> new commit id */
Datum
lakefs_cherry_pick(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *ref = ARG_TEXT(2);

	PG_RETURN_TEXT_P(cstring_to_text(cherry_pick_on_branch(repo, branch, ref,
														   parent_number_arg(fcinfo, 3))));
}
