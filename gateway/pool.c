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
 * Every statement is a named prepared statement of its connection, parsed
 * and planned once (a small GET's statement costs about 0.3 ms prepared
 * against 0.55 ms parsed each time): the gateway's SQL texts are fixed
 * strings, so each connection keeps the list of texts it has prepared, in
 * the same pipeline as their first use. A reset connection starts a new
 * list. Privileges are checked at execution, as the role of the moment.
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"

#define GW_MAX_PREPARED 64

/* the statements a connection has prepared: stmt i is named "gw<i>" */
typedef struct Prepared
{
	int			n;
	char	   *sql[GW_MAX_PREPARED];
} Prepared;

static PGconn **conns;
static Prepared *prepared;		/* parallel to conns */
static int	nconns;
static int	nfree;
static PGconn **free_list;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t available = PTHREAD_COND_INITIALIZER;

static void
forget_prepared(Prepared *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->n; i++)
		free(p->sql[i]);
	p->n = 0;
}

/* the prepared-statement list of connection c */
static Prepared *
prepared_of(PGconn *c)
{
	for (int i = 0; i < nconns; i++)
		if (conns[i] == c)
			return &prepared[i];
	return NULL;
}

/*
 * queue sql on c (pipeline mode): as its prepared statement, preceded by
 * its Parse when this connection has not prepared it yet (*parsed set then:
 * one more result to read). Returns PQsend*'s success.
 */
static bool
send_prepared(PGconn *c, const char *sql, int nparams, const char *const *params,
			  bool *parsed)
{
	Prepared   *p = prepared_of(c);
	char		name[16];
	int			i;

	*parsed = false;
	for (i = 0; p && i < p->n; i++)
		if (strcmp(p->sql[i], sql) == 0)
			break;
	if (p == NULL || i == GW_MAX_PREPARED)
		return PQsendQueryParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
	snprintf(name, sizeof(name), "gw%d", i);
	if (i == p->n)
	{
		char	   *copy = strdup(sql);

		if (copy == NULL || !PQsendPrepare(c, name, sql, nparams, NULL))
		{
			free(copy);
			return false;
		}
		p->sql[p->n++] = copy;
		*parsed = true;
	}
	return PQsendQueryPrepared(c, name, nparams, params, NULL, NULL, 0);
}

/* gw_pool_init: open size connections; non-zero (logged) on failure */
int
gw_pool_init(const char *dsn, int size)
{
	conns = calloc(size, sizeof(PGconn *));
	free_list = calloc(size, sizeof(PGconn *));
	prepared = calloc(size, sizeof(Prepared));
	if (conns == NULL || free_list == NULL || prepared == NULL)
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
	{
		PQfinish(conns[i]);
		forget_prepared(&prepared[i]);
	}
	free(conns);
	free(free_list);
	free(prepared);
	conns = free_list = NULL;
	prepared = NULL;
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
	{
		Prepared   *p = prepared_of(c);

		PQreset(c);
		if (p)
			forget_prepared(p);
	}
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
	else if (strcmp(state, "42704") == 0 && strstr(msg, " has no user mapping for server "))
	{
		/* the key's role cannot reach the object store: a setup error */
		gw_error_set(err, 403, "AccessDenied", "%s", msg);
		gw_log(GW_LOG_WARNING, "%s %s: %s (CREATE USER MAPPING for the role, or FOR PUBLIC)",
			   r ? r->method : "-", r ? r->path : "-", msg);
	}
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
 * gw_write_ref_error: after a write to ref failed with 403 AccessDenied,
 * make *err the documented 400 InvalidArgument when ref is no branch (a tag,
 * a commit id, a missing branch): a role may hold write on some branches
 * only, and the privilege check comes before the ref's kind in the
 * database. Asked only when the role may read the repository (otherwise
 * the 403 stands: it may not learn what the ref is). Leaves any other error
 * as it is.
 */
void
gw_write_ref_error(GwRequest *r, const char *ref, GwError *err)
{
	const char *p[2];
	PGresult   *res;
	GwError		e2;

	if (err->status != 403 || strcmp(err->code, "AccessDenied") != 0 || r->bucket == NULL ||
		ref == NULL)
		return;
	p[0] = r->bucket;
	p[1] = ref;
	res = gw_sql(r, &e2, "SELECT lakefs_has_privilege($1, 'read') AND NOT EXISTS "
				 "(SELECT 1 FROM lakefs_branches WHERE repository = $1 AND branch = $2)", 2, p);
	if (res && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		gw_error_set(err, 400, "InvalidArgument",
					 "writes go to branches only: \"%s\" is not a branch of repository \"%s\"",
					 ref, r->bucket);
	PQclear(res);
}

/*
 * run_in_pipeline: the statements of one request as one pipeline (one round
 * trip, one implicit transaction): with a role, set_config('role'), sql and
 * RESET ROLE (when sql fails, the transaction's rollback also undoes the
 * role change); without, sql alone. Each is a prepared statement of the
 * connection (send_prepared). Returns sql's result, or NULL with *err set.
 */
static PGresult *
run_in_pipeline(PGconn *c, GwRequest *r, GwError *err, const char *sql, int nparams,
				const char *const *params)
{
	bool		as_role = r && r->auth.role[0];
	const char *p[1] = {as_role ? r->auth.role : ""};
	PGresult   *results[3] = {NULL, NULL, NULL};
	int			main_stmt = as_role ? 1 : 0;
	int			nstmts = as_role ? 3 : 1;
	bool		parsed[3] = {false, false, false};
	bool		sent;
	PGresult   *res;
	int			nulls = 0;
	int			kinds[6];
	bool		parse_slot[6];
	int			nslots = 0;
	int			slot = 0;
	bool		failed = false;

	sent = PQenterPipelineMode(c);
	if (sent && as_role)
		sent = send_prepared(c, "SELECT pg_catalog.set_config('role', $1, false)", 1, p,
							 &parsed[0]);
	sent = sent && send_prepared(c, sql, nparams, params, &parsed[main_stmt]);
	if (sent && as_role)
		sent = send_prepared(c, "RESET ROLE", 0, NULL, &parsed[2]);
	if (!sent || !PQpipelineSync(c))
	{
		gw_error_set(err, 503, "ServiceUnavailable", "the database connection failed: %s",
					 PQerrorMessage(c));
		/* what was queued is abandoned with the connection */
		PQexitPipelineMode(c);
		PQreset(c);
		forget_prepared(prepared_of(c));
		return NULL;
	}

	/*
	 * the results in queue order: per statement its Parse's (when queued)
	 * and its own, each followed by NULL, then the sync. After an error the
	 * server skips the rest up to the sync (PGRES_PIPELINE_ABORTED), Parses
	 * included.
	 */
	for (int i = 0; i < nstmts; i++)
	{
		if (parsed[i])
		{
			kinds[nslots] = i;
			parse_slot[nslots++] = true;
		}
		kinds[nslots] = i;
		parse_slot[nslots++] = false;
	}
	for (;;)
	{
		res = PQgetResult(c);
		if (res == NULL)
		{
			if (++nulls > 2 * nslots || PQstatus(c) != CONNECTION_OK)
				break;
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC)
		{
			PQclear(res);
			break;
		}
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
			failed = true;
		if (slot < nslots && results[kinds[slot]] == NULL &&
			(!parse_slot[slot] || PQresultStatus(res) != PGRES_COMMAND_OK))
			results[kinds[slot]] = res;		/* a failed Parse stands for its statement */
		else
			PQclear(res);
		slot++;
	}
	PQexitPipelineMode(c);
	if (failed && (parsed[0] || parsed[1] || parsed[2]))
	{
		/* a Parse may have been skipped: start this connection's list anew */
		PQclear(PQexec(c, "DEALLOCATE ALL"));
		forget_prepared(prepared_of(c));
	}
	if (as_role && (results[0] == NULL || PQresultStatus(results[0]) != PGRES_TUPLES_OK))
	{
		gw_error_set(err, 403, "AccessDenied", "the gateway cannot act as role \"%s\": %s",
					 r->auth.role, results[0] && PQresultErrorField(results[0], PG_DIAG_MESSAGE_PRIMARY) ?
					 PQresultErrorField(results[0], PG_DIAG_MESSAGE_PRIMARY) : "connection failed");
		res = NULL;
	}
	else if (results[main_stmt] == NULL ||
			 (PQresultStatus(results[main_stmt]) != PGRES_TUPLES_OK &&
			  PQresultStatus(results[main_stmt]) != PGRES_COMMAND_OK))
	{
		gw_sql_error(r, results[main_stmt], err);
		res = NULL;
	}
	else
	{
		res = results[main_stmt];
		results[main_stmt] = NULL;
	}
	for (int i = 0; i < 3; i++)
		PQclear(results[i]);
	return res;
}

/*
 * gw_sql: run sql (a fixed string: it is prepared once per connection) with
 * text parameters as the request's role (none when r is NULL or anonymous).
 * Returns the result (PQclear it) or NULL with *err set.
 */
PGresult *
gw_sql(GwRequest *r, GwError *err, const char *sql, int nparams,
	   const char *const *params)
{
	PGconn	   *c = gw_pool_get();
	PGresult   *res = run_in_pipeline(c, r, err, sql, nparams, params);

	gw_pool_put(c);
	return res;
}
