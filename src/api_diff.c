/*-------------------------------------------------------------------------
 *
 * api_diff.c
 *		SQL functions for diff, merge, revert and cherry-pick.
 *
 * The diff functions are value-per-call set-returning functions: the
 * iterator lives in the multi-call memory context and each call decodes only
 * as far as its one row, so a caller that reads rows one at a time (a
 * target-list call, a cursor) gets the first before the last is computed.
 * (In a FROM clause the executor itself collects the rows in a tuplestore,
 * which spills to disk past work_mem.) Each row is built in a small context
 * reset on every call.
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
	bool		staging;		/* a StagingDiff, else a TreeDiff */
	Datum		change[3];		/* the change column's texts, by DiffType */
	TreeDiff	tree;
	StagingDiff stage;
	MemoryContext rowcxt;		/* one row's values, reset every call */
} DiffCall;

/* open the committed tree of a ref (a branch's head, staging ignored) */
static TreeReader *
ref_tree(LkRepo *repo, const char *expr)
{
	LkRef		ref;

	refs_resolve(repo, expr, &ref);
	return tree_open(repo->id, refs_get_commit(repo, ref.commit)->metarange_id);
}

static void
require_branch_arg(LkRepo *repo, const char *branch, LkCommitId head)
{
	if (!catalog_get_branch(repo->id, branch, BRANCH_LOCK_NONE, head))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("branch \"%s\" not found in repository \"%s\"", branch, repo->name)));
}

/* the diff modes: two refs, a branch's staging, a running pre-hook's change */
#define DIFF_REFS 0
#define DIFF_STAGING 1
#define DIFF_PENDING 2

/* diff_first_call: resolve the arguments and set up the iterator */
static void
diff_first_call(FunctionCallInfo fcinfo, int mode)
{
	FuncCallContext *fctx = SRF_FIRSTCALL_INIT();
	MemoryContext old = MemoryContextSwitchTo(fctx->multi_call_memory_ctx);
	DiffCall   *dc = palloc0(sizeof(DiffCall));
	TupleDesc	desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "a diff function must return a composite type");
	fctx->tuple_desc = BlessTupleDesc(desc);
	if (mode == DIFF_PENDING)
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
		tree_diff_init(&dc->tree, tree_open(dc->repo->id, left),
					   tree_open(dc->repo->id, right), "");
	}
	else
		dc->repo = catalog_get_repo(ARG_TEXT(0), false);
	dc->ns_len = strlen(dc->repo->storage_namespace);
	if (dc->ns_len > 0 && dc->repo->storage_namespace[dc->ns_len - 1] == '/')
		dc->ns_len--;
	dc->staging = mode == DIFF_STAGING;
	for (int t = DIFF_ADDED; t <= DIFF_CHANGED; t++)
		dc->change[t] = CStringGetTextDatum(diff_type_name((DiffType) t));
	if (mode == DIFF_STAGING)
	{
		char	   *branch = ARG_TEXT(1);
		LkCommitId	head;

		require_branch_arg(dc->repo, branch, head);
		staging_diff_init(&dc->stage, dc->repo, branch,
						  tree_open(dc->repo->id,
									refs_get_commit(dc->repo, head)->metarange_id),
						  ARG_TEXT_OR(2, ""));
	}
	else if (mode == DIFF_REFS)
	{
		TreeReader *left = ref_tree(dc->repo, ARG_TEXT(1));
		TreeReader *right = ref_tree(dc->repo, ARG_TEXT(2));

		tree_diff_init(&dc->tree, left, right, ARG_TEXT_OR(3, ""));
	}
	dc->rowcxt = AllocSetContextCreate(fctx->multi_call_memory_ctx, "lakefs diff row",
									   ALLOCSET_SMALL_SIZES);
	fctx->user_fctx = dc;
	MemoryContextSwitchTo(old);
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

/* diff_row: the result tuple of one record, built in the row context */
static Datum
diff_row(FuncCallContext *fctx, DiffCall *dc, const DiffRecord *rec)
{
	MemoryContext old = MemoryContextSwitchTo(dc->rowcxt);
	const LakefsEntry *any = rec->left ? rec->left : rec->right;
	Datum		v[DIFF_COLS];
	bool		n[DIFF_COLS] = {0};
	HeapTuple	tup;

	v[0] = dc->change[rec->type];
	v[1] = PointerGetDatum(cstring_to_text_with_len(any->path, any->path_len));
	side_values(dc, rec->left, 2, v, n);
	side_values(dc, rec->right, 3, v, n);
	tup = heap_form_tuple(fctx->tuple_desc, v, n);
	MemoryContextSwitchTo(old);
	return HeapTupleGetDatum(tup);
}

/* diff_srf: one call of either diff function */
static Datum
diff_srf(FunctionCallInfo fcinfo, int mode)
{
	FuncCallContext *fctx;
	DiffCall   *dc;
	DiffRecord	rec;
	MemoryContext old;
	bool		found;

	if (SRF_IS_FIRSTCALL())
		diff_first_call(fcinfo, mode);
	fctx = SRF_PERCALL_SETUP();
	dc = (DiffCall *) fctx->user_fctx;
	MemoryContextReset(dc->rowcxt);
	old = MemoryContextSwitchTo(fctx->multi_call_memory_ctx);
	found = dc->staging ? staging_diff_next(&dc->stage, &rec) :
		tree_diff_next(&dc->tree, &rec);
	MemoryContextSwitchTo(old);
	if (found)
		SRF_RETURN_NEXT(fctx, diff_row(fctx, dc, &rec));
	if (dc->staging)
		staging_diff_end(&dc->stage);
	else
		tree_diff_end(&dc->tree);
	SRF_RETURN_DONE(fctx);
}

/*
 * lakefs_diff(repo, left_ref, right_ref, prefix)
 *		The differences from left_ref's tree to right_ref's, in path order.
 *		A ref naming a branch stands for its committed head.
 */
Datum
lakefs_diff(PG_FUNCTION_ARGS)
{
	return diff_srf(fcinfo, DIFF_REFS);
}

/*
 * lakefs_diff_uncommitted(repo, branch, prefix)
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
 *				fast_forward) -> dest_branch's new head commit id
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
						   PG_ARGISNULL(6) || PG_GETARG_BOOL(6), &result);
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

/* lakefs_revert(repo, branch, commit_ref, parent_number) -> new commit id */
Datum
lakefs_revert(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);

	PG_RETURN_TEXT_P(cstring_to_text(revert_on_branch(repo, ARG_TEXT(1), ARG_TEXT(2),
													  PG_GETARG_INT32(3))));
}

/* lakefs_cherry_pick(repo, branch, commit_ref) -> new commit id */
Datum
lakefs_cherry_pick(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);

	PG_RETURN_TEXT_P(cstring_to_text(cherry_pick_on_branch(repo, ARG_TEXT(1),
														   ARG_TEXT(2))));
}
