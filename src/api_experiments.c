/*-------------------------------------------------------------------------
 *
 * api_experiments.c
 *		SQL functions for experiments: lakefs_experiments, lakefs_log_metric,
 *		lakefs_get_text, lakefs_get_json and lakefs_merge_result.
 *
 * Thin wrappers: arguments through api_args, the work in experiments.c
 * (engine), metrics.c (catalog) and objects.c (object I/O).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/jsonapi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "api_args.h"
#include "catalog.h"
#include "commit.h"
#include "experiments.h"
#include "metrics.h"
#include "objects.h"

PG_FUNCTION_INFO_V1(lakefs_experiments);
PG_FUNCTION_INFO_V1(lakefs_log_metric);
PG_FUNCTION_INFO_V1(lakefs_get_text);
PG_FUNCTION_INFO_V1(lakefs_get_json);
PG_FUNCTION_INFO_V1(lakefs_merge_result);

/*
 * lakefs_experiments(repository, branches, order_by)
 *		-> (branch, commit_id, committed_at, message, metadata, base_commit,
 *			commits_since)
 */
Datum
lakefs_experiments(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *pattern = ARG_TEXT_OR(1, "%");
	ExperimentOrder order;
	Experiment *rows;
	int			n;

	experiment_order_parse(ARG_TEXT_OR(2, NULL), &order);
	InitMaterializedSRF(fcinfo, 0);
	rows = experiments_collect(repo, pattern, &order, &n);
	for (int i = 0; i < n; i++)
	{
		Experiment *e = &rows[i];
		Datum		v[7];
		bool		nulls[7] = {0};

		v[0] = CStringGetTextDatum(e->branch);
		if (e->commit != NULL)
		{
			v[1] = CStringGetTextDatum(e->commit->id);
			v[2] = TimestampTzGetDatum(e->commit->created_at);
			v[3] = CStringGetTextDatum(e->commit->message);
			v[4] = JsonbPGetDatum(e->commit->metadata);
		}
		else
			nulls[1] = nulls[2] = nulls[3] = nulls[4] = true;
		if (e->has_base)
		{
			v[5] = CStringGetTextDatum(e->base);
			v[6] = Int32GetDatum(e->commits_since);
		}
		else
			nulls[5] = nulls[6] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

/*
 * lakefs_log_metric(repository, branch, key, value, step): stage a metric
 * on the branch; the next commit on it takes it.
 */
Datum
lakefs_log_metric(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *key = ARG_TEXT(2);
	double		value;
	LkCommitId	head;

	lk_arg_require(fcinfo, 3);
	value = PG_GETARG_FLOAT8(3);
	if (key[0] == '\0' || strlen(key) > 255)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid metric key \"%s\"", key),
				 errdetail("A metric key is 1 to 255 bytes long.")));
	for (const char *c = key; *c; c++)
		if ((unsigned char) *c < 0x20 || *c == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("metric key must not contain control characters"),
					 errdetail("A metric key is printable text, as MLflow's.")));
	lock_branch(repo, branch, head);
	metrics_log(repo->id, branch, key, value, !PG_ARGISNULL(4),
				PG_ARGISNULL(4) ? 0 : PG_GETARG_INT64(4));
	PG_RETURN_VOID();
}

/* the object as text in the server encoding; 22021 when it is not UTF-8 */
static char *
object_text(FunctionCallInfo fcinfo, int *len)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *ref = ARG_TEXT(1);
	char	   *path = ARG_TEXT(2);
	bytea	   *data = objects_read(repo, ref, path);
	char	   *s = VARDATA_ANY(data);
	int			n = VARSIZE_ANY_EXHDR(data);
	char	   *conv;

	if (!pg_verify_mbstr(PG_UTF8, s, n, true))
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("object \"%s\" at \"%s\" is not valid UTF-8 text", path, ref),
				 errhint("Read it as bytes with lakefs_get_object().")));
	conv = pg_any_to_server(s, n, PG_UTF8);
	if (conv == s)
		conv = pnstrdup(s, n);
	*len = strlen(conv);
	return conv;
}

/* lakefs_get_text(repository, ref, path) -> the object as text */
Datum
lakefs_get_text(PG_FUNCTION_ARGS)
{
	int			len;
	char	   *s = object_text(fcinfo, &len);

	PG_RETURN_TEXT_P(cstring_to_text_with_len(s, len));
}

/* lakefs_get_json(repository, ref, path) -> the object parsed as jsonb */
Datum
lakefs_get_json(PG_FUNCTION_ARGS)
{
	int			len;
	char	   *s = object_text(fcinfo, &len);
	JsonLexContext *lex = makeJsonLexContextCstringLen(s, len, GetDatabaseEncoding(), true);
	JsonParseErrorType rc = pg_parse_json(lex, &nullSemAction);

	if (rc != JSON_SUCCESS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("object \"%s\" at \"%s\" is not JSON", ARG_TEXT(2), ARG_TEXT(1)),
				 errdetail("%s", json_errdetail(rc, lex)),
				 errhint("Read it as text with lakefs_get_text().")));
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s)));
}

/*
 * lakefs_merge_result(repository, source_ref, dest_branch, message,
 *					   metadata, strategy, fast_forward)
 *		lakefs_merge as a row: (outcome, commit_id, changed_paths).
 */
Datum
lakefs_merge_result(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *source = ARG_TEXT(1);
	char	   *dest = ARG_TEXT(2);
	MergeStrategy strategy = merge_strategy_parse(ARG_TEXT_OR(5, NULL));
	MergeResult r;
	char	   *id;
	TupleDesc	desc;
	Datum		v[3];
	bool		n[3] = {false, false, false};

	id = merge_into_branch(repo, source, dest, ARG_TEXT_OR(3, NULL),
						   commit_metadata_arg(fcinfo, 4), strategy,
						   PG_ARGISNULL(6) || PG_GETARG_BOOL(6), false, &r);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	v[0] = CStringGetTextDatum(merge_outcome_name(r.outcome));
	v[1] = CStringGetTextDatum(id);
	v[2] = Int64GetDatum(merge_report(repo, source, dest, &r, id));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, n)));
}
