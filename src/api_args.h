/*-------------------------------------------------------------------------
 *
 * api_args.h
 *		Argument helpers of the SQL face: the one place where a SQL-callable
 *		function turns its fmgr arguments into C values.
 *
 * Every pg_lakefs function is either STRICT or reads each argument through
 * these helpers, so a NULL never reaches C code as a pointer: a required
 * argument that is NULL raises 22004 (null_value_not_allowed) naming the
 * argument as pg_proc names it, and an optional one takes its default.
 *
 *-------------------------------------------------------------------------
 */
#ifndef API_ARGS_H
#define API_ARGS_H

#include "fmgr.h"
#include "utils/jsonb.h"

/*
 * lk_arg_require: throws 22004 naming argument n when it is NULL; returns
 * otherwise. Use before PG_GETARG_* of a non-text required argument.
 */
extern void lk_arg_require(FunctionCallInfo fcinfo, int n);

/*
 * lk_arg_text: argument n as a palloc'd C string (current memory context);
 * throws 22004 naming the argument when it is NULL.
 */
extern char *lk_arg_text(FunctionCallInfo fcinfo, int n);

/* lk_arg_text_or: like lk_arg_text, but returns dflt (not copied) for NULL. */
extern char *lk_arg_text_or(FunctionCallInfo fcinfo, int n, char *dflt);

/*
 * lk_arg_name: the name of argument n of the called function as declared
 * in pg_proc ("argument N" when it has none); palloc'd. Reads the syscache:
 * meant for error paths.
 */
extern char *lk_arg_name(FunctionCallInfo fcinfo, int n);

/*
 * commit_metadata_arg: argument n as commit metadata, a JSON object of any
 * values ('{}' for NULL); 22023 for any other JSON. Not copied.
 */
extern Jsonb *commit_metadata_arg(FunctionCallInfo fcinfo, int n);

/*
 * object_metadata_arg: argument n, an object's user metadata, as the text of
 * a JSON object (palloc'd), NULL for SQL NULL; 22023 for any other JSON.
 */
extern char *object_metadata_arg(FunctionCallInfo fcinfo, int n);

#define ARG_TEXT(n) lk_arg_text(fcinfo, (n))
#define ARG_TEXT_OR(n, dflt) lk_arg_text_or(fcinfo, (n), (dflt))

#endif							/* API_ARGS_H */
