/*-------------------------------------------------------------------------
 *
 * pool.c
 *		The gateway's pool of libpq connections, role switching per request,
 *		and the mapping of SQLSTATEs to S3 errors.
 *
 * The gateway logs in as one role (the "authenticator", as PostgREST calls
 * it) that is granted every role its access keys may stand for and EXECUTE
 * on lakefs_verify_signature. Each statement of a request runs as the
 * request's role: set_config('role'), the statement and RESET ROLE go as
 * one libpq pipeline (one round trip, one transaction), on a connection
 * taken from the pool for that statement only (object bytes move without
 * one).
 * A connection found broken is reset before it is handed out again.
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"

static PGconn **conns;
static int	nconns;
static int	nfree;
static PGconn **free_list;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t available = PTHREAD_COND_INITIALIZER;

/* gw_pool_init: open size connections; non-zero (logged) on failure */
int
gw_pool_init(const char *dsn, int size)
{
	conns = calloc(size, sizeof(PGconn *));
	free_list = calloc(size, sizeof(PGconn *));
	if (conns == NULL || free_list == NULL)
		return 1;
	for (int i = 0; i < size; i++)
	{
		conns[i] = PQconnectdb(dsn);
		if (PQstatus(conns[i]) != CONNECTION_OK)
		{
			gw_log(GW_LOG_ERROR, "could not connect to the database: %s",
				   PQerrorMessage(conns[i]));
			PQfinish(conns[i]);
			conns[i] = NULL;
			gw_pool_close();
			return 1;
		}
		free_list[nfree++] = conns[i];
		nconns++;
	}
	return 0;
}

void
gw_pool_close(void)
{
	for (int i = 0; i < nconns; i++)
		PQfinish(conns[i]);
	free(conns);
	free(free_list);
	conns = free_list = NULL;
	nconns = nfree = 0;
}

/* gw_pool_get: a connection for one statement; waits for a free one */
PGconn *
gw_pool_get(void)
{
	PGconn	   *c;

	pthread_mutex_lock(&lock);
	while (nfree == 0)
		pthread_cond_wait(&available, &lock);
	c = free_list[--nfree];
	pthread_mutex_unlock(&lock);
	if (PQstatus(c) != CONNECTION_OK)
		PQreset(c);
	return c;
}

void
gw_pool_put(PGconn *c)
{
	pthread_mutex_lock(&lock);
	free_list[nfree++] = c;
	pthread_cond_signal(&available);
	pthread_mutex_unlock(&lock);
}

static bool
starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* gw_sql_error: the S3 error for a failed statement's result */
void
gw_sql_error(GwRequest *r, const PGresult *res, GwError *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (state == NULL)
		state = "08006";
	if (msg == NULL)
		msg = "the database connection failed";
	if (strcmp(state, "42704") == 0 && starts_with(msg, "multipart upload "))
		gw_error_set(err, 404, "NoSuchUpload", "The specified multipart upload does not exist: %s",
					 msg);
	else if (strcmp(state, "42704") == 0 && starts_with(msg, "repository "))
		gw_error_set(err, 404, "NoSuchBucket", "%s", msg);
	else if (strcmp(state, "42704") == 0 && starts_with(msg, "branch "))
		gw_error_set(err, 400, "InvalidArgument",
					 "writes go to branches only: %s", msg);
	else if (strcmp(state, "42704") == 0)
		gw_error_set(err, 404, "NoSuchKey", "%s", msg);
	else if (strcmp(state, "42501") == 0)
		gw_error_set(err, 403, "AccessDenied", "%s", msg);
	else if (strcmp(state, "0A000") == 0)
		gw_error_set(err, 501, "NotImplemented", "%s", msg);
	else if (starts_with(state, "22") || strcmp(state, "42P18") == 0 ||
			 strcmp(state, "42725") == 0)
		gw_error_set(err, 400, "InvalidArgument", "%s", msg);
	else if (strcmp(state, "55000") == 0)
		gw_error_set(err, 400, "InvalidRequest", "%s", msg);
	else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
			 strcmp(state, "55P03") == 0)
		gw_error_set(err, 409, "OperationAborted", "%s", msg);
	else if (starts_with(state, "08") || starts_with(state, "57"))
		gw_error_set(err, 503, "ServiceUnavailable", "%s", msg);
	else
	{
		gw_error_set(err, 500, "InternalError", "%s", msg);
		gw_log(GW_LOG_WARNING, "%s %s: SQLSTATE %s: %s", r ? r->method : "-",
			   r ? r->path : "-", state, msg);
	}
}

/*
 * run_as_role: set_config('role'), the statement and RESET ROLE sent as one
 * pipeline (one round trip, one implicit transaction: when the statement
 * fails, the transaction's rollback also undoes the role change). Returns
 * the statement's result, or NULL with *err set.
 */
static PGresult *
run_as_role(PGconn *c, GwRequest *r, GwError *err, const char *sql, int nparams,
			const char *const *params)
{
	const char *p[1] = {r->auth.role};
	PGresult   *results[3] = {NULL, NULL, NULL};
	PGresult   *res;
	int			n = 0;
	int			nulls = 0;

	if (!PQenterPipelineMode(c) ||
		!PQsendQueryParams(c, "SELECT pg_catalog.set_config('role', $1, false)", 1, NULL, p,
						   NULL, NULL, 0) ||
		!PQsendQueryParams(c, sql, nparams, NULL, params, NULL, NULL, 0) ||
		!PQsendQueryParams(c, "RESET ROLE", 0, NULL, NULL, NULL, NULL, 0) ||
		!PQpipelineSync(c))
	{
		PQexitPipelineMode(c);
		gw_error_set(err, 503, "ServiceUnavailable", "the database connection failed: %s",
					 PQerrorMessage(c));
		return NULL;
	}
	/* three results, each followed by NULL, then the sync */
	for (;;)
	{
		res = PQgetResult(c);
		if (res == NULL)
		{
			if (++nulls > 3 || PQstatus(c) != CONNECTION_OK)
				break;
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC)
		{
			PQclear(res);
			break;
		}
		if (n < 3)
			results[n++] = res;
		else
			PQclear(res);
	}
	PQexitPipelineMode(c);
	if (results[0] == NULL || PQresultStatus(results[0]) != PGRES_TUPLES_OK)
	{
		gw_error_set(err, 403, "AccessDenied", "the gateway cannot act as role \"%s\": %s",
					 r->auth.role, results[0] && PQresultErrorField(results[0], PG_DIAG_MESSAGE_PRIMARY) ?
					 PQresultErrorField(results[0], PG_DIAG_MESSAGE_PRIMARY) : "connection failed");
		res = NULL;
	}
	else if (results[1] == NULL || (PQresultStatus(results[1]) != PGRES_TUPLES_OK &&
									PQresultStatus(results[1]) != PGRES_COMMAND_OK))
	{
		gw_sql_error(r, results[1], err);
		res = NULL;
	}
	else
	{
		res = results[1];
		results[1] = NULL;
	}
	for (int i = 0; i < 3; i++)
		PQclear(results[i]);
	return res;
}

/*
 * gw_sql: run sql with text parameters as the request's role (none when r is
 * NULL or anonymous). Returns the result (PQclear it) or NULL with *err set.
 */
PGresult *
gw_sql(GwRequest *r, GwError *err, const char *sql, int nparams,
	   const char *const *params)
{
	PGconn	   *c = gw_pool_get();
	PGresult   *res;

	if (r && r->auth.role[0])
		res = run_as_role(c, r, err, sql, nparams, params);
	else
	{
		res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			gw_sql_error(r, res, err);
			PQclear(res);
			res = NULL;
		}
	}
	gw_pool_put(c);
	return res;
}
