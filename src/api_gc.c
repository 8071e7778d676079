/*-------------------------------------------------------------------------
 *
 * api_gc.c
 *		The SQL face of garbage collection: lakefs_set_gc_rules, lakefs_gc
 *		and lakefs_gc_candidates (the work is in gc.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "api_args.h"
#include "catalog.h"
#include "gc.h"
#include "governance.h"

PG_FUNCTION_INFO_V1(lakefs_set_gc_rules);
PG_FUNCTION_INFO_V1(lakefs_gc);
PG_FUNCTION_INFO_V1(lakefs_gc_candidates);

#define RULES_HINT "Pass a JSON object of branch names and intervals, " \
	"for example {\"main\": \"90 days\"}."

/*
 * check_branch_rules: the branches argument must be a JSON object whose
 * values are intervals as text, each a valid retention; 22023 otherwise
 * (22007 from interval_in for text that is not an interval).
 */
static void
check_branch_rules(Jsonb *j)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	if (!JB_ROOT_IS_OBJECT(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("branches must be a JSON object"),
				 errhint(RULES_HINT)));
	it = JsonbIteratorInit(&j->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			Interval   *iv;

			if (v.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("retention of branch \"%s\" is not an interval", key),
						 errhint(RULES_HINT)));
			iv = DatumGetIntervalP(DirectFunctionCall3(interval_in,
													   CStringGetDatum(pnstrdup(v.val.string.val,
																				v.val.string.len)),
													   ObjectIdGetDatum(InvalidOid),
													   Int32GetDatum(-1)));
			gc_check_retention(iv, psprintf("retention of branch \"%s\"", key));
		}
	}
}

/*
 * lakefs_set_gc_rules(repository, default_retention, branches)
 *		Replace the repository's GC rules, as lakeFS's garbage collection
 *		rules (default retention and per-branch overrides).
 */
Datum
lakefs_set_gc_rules(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	Interval   *dflt;
	Jsonb	   *branches;

	governance_check(repo->id, LK_PRIV_ADMIN, NULL);	/* rules are the admin's */
	lk_arg_require(fcinfo, 1);
	dflt = PG_GETARG_INTERVAL_P(1);
	gc_check_retention(dflt, "default_retention");
	branches = PG_ARGISNULL(2) ?
		DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))) :
		PG_GETARG_JSONB_P(2);
	check_branch_rules(branches);
	gc_catalog_set_rules(repo->id, dflt, branches);
	PG_RETURN_VOID();
}

/*
 * lakefs_gc(repository, dry_run)
 *		Mark (and unless dry_run, sweep); returns (active_commits,
 *		ranges_read, candidates, candidate_bytes, deleted).
 */
Datum
lakefs_gc(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	bool		dry_run;
	GcStats		st;
	TupleDesc	desc;
	Datum		v[5];
	bool		n[5] = {false, false, false, false, false};

	/* a mark records candidates and a sweep deletes objects: the admin's */
	governance_check(repo->id, LK_PRIV_ADMIN, NULL);
	lk_arg_require(fcinfo, 1);
	dry_run = PG_GETARG_BOOL(1);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	gc_run(repo, dry_run, &st);
	v[0] = Int64GetDatum(st.active_commits);
	v[1] = Int64GetDatum(st.ranges_read);
	v[2] = Int64GetDatum(st.candidates);
	v[3] = Int64GetDatum(st.candidate_bytes);
	v[4] = Int64GetDatum(st.deleted);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, n)));
}

/* lakefs_gc_candidates(repository): the latest mark's unswept candidates */
Datum
lakefs_gc_candidates(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);

	InitMaterializedSRF(fcinfo, 0);
	gc_catalog_candidates(repo->id, rsinfo->setResult, rsinfo->setDesc);
	return (Datum) 0;
}
