/*-------------------------------------------------------------------------
 *
 * api_history.c
 *		SQL functions of the reflog and head moves: lakefs_reflog,
 *		lakefs_restore_branch, lakefs_reset_branch; and the history index's
 *		one-time backfill.
 *
 * Thin fmgr wrappers. The reflog itself is written by the catalog layer in
 * the statement that moves a head (catalog.c); time travel (branch@{N},
 * branch@{time}) is part of ref resolution (refs.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "api_args.h"
#include "catalog.h"
#include "catalog_history.h"
#include "commit.h"
#include "history.h"
#include "refs.h"
#include "staging.h"

PG_FUNCTION_INFO_V1(lakefs_reflog);
PG_FUNCTION_INFO_V1(lakefs_restore_branch);
PG_FUNCTION_INFO_V1(lakefs_reset_branch);
PG_FUNCTION_INFO_V1(lakefs_history_backfill);

static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = s == NULL;
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/*
 * lakefs_reflog(repository, branch) -> (at, branch, old_head, new_head,
 * operation, actor): the moves of the branch's head, newest first (every
 * branch of the repository when branch is NULL). 42704 for a branch that
 * neither exists nor has a reflog.
 */
Datum
lakefs_reflog(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT_OR(1, NULL);
	ReturnSetInfo *rsinfo;
	LkReflogEntry *rows;
	LkCommitId	head;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	rows = catalog_reflog_list(repo->id, branch, &n);
	if (n == 0 && branch && !catalog_get_branch(repo->id, branch, BRANCH_LOCK_NONE, head))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("branch \"%s\" not found in repository \"%s\"", branch, repo->name),
				 errdetail("The reflog has no moves of a branch of that name.")));
	for (int i = 0; i < n; i++)
	{
		Datum		v[6];
		bool		nulls[6] = {0};

		v[0] = TimestampTzGetDatum(rows[i].at);
		v[1] = CStringGetTextDatum(rows[i].branch);
		v[2] = text_or_null(rows[i].old_head, &nulls[2]);
		v[3] = text_or_null(rows[i].new_head, &nulls[3]);
		v[4] = CStringGetTextDatum(rows[i].operation);
		v[5] = CStringGetTextDatum(rows[i].actor);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

/*
 * lakefs_restore_branch(repository, branch, at) -> head: recreate a
 * deleted branch at its head of instant at (NULL: the head it had when it
 * was last deleted). 42710 when the branch exists, 42704 when it was never
 * deleted, 22023 when it did not exist at that instant.
 */
Datum
lakefs_restore_branch(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	LkCommitId	head;

	if (catalog_get_branch(repo->id, branch, BRANCH_LOCK_NONE, head))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("branch \"%s\" already exists in repository \"%s\"",
						branch, repo->name),
				 errhint("Move an existing branch with lakefs_reset_branch().")));
	if (PG_ARGISNULL(2))
	{
		if (!catalog_reflog_last_deleted(repo->id, branch, head))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("branch \"%s\" was never deleted in repository \"%s\"",
							branch, repo->name),
					 errhint("lakefs_reflog() lists the moves of a branch.")));
	}
	else
	{
		TimestampTz at = PG_GETARG_TIMESTAMPTZ(2);
		ReflogResult r = catalog_reflog_at(repo->id, branch, at, head);
		LkCommitId	any;
		bool		known = catalog_reflog_nth(repo->id, branch, 0, any) != REFLOG_NONE;

		if (r != REFLOG_HEAD)
			ereport(ERROR,
					(errcode(known ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_UNDEFINED_OBJECT),
					 errmsg("branch \"%s\" had no head at that instant", branch),
					 errdetail(r == REFLOG_GONE ? "The branch was deleted at that instant." :
							   "The reflog of the branch does not reach back that far."),
					 errhint("lakefs_reflog() lists the moves of a branch.")));
	}
	refs_get_commit(repo, head);	/* 'XX001' if the commit is gone */
	if (!catalog_insert_branch(repo->id, branch, head, "create"))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("branch \"%s\" already exists in repository \"%s\"",
						branch, repo->name)));
	PG_RETURN_TEXT_P(cstring_to_text(head));
}

/*
 * lakefs_reset_branch(repository, branch, ref, force) -> new head: move the
 * branch's head to ref's commit (git reset --hard). A branch with staged
 * changes is refused (55000) unless force, which drops them.
 */
Datum
lakefs_reset_branch(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *expr = ARG_TEXT(2);
	bool		force = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	LkRef		ref;

	if (force)
	{
		LkCommitId	head;

		lock_branch(repo, branch, head);
		staging_reset(repo->id, branch, "");
	}
	else
		lock_clean_branch(repo, branch, "reset");
	refs_resolve(repo, expr, &ref);
	catalog_set_branch_head(repo->id, branch, ref.commit, "reset");
	PG_RETURN_TEXT_P(cstring_to_text(ref.commit));
}

/*
 * lakefs_history_backfill(): index the changed paths of every commit written
 * before the history index existed. The update to 0.2.0 declares it, runs it
 * once and drops it again.
 */
Datum
lakefs_history_backfill(PG_FUNCTION_ARGS)
{
	history_backfill();
	PG_RETURN_VOID();
}
