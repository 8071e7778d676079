/*-------------------------------------------------------------------------
 *
 * api_args.c
 *		Argument helpers of the SQL face (see api_args.h): NULL checks that
 *		name the argument, and text arguments as C strings.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/syscache.h"

#include "api_args.h"

char *
lk_arg_name(FunctionCallInfo fcinfo, int n)
{
	Oid			fn = fcinfo->flinfo ? fcinfo->flinfo->fn_oid : InvalidOid;
	HeapTuple	tup;
	char	   *name = NULL;

	if (OidIsValid(fn) &&
		HeapTupleIsValid(tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn))))
	{
		Oid		   *types;
		char	  **names;
		char	   *modes;
		int			nargs = get_func_arg_info(tup, &types, &names, &modes);
		int			in = 0;

		/* n counts input arguments only; skip OUT ones in the name list */
		for (int i = 0; names != NULL && i < nargs; i++)
		{
			if (modes != NULL && (modes[i] == PROARGMODE_OUT ||
								  modes[i] == PROARGMODE_TABLE))
				continue;
			if (in++ == n)
			{
				if (names[i][0] != '\0')
					name = pstrdup(names[i]);
				break;
			}
		}
		ReleaseSysCache(tup);
	}
	return name ? name : psprintf("argument %d", n + 1);
}

void
lk_arg_require(FunctionCallInfo fcinfo, int n)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", lk_arg_name(fcinfo, n))));
}

char *
lk_arg_text(FunctionCallInfo fcinfo, int n)
{
	lk_arg_require(fcinfo, n);
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

char *
lk_arg_text_or(FunctionCallInfo fcinfo, int n, char *dflt)
{
	return PG_ARGISNULL(n) ? dflt : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/* commit_metadata_arg: see api_args.h */
Jsonb *
commit_metadata_arg(FunctionCallInfo fcinfo, int n)
{
	Jsonb	   *md;

	if (PG_ARGISNULL(n))
		return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	md = PG_GETARG_JSONB_P(n);
	if (!JB_ROOT_IS_OBJECT(md) || JB_ROOT_IS_SCALAR(md))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("commit metadata must be a JSON object"),
				 errhint("For example: '{\"accuracy\": \"0.93\"}'.")));
	{
		/* top-level keys name metadata fields: none may be empty (lakeFS) */
		JsonbIterator *it = JsonbIteratorInit(&md->root);
		JsonbValue	v;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			if (tok == WJB_KEY && v.val.string.len == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("commit metadata keys must not be empty")));
	}
	return md;
}

/* object_metadata_arg: see api_args.h */
char *
object_metadata_arg(FunctionCallInfo fcinfo, int n)
{
	Jsonb	   *md;

	if (PG_ARGISNULL(n))
		return NULL;
	md = PG_GETARG_JSONB_P(n);
	if (!JB_ROOT_IS_OBJECT(md) || JB_ROOT_IS_SCALAR(md))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("object metadata must be a JSON object")));
	return JsonbToCString(NULL, &md->root, VARSIZE(md));
}
