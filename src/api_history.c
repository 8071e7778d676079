/*-------------------------------------------------------------------------
 *
 * api_history.c
 *		SQL functions of the reflog and head moves: lakefs_reflog,
 *		lakefs_restore_branch, lakefs_reset_branch; the history index's
 *		one-time backfill; and the entry-level git parity functions
 *		lakefs_copy_object and lakefs_update_object_metadata.
 *
 * Thin fmgr wrappers. The reflog itself is written by the catalog layer in
 * the statement that moves a head (catalog.c); time travel (branch@{N},
 * branch@{time}) is part of ref resolution (refs.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "api_args.h"
#include "catalog.h"
#include "catalog_history.h"
#include "commit.h"
#include "history.h"
#include "listing.h"
#include "names.h"
#include "refs.h"
#include "staging.h"

PG_FUNCTION_INFO_V1(lakefs_reflog);
PG_FUNCTION_INFO_V1(lakefs_restore_branch);
PG_FUNCTION_INFO_V1(lakefs_reset_branch);
PG_FUNCTION_INFO_V1(lakefs_history_backfill);
PG_FUNCTION_INFO_V1(lakefs_copy_object);
PG_FUNCTION_INFO_V1(lakefs_update_object_metadata);

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

/* staged form of an entry read from a tree or staging, at path */
static void
entry_to_staged(const LakefsEntry *e, const char *path, LkStaged *s)
{
	memset(s, 0, sizeof(*s));
	s->path = (char *) path;
	s->address = pnstrdup(e->address, e->address_len);
	s->full_address = (e->flags & LK_ENTRY_FULL_ADDRESS) != 0;
	s->size = e->size;
	s->checksum = pnstrdup(e->checksum, e->checksum_len);
	s->last_modified = (TimestampTz) e->mtime;
	s->content_type = e->content_type_len ? pnstrdup(e->content_type, e->content_type_len) : NULL;
	s->metadata = e->metadata_len ? pnstrdup(e->metadata, e->metadata_len) : NULL;
}

/* the entry at path of ref (with a branch's staging), or 42704 */
static void
lookup_entry(LkRepo *repo, const LkRef *ref, const char *expr, const char *path,
			 LakefsEntry *e)
{
	if (!listing_lookup(repo, ref, path, e))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("object \"%s\" not found in ref \"%s\"", path, expr)));
}

/*
 * lakefs_copy_object(repository, src_ref, src_path, dst_branch, dst_path):
 * stage at dst_path on dst_branch an entry pointing at the same physical
 * object as src_path of src_ref (a shallow copy, as lakeFS's copy: no bytes
 * move); its last_modified is now, everything else is the source's.
 */
Datum
lakefs_copy_object(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *src_expr = ARG_TEXT(1);
	char	   *src_path = ARG_TEXT(2);
	char	   *dst_branch = ARG_TEXT(3);
	char	   *dst_path = ARG_TEXT(4);
	LkCommitId	head;
	LkRef		src;
	LakefsEntry e;
	LkStaged	s;

	check_path(dst_path);
	lock_branch(repo, dst_branch, head);
	refs_resolve(repo, src_expr, &src);
	lookup_entry(repo, &src, src_expr, src_path, &e);
	entry_to_staged(&e, dst_path, &s);
	s.last_modified = GetCurrentTransactionStartTimestamp();
	staging_put(repo->id, dst_branch, &s);
	PG_RETURN_VOID();
}

/*
 * lakefs_update_object_metadata(repository, branch, path, metadata): stage
 * the branch's entry at path again with metadata (a JSON object) as its user
 * metadata, everything else unchanged (as lakeFS's update of user metadata).
 */
Datum
lakefs_update_object_metadata(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *path = ARG_TEXT(2);
	char	   *metadata;
	LkCommitId	head;
	LkRef		ref;
	LakefsEntry e;
	LkStaged	s;

	lk_arg_require(fcinfo, 3);
	metadata = object_metadata_arg(fcinfo, 3);
	lock_branch(repo, branch, head);
	memcpy(ref.commit, head, sizeof(LkCommitId));
	ref.branch = branch;
	lookup_entry(repo, &ref, branch, path, &e);
	entry_to_staged(&e, path, &s);
	s.metadata = metadata;
	staging_put(repo->id, branch, &s);
	PG_RETURN_VOID();
}
