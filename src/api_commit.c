/*-------------------------------------------------------------------------
 *
 * api_commit.c
 *		SQL functions for commits: commit, log, and the debug counters.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "api_args.h"
#include "catalog.h"
#include "commit.h"
#include "history.h"
#include "manifest.h"
#include "refs.h"

PG_FUNCTION_INFO_V1(lakefs_commit);
PG_FUNCTION_INFO_V1(lakefs_log);
PG_FUNCTION_INFO_V1(lakefs_debug_counters);


/* lakefs_commit(repo, branch, message, metadata, allow_empty) -> commit id */
Datum
lakefs_commit(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *message = ARG_TEXT(2);
	Jsonb	   *md = commit_metadata_arg(fcinfo, 3);
	bool		allow_empty = !PG_ARGISNULL(4) && PG_GETARG_BOOL(4);
	ApplyStats	stats;
	char	   *id;

	id = commit_on_branch(repo, branch, message, md, allow_empty, &stats);
	elog(DEBUG1, "commit %s: %lld changes, %lld ranges reused, %lld written, %lld entries",
		 id, (long long) stats.changes, (long long) stats.ranges_reused,
		 (long long) stats.ranges_written, (long long) stats.entries);
	PG_RETURN_TEXT_P(cstring_to_text(id));
}

/* an optional text[] argument as C strings (NULL elements refused: 22004) */
static char **
text_array_arg(FunctionCallInfo fcinfo, int n, int *count)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;

	*count = 0;
	if (n >= PG_NARGS() || PG_ARGISNULL(n))
		return NULL;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(n), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, count);
	out = palloc(sizeof(char *) * Max(*count, 1));
	for (int i = 0; i < *count; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain null", lk_arg_name(fcinfo, n))));
		out[i] = TextDatumGetCString(elems[i]);
	}
	return out;
}

static bool
opt_given(FunctionCallInfo fcinfo, int n)
{
	return n < PG_NARGS() && !PG_ARGISNULL(n);
}

static void
log_row(ReturnSetInfo *rsinfo, const LkCommit *c)
{
	Datum		v[7];
	bool		nulls[7] = {0};
	Datum	   *parents = palloc(sizeof(Datum) * (c->nparents + 1));

	for (int i = 0; i < c->nparents; i++)
		parents[i] = CStringGetTextDatum(c->parents[i]);
	v[0] = CStringGetTextDatum(c->id);
	v[1] = PointerGetDatum(construct_array(parents, c->nparents, TEXTOID, -1, false,
										   TYPALIGN_INT));
	v[2] = CStringGetTextDatum(c->message);
	v[3] = CStringGetTextDatum(c->committer);
	v[4] = JsonbPGetDatum(c->metadata);
	v[5] = TimestampTzGetDatum(c->created_at);
	v[6] = Int32GetDatum(c->generation);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
}

/*
 * lakefs_log(repository, ref, max_count, paths, prefixes, since, until,
 *			  first_parent, exclude)
 *		The history of ref, newest first: every ancestor after all of its
 *		descendants; only commits not reachable from exclude (git's
 *		exclude..ref), only first parents (git's --first-parent), only
 *		commits that changed one of paths or a path under one of prefixes
 *		against their first parent (from the history index), created within
 *		[since, until]. The later arguments are absent through 0.1.0's
 *		declaration.
 */
Datum
lakefs_log(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	int64		max = PG_ARGISNULL(2) ? -1 : PG_GETARG_INT64(2);
	int			npaths;
	int			nprefixes;
	char	  **paths = text_array_arg(fcinfo, 3, &npaths);
	char	  **prefixes = text_array_arg(fcinfo, 4, &nprefixes);
	bool		has_since = opt_given(fcinfo, 5);
	bool		has_until = opt_given(fcinfo, 6);
	TimestampTz since = has_since ? PG_GETARG_TIMESTAMPTZ(5) : 0;
	TimestampTz until = has_until ? PG_GETARG_TIMESTAMPTZ(6) : 0;
	bool		first_parent = opt_given(fcinfo, 7) && PG_GETARG_BOOL(7);
	LkRef		ref;
	LkRef		exclude;
	HTAB	   *candidates = NULL;
	int32		min_generation = 0;
	CommitWalk *w;
	LkCommit   *c;
	int64		n = 0;

	if (max < 0 && !PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_count must not be negative"),
				 errhint("Pass NULL for the whole history.")));

	InitMaterializedSRF(fcinfo, 0);
	refs_resolve(repo, ARG_TEXT(1), &ref);
	if (opt_given(fcinfo, 8))
		refs_resolve(repo, text_to_cstring(PG_GETARG_TEXT_PP(8)), &exclude);
	if (paths || prefixes)
		candidates = history_candidates(repo, paths, npaths, prefixes, nprefixes,
										refs_get_commit(repo, ref.commit)->generation,
										&min_generation);
	w = commit_walk_start_ex(repo, ref.commit, opt_given(fcinfo, 8) ? exclude.commit : NULL,
							 first_parent);
	while ((max < 0 || n < max) && (c = commit_walk_next(w)) != NULL)
	{
		HistoryCandidate *hc = NULL;

		CHECK_FOR_INTERRUPTS();
		if (candidates)
		{
			/* the walk goes down in generation: no candidate is left below */
			if (c->generation < min_generation)
				break;
			hc = hash_search(candidates, c->id, HASH_FIND, NULL);
			if (hc == NULL)
				continue;
		}
		if ((has_since && c->created_at < since) || (has_until && c->created_at > until))
			continue;
		/* a marker commit changed too many paths to index them: look */
		if (hc && hc->marker &&
			!history_commit_changes(repo, c, paths, npaths, prefixes, nprefixes))
			continue;
		log_row(rsinfo, c);
		n++;
	}
	return (Datum) 0;
}

/* lakefs_debug_counters(): the backend's range-load counter (for tests) */
Datum
lakefs_debug_counters(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(lakefs_ranges_loaded);
}

PG_FUNCTION_INFO_V1(lakefs_ranges);

/* lakefs_ranges(repo, ref): the range descriptors of ref's committed tree */
Datum
lakefs_ranges(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	LkRef		ref;
	TreeReader *t;

	InitMaterializedSRF(fcinfo, 0);
	refs_resolve(repo, ARG_TEXT(1), &ref);
	t = tree_open(repo->id, refs_get_commit(repo, ref.commit)->metarange_id);
	for (uint32 i = 0; i < t->n; i++)
	{
		const RangeDesc *d = tree_desc(t, i);
		char		hex[LK_ID_HEX_LEN + 1];
		Datum		v[5];
		bool		nulls[5] = {0};

		lk_hex(d->id, LK_ID_LEN, hex);
		v[0] = CStringGetTextDatum(hex);
		v[1] = PointerGetDatum(cstring_to_text_with_len(d->min_key, d->min_len));
		v[2] = PointerGetDatum(cstring_to_text_with_len(d->max_key, d->max_len));
		v[3] = Int64GetDatum((int64) d->count);
		v[4] = Int64GetDatum((int64) d->bytes);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}
