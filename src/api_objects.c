/*-------------------------------------------------------------------------
 *
 * api_objects.c
 *		SQL functions for entries: staging, deleting, resetting, listing,
 *		stat.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "api_args.h"
#include "blockstore.h"
#include "catalog.h"
#include "commit.h"
#include "listing.h"
#include "metrics.h"
#include "names.h"
#include "objects.h"
#include "refs.h"
#include "staging.h"

PG_FUNCTION_INFO_V1(lakefs_stage_object);
PG_FUNCTION_INFO_V1(lakefs_stage_objects);
PG_FUNCTION_INFO_V1(lakefs_delete_object);
PG_FUNCTION_INFO_V1(lakefs_reset);
PG_FUNCTION_INFO_V1(lakefs_ls);
PG_FUNCTION_INFO_V1(lakefs_stat);


/*
 * lakefs_stage_object(repo, branch, path, physical_address, size, checksum,
 *					   content_type, metadata, last_modified)
 */
Datum
lakefs_stage_object(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	LkStaged	s;
	LkCommitId	head;

	memset(&s, 0, sizeof(s));
	s.path = ARG_TEXT(2);
	s.address = ARG_TEXT(3);
	lk_arg_require(fcinfo, 4);
	s.size = PG_GETARG_INT64(4);
	s.checksum = ARG_TEXT(5);
	s.content_type = ARG_TEXT_OR(6, NULL);
	s.metadata = object_metadata_arg(fcinfo, 7);
	s.last_modified = PG_ARGISNULL(8) ? GetCurrentTransactionStartTimestamp() :
		PG_GETARG_TIMESTAMPTZ(8);
	s.full_address = strstr(s.address, "://") != NULL;
	check_path(s.path);
	check_entry_header("checksum", s.path, s.checksum, strlen(s.checksum));
	if (s.content_type)
		check_entry_header("content type", s.path, s.content_type, strlen(s.content_type));
	if (s.address[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("physical address must not be empty")));
	if (s.size < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("object size must not be negative")));
	lock_branch(repo, branch, head);
	staging_put(repo->id, branch, &s);
	PG_RETURN_VOID();
}

/* lakefs_stage_objects(repo, branch, query): stage every row of a query */
Datum
lakefs_stage_objects(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	LkCommitId	head;

	lock_branch(repo, branch, head);
	PG_RETURN_INT64(staging_put_query(repo->id, branch, ARG_TEXT(2)));
}

/* lakefs_delete_object(repo, branch, path): stage a tombstone */
Datum
lakefs_delete_object(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *path = ARG_TEXT(2);
	LkRef		ref;
	LakefsEntry e;
	LkStaged	s;
	LkCommitId	head;

	check_path(path);
	lock_branch(repo, branch, head);
	/* the branch as a ref (its head and staging), without resolving it again */
	memcpy(ref.commit, head, sizeof(LkCommitId));
	ref.branch = branch;
	if (!listing_lookup(repo, &ref, path, &e))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("object \"%s\" not found on branch \"%s\"", path, branch)));
	memset(&s, 0, sizeof(s));
	s.path = path;
	s.tombstone = true;
	staging_put(repo->id, branch, &s);
	PG_RETURN_VOID();
}

/* lakefs_reset(repo, branch, prefix): drop staged changes; returns how many */
Datum
lakefs_reset(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *prefix = ARG_TEXT_OR(2, NULL);
	LkCommitId	head;

	lock_branch(repo, branch, head);
	/* the whole staging area includes the branch's staged metrics */
	if (prefix == NULL || prefix[0] == '\0')
		(void) metrics_reset(repo->id, branch);
	PG_RETURN_INT64(staging_reset(repo->id, branch, prefix));
}

/* one output row of ls/stat */
static void
entry_values(LkRepo *repo, const LakefsEntry *e, Datum *v, bool *n)
{
	memset(n, 0, sizeof(bool) * 8);
	v[0] = PointerGetDatum(cstring_to_text_with_len(e->path, e->path_len));
	v[1] = CStringGetTextDatum("object");
	v[2] = CStringGetTextDatum(entry_full_address(repo, e));
	v[3] = Int64GetDatum(e->size);
	v[4] = PointerGetDatum(cstring_to_text_with_len(e->checksum, e->checksum_len));
	v[5] = TimestampTzGetDatum(e->mtime);
	if (e->content_type_len)
		v[6] = PointerGetDatum(cstring_to_text_with_len(e->content_type,
														e->content_type_len));
	else
		n[6] = true;
	if (e->metadata_len)
		v[7] = DirectFunctionCall1(jsonb_in,
								   CStringGetDatum(pnstrdup(e->metadata, e->metadata_len)));
	else
		n[7] = true;
}

/* true when path[0..len) sorts at or before after (bytewise, as paths do) */
static bool
at_or_before(const char *path, size_t len, const char *after, size_t alen)
{
	int			c = memcmp(path, after, Min(len, alen));

	return c < 0 || (c == 0 && len <= alen);
}

/*
 * lakefs_ls(repo, ref, prefix, delimiter, after, amount)
 *		Entries under prefix at ref, in path order. With a delimiter, paths
 *		that continue past the next delimiter fold into one common_prefix row
 *		each, as S3's ListObjects does; the listing skips past them by seek.
 *		Rows (paths or common prefixes) at or before after are left out, and
 *		at most amount rows come back: a page starts by seeking to after, so
 *		it costs O(page) at any depth (S3's start-after / continuation token).
 *		The 0.1.0 declaration has only the first four arguments (PG_NARGS).
 */
Datum
lakefs_ls(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *prefix = ARG_TEXT_OR(2, "");
	char	   *delim = PG_ARGISNULL(3) ? NULL : ARG_TEXT(3);
	char	   *after = PG_NARGS() > 4 ? ARG_TEXT_OR(4, NULL) : NULL;
	int64		amount = (PG_NARGS() > 5 && !PG_ARGISNULL(5)) ? PG_GETARG_INT64(5) : -1;
	size_t		plen = strlen(prefix);
	size_t		dlen = delim ? strlen(delim) : 0;
	size_t		alen = after ? strlen(after) : 0;
	int64		rows = 0;
	LkRef		ref;
	RefListing *l;
	LakefsEntry e;
	MemoryContext rowcxt;

	if (PG_NARGS() > 5 && !PG_ARGISNULL(5) && amount < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must not be negative")));
	InitMaterializedSRF(fcinfo, 0);
	refs_resolve(repo, ARG_TEXT(1), &ref);
	l = listing_open(repo, &ref, (after && strcmp(after, prefix) > 0) ? after : prefix);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "lakefs ls row",
								   ALLOCSET_SMALL_SIZES);
	while (amount < 0 || rows < amount)
	{
		Datum		v[8];
		bool		n[8];
		MemoryContext old;
		const char *d;

		if (!listing_next(l, &e))
			break;
		CHECK_FOR_INTERRUPTS();
		if (e.path_len < plen || memcmp(e.path, prefix, plen) != 0)
			break;
		d = dlen ? memmem(e.path + plen, e.path_len - plen, delim, dlen) : NULL;
		if (d == NULL)
		{
			if (after && at_or_before(e.path, e.path_len, after, alen))
				continue;
			old = MemoryContextSwitchTo(rowcxt);
			entry_values(repo, &e, v, n);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
			rows++;
			continue;
		}
		else
		{
			size_t		cplen = d + dlen - e.path;
			char	   *next;

			old = MemoryContextSwitchTo(rowcxt);
			next = lk_prefix_successor(e.path, cplen);
			if (!(after && at_or_before(e.path, cplen, after, alen)))
			{
				memset(n, true, sizeof(n));
				n[0] = n[1] = false;
				v[0] = PointerGetDatum(cstring_to_text_with_len(e.path, cplen));
				v[1] = CStringGetTextDatum("common_prefix");
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
				rows++;
			}
			MemoryContextSwitchTo(old);
			if (next == NULL)
				break;
			next = pstrdup(next);
			MemoryContextReset(rowcxt);
			listing_seek(l, next);
		}
	}
	listing_close(l);
	return (Datum) 0;
}

/*
 * stat_entry: the entry of lakefs_stat's arguments (repo, ref, path) as the
 * values of its row (v, n: 8 each), the entry into *e; *repo_out set. Throws
 * ERRCODE_UNDEFINED_OBJECT when there is no entry at path.
 */
static TupleDesc
stat_entry(FunctionCallInfo fcinfo, LkRepo **repo_out, LakefsEntry *e, Datum *v, bool *n)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *refexpr = ARG_TEXT(1);
	char	   *path = ARG_TEXT(2);
	LkRef		ref;
	TupleDesc	desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "lakefs_stat must return a composite type");
	refs_resolve(repo, refexpr, &ref);
	if (!listing_lookup(repo, &ref, path, e))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("object \"%s\" not found at ref \"%s\" of repository \"%s\"",
						path, refexpr, repo->name)));
	entry_values(repo, e, v, n);
	*repo_out = repo;
	return BlessTupleDesc(desc);
}

/* lakefs_stat(repo, ref, path): the entry at path, or an error */
Datum
lakefs_stat(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo;
	LakefsEntry e;
	Datum		v[8];
	bool		n[8];
	TupleDesc	desc = stat_entry(fcinfo, &repo, &e, v, n);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, v, n)));
}

PG_FUNCTION_INFO_V1(lakefs_stat_presigned);

/*
 * lakefs_stat_presigned(repo, ref, path, expires): lakefs_stat's row with
 * physical_address replaced by a presigned GET URL of the object (as
 * lakeFS's statObject with presign=true): the S3 gateway's one statement
 * per GetObject, the ref and path resolved once.
 */
Datum
lakefs_stat_presigned(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo;
	LakefsEntry e;
	Datum		v[8];
	bool		n[8];
	TupleDesc	desc = stat_entry(fcinfo, &repo, &e, v, n);
	int			secs = PG_ARGISNULL(3) ? 900 : objects_expiry_seconds(PG_GETARG_INTERVAL_P(3));

	v[2] = CStringGetTextDatum(blockstore_presign(repo_server(repo),
												  entry_full_address(repo, &e),
												  "GET", secs, time(NULL)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, v, n)));
}

PG_FUNCTION_INFO_V1(lakefs_staged);

/* lakefs_staged(repo, branch): the branch's staged changes in path order */
Datum
lakefs_staged(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	StagingCursor *cur;
	const LkStagedEntry *s;
	MemoryContext rowcxt;

	InitMaterializedSRF(fcinfo, 0);
	cur = staging_cursor_open(repo->id, branch, "");
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "lakefs staged row",
								   ALLOCSET_SMALL_SIZES);
	while ((s = staging_cursor_next(cur)) != NULL)
	{
		Datum		v[8];
		bool		n[8];
		MemoryContext old = MemoryContextSwitchTo(rowcxt);

		if (s->tombstone)
		{
			memset(n, true, sizeof(n));
			n[0] = n[1] = false;
			v[0] = PointerGetDatum(cstring_to_text_with_len(s->entry.path, s->entry.path_len));
		}
		else
			entry_values(repo, &s->entry, v, n);
		v[1] = CStringGetTextDatum(s->tombstone ? "delete" : "upsert");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	staging_cursor_close(cur);
	return (Datum) 0;
}
