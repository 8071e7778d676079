/*-------------------------------------------------------------------------
 *
 * catalog.c
 *		SPI access to the lakefs.* tables. With staging.c and staging_bulk.c
 *		it is the catalog layer, the only code that runs SQL.
 *
 * Each public function connects to SPI, runs one or two saved plans with
 * parameters, copies what it returns into the caller's memory context, and
 * disconnects. Plans are prepared on first use and kept for the backend's
 * life (the plan cache re-plans them if the tables are recreated).
 *
 * Locking: catalog_get_branch(..., BRANCH_LOCK_UPDATE) takes the branch row
 * lock (SELECT ... FOR NO KEY UPDATE) that serializes the writers of one
 * branch and nothing else.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "catalog_spi.h"
#include "gc.h"
#include "governance.h"


typedef enum CatalogPlan
{
	P_GET_REPO,
	P_INSERT_REPO,
	P_DELETE_REPO,
	P_LOCK_REPO,
	P_GET_COMMIT,
	P_FIND_COMMIT_PREFIX,
	P_INSERT_COMMIT,
	P_GET_RANGE,
	P_GET_METARANGE,
	P_PUT_RANGE,
	P_PUT_METARANGE,
	P_GET_BRANCH,
	P_GET_BRANCH_LOCK,
	P_INSERT_BRANCH,
	P_SET_BRANCH_HEAD,
	P_DELETE_BRANCH,
	P_GET_TAG,
	P_INSERT_TAG,
	P_DELETE_TAG,
	NUM_PLANS
} CatalogPlan;

typedef struct PlanDef
{
	const char *sql;
	int			nargs;
	Oid			types[11];
} PlanDef;

static const PlanDef plan_defs[NUM_PLANS] = {
	[P_GET_REPO] = {"SELECT id, name, storage_namespace, default_branch, server_name "
		"FROM lakefs.repositories WHERE name = $1", 1, {TEXTOID}},
	[P_INSERT_REPO] = {"INSERT INTO lakefs.repositories (name, storage_namespace, "
		"default_branch, server_name, owner) VALUES ($1, $2, $3, $4, $5) "
		"ON CONFLICT (name) DO NOTHING RETURNING id",
	5, {TEXTOID, TEXTOID, TEXTOID, NAMEOID, NAMEOID}},
	[P_DELETE_REPO] = {"DELETE FROM lakefs.repositories WHERE id = $1", 1, {INT4OID}},
	[P_LOCK_REPO] = {"SELECT 1 FROM lakefs.repositories WHERE id = $1 FOR KEY SHARE",
	1, {INT4OID}},
	[P_GET_COMMIT] = {"SELECT id, parents, metarange_id, message, committer, metadata, "
		"created_at, generation FROM lakefs.commits WHERE repo_id = $1 AND id = $2",
	2, {INT4OID, TEXTOID}},
	[P_FIND_COMMIT_PREFIX] = {"SELECT id FROM lakefs.commits WHERE repo_id = $1 "
		"AND id >= $2 AND id < $3 ORDER BY id LIMIT 2",
	3, {INT4OID, TEXTOID, TEXTOID}},
	[P_INSERT_COMMIT] = {"INSERT INTO lakefs.commits (repo_id, id, parents, metarange_id, "
		"message, committer, metadata, created_at, generation) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
	9, {INT4OID, TEXTOID, TEXTARRAYOID, BYTEAOID, TEXTOID, TEXTOID, JSONBOID,
	TIMESTAMPTZOID, INT4OID}},
	[P_GET_RANGE] = {"SELECT data FROM lakefs.ranges WHERE repo_id = $1 AND id = $2",
	2, {INT4OID, BYTEAOID}},
	[P_GET_METARANGE] = {"SELECT data FROM lakefs.metaranges WHERE repo_id = $1 AND id = $2",
	2, {INT4OID, BYTEAOID}},
	[P_PUT_RANGE] = {"INSERT INTO lakefs.ranges (repo_id, id, entries, data) "
		"VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
	4, {INT4OID, BYTEAOID, INT4OID, BYTEAOID}},
	[P_PUT_METARANGE] = {"INSERT INTO lakefs.metaranges (repo_id, id, ranges, entries, data) "
		"VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
	5, {INT4OID, BYTEAOID, INT4OID, INT8OID, BYTEAOID}},
	[P_GET_BRANCH] = {"SELECT head FROM lakefs.branches WHERE repo_id = $1 AND name = $2",
	2, {INT4OID, TEXTOID}},
	[P_GET_BRANCH_LOCK] = {"SELECT head FROM lakefs.branches WHERE repo_id = $1 AND name = $2 "
		"FOR NO KEY UPDATE", 2, {INT4OID, TEXTOID}},
	[P_INSERT_BRANCH] = {"INSERT INTO lakefs.branches (repo_id, name, head) VALUES ($1, $2, $3) "
		"ON CONFLICT DO NOTHING",
	3, {INT4OID, TEXTOID, TEXTOID}},
	[P_SET_BRANCH_HEAD] = {"UPDATE lakefs.branches SET head = $3 WHERE repo_id = $1 AND name = $2",
	3, {INT4OID, TEXTOID, TEXTOID}},
	[P_DELETE_BRANCH] = {"DELETE FROM lakefs.branches WHERE repo_id = $1 AND name = $2",
	2, {INT4OID, TEXTOID}},
	[P_GET_TAG] = {"SELECT commit_id FROM lakefs.tags WHERE repo_id = $1 AND name = $2",
	2, {INT4OID, TEXTOID}},
	[P_INSERT_TAG] = {"INSERT INTO lakefs.tags (repo_id, name, commit_id) VALUES ($1, $2, $3) "
		"ON CONFLICT DO NOTHING",
	3, {INT4OID, TEXTOID, TEXTOID}},
	[P_DELETE_TAG] = {"DELETE FROM lakefs.tags WHERE repo_id = $1 AND name = $2",
	2, {INT4OID, TEXTOID}},
};

static SPIPlanPtr plans[NUM_PLANS];

/* run a catalog plan; SPI must be connected */
static int
run_plan(CatalogPlan p, Datum *values, const char *nulls, long count)
{
	return spi_run_saved(&plans[p], plan_defs[p].sql, plan_defs[p].nargs,
						 plan_defs[p].types, values, nulls, count);
}

/* ---- repositories ---- */

/*
 * catalog_lookup_repo: the repository named name, or NULL; no privilege
 * check (catalog_get_repo is the lookup for SQL functions).
 */
LkRepo *
catalog_lookup_repo(const char *name)
{
	Datum		args[1] = {TEXT_ARG(name)};
	LkRepo	   *repo = NULL;

	connect_spi();
	run_plan(P_GET_REPO, args, NULL, 1);
	if (SPI_processed == 1)
	{
		bool		isnull;

		repo = SPI_palloc(sizeof(LkRepo));
		repo->id = DatumGetInt32(col(0, 1, &isnull));
		repo->name = col_text(0, 2);
		repo->storage_namespace = col_text(0, 3);
		repo->default_branch = col_text(0, 4);
		{
			Datum		d = col(0, 5, &isnull);

			repo->server_name = NULL;
			if (!isnull)
			{
				repo->server_name = SPI_palloc(NAMEDATALEN);
				strlcpy(repo->server_name, NameStr(*DatumGetName(d)), NAMEDATALEN);
			}
		}
	}
	finish_spi();
	return repo;
}

/*
 * catalog_get_repo: the repository named name; the caller needs read on it
 * (42501). Every SQL function that names a repository resolves it here.
 */
LkRepo *
catalog_get_repo(const char *name, bool missing_ok)
{
	LkRepo	   *repo = catalog_lookup_repo(name);

	if (repo == NULL && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("repository \"%s\" does not exist", name),
				 errhint("The repositories are listed in the view lakefs_repositories.")));
	if (repo != NULL)
		governance_check(repo->id, LK_PRIV_READ, NULL);
	return repo;
}

int32
catalog_insert_repo(const char *name, const char *ns, const char *default_branch,
					const char *server)
{
	Datum		args[5];
	char		nulls[5] = "    ";
	NameData	sname;
	NameData	owner;
	int32		id;
	bool		isnull;

	args[0] = TEXT_ARG(name);
	args[1] = TEXT_ARG(ns);
	args[2] = TEXT_ARG(default_branch);
	if (server)
	{
		namestrcpy(&sname, server);
		args[3] = NameGetDatum(&sname);
	}
	else
	{
		args[3] = (Datum) 0;
		nulls[3] = 'n';
	}
	/* the creator is the role that called, not the extension owner */
	namestrcpy(&owner, GetUserNameFromId(catalog_caller(), false));
	args[4] = NameGetDatum(&owner);
	connect_spi();
	run_plan(P_INSERT_REPO, args, nulls, 1);
	id = SPI_processed == 1 ? DatumGetInt32(col(0, 1, &isnull)) : 0;
	finish_spi();
	governance_invalidate();
	return id;
}

/* the repository row, locked against deletion until the transaction ends */
static void
lock_repo(int32 repo_id)
{
	Datum		args[1] = {Int32GetDatum(repo_id)};
	uint64		n;

	connect_spi();
	run_plan(P_LOCK_REPO, args, NULL, 1);
	n = SPI_processed;
	finish_spi();
	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the repository was deleted by a concurrent transaction")));
}

void
catalog_delete_repo(int32 repo_id)
{
	Datum		args[1] = {Int32GetDatum(repo_id)};

	governance_check(repo_id, LK_PRIV_ADMIN, NULL);
	connect_spi();
	run_plan(P_DELETE_REPO, args, NULL, 0);
	finish_spi();
	governance_invalidate();
}

/* ---- commits ---- */

LkCommit *
catalog_get_commit(int32 repo_id, const char *id)
{
	Datum		args[2] = {Int32GetDatum(repo_id), TEXT_ARG(id)};
	LkCommit   *c = NULL;

	connect_spi();
	run_plan(P_GET_COMMIT, args, NULL, 1);
	if (SPI_processed == 1)
	{
		bool		isnull;
		ArrayType  *parents;
		Datum	   *elems;
		int			nelems;
		bytea	   *mr;

		c = SPI_palloc(sizeof(LkCommit));
		strlcpy(c->id, id, sizeof(LkCommitId));
		parents = DatumGetArrayTypeP(col(0, 2, &isnull));
		deconstruct_array(parents, TEXTOID, -1, false, TYPALIGN_INT, &elems, NULL, &nelems);
		c->nparents = nelems;
		c->parents = SPI_palloc(sizeof(LkCommitId) * (nelems ? nelems : 1));
		for (int i = 0; i < nelems; i++)
			text_to_cstring_buffer(DatumGetTextPP(elems[i]), c->parents[i],
								   sizeof(LkCommitId));
		mr = DatumGetByteaPP(col(0, 3, &isnull));
		memcpy(c->metarange_id, VARDATA_ANY(mr), LK_ID_LEN);
		c->message = col_text(0, 4);
		c->committer = col_text(0, 5);
		{
			Jsonb	   *j = DatumGetJsonbP(col(0, 6, &isnull));

			c->metadata = SPI_palloc(VARSIZE(j));
			memcpy(c->metadata, j, VARSIZE(j));
		}
		c->created_at = DatumGetTimestampTz(col(0, 7, &isnull));
		c->generation = DatumGetInt32(col(0, 8, &isnull));
	}
	finish_spi();
	return c;
}

/*
 * catalog_find_commit_prefix: how many commits (0, 1 or 2 meaning "more than
 * one") have ids starting with prefix (lower-case hex); the first into found.
 */
int
catalog_find_commit_prefix(int32 repo_id, const char *prefix, LkCommitId found)
{
	char		upper[LK_ID_HEX_LEN + 2];
	Datum		args[3];
	int			n;

	/* the smallest string above every id with this prefix */
	snprintf(upper, sizeof(upper), "%s~", prefix);
	args[0] = Int32GetDatum(repo_id);
	args[1] = TEXT_ARG(prefix);
	args[2] = TEXT_ARG(upper);
	connect_spi();
	run_plan(P_FIND_COMMIT_PREFIX, args, NULL, 2);
	n = (int) SPI_processed;
	if (n >= 1)
	{
		bool		isnull;

		text_to_cstring_buffer(DatumGetTextPP(col(0, 1, &isnull)), found,
							   sizeof(LkCommitId));
	}
	finish_spi();
	return n;
}

void
catalog_insert_commit(int32 repo_id, const LkCommit *c)
{
	Datum		args[9];
	Datum	   *parents = palloc(sizeof(Datum) * (c->nparents ? c->nparents : 1));

	for (int i = 0; i < c->nparents; i++)
		parents[i] = TEXT_ARG(c->parents[i]);
	args[0] = Int32GetDatum(repo_id);
	args[1] = TEXT_ARG(c->id);
	args[2] = PointerGetDatum(construct_array(parents, c->nparents, TEXTOID, -1, false,
											  TYPALIGN_INT));
	args[3] = bytea_datum(c->metarange_id, LK_ID_LEN);
	args[4] = TEXT_ARG(c->message);
	args[5] = TEXT_ARG(c->committer);
	args[6] = JsonbPGetDatum(c->metadata);
	args[7] = TimestampTzGetDatum(c->created_at);
	args[8] = Int32GetDatum(c->generation);
	connect_spi();
	run_plan(P_INSERT_COMMIT, args, NULL, 0);
	finish_spi();
}

/* ---- ranges and metaranges ---- */

static bytea *
get_blob(CatalogPlan p, int32 repo_id, const uint8 *id)
{
	Datum		args[2] = {Int32GetDatum(repo_id), bytea_datum(id, LK_ID_LEN)};
	bytea	   *b = NULL;

	connect_spi();
	run_plan(p, args, NULL, 1);
	if (SPI_processed == 1)
		b = col_bytea(0, 1);
	finish_spi();
	return b;
}

bytea *
catalog_get_range(int32 repo_id, const uint8 *id)
{
	return get_blob(P_GET_RANGE, repo_id, id);
}

bytea *
catalog_get_metarange(int32 repo_id, const uint8 *id)
{
	return get_blob(P_GET_METARANGE, repo_id, id);
}

void
catalog_put_range(int32 repo_id, const uint8 *id, const char *data, size_t len,
				  int32 entries)
{
	Datum		args[4] = {Int32GetDatum(repo_id), bytea_datum(id, LK_ID_LEN),
	Int32GetDatum(entries), bytea_datum(data, len)};

	gc_catalog_writer_lock(repo_id);	/* see gc_catalog.c */
	connect_spi();
	run_plan(P_PUT_RANGE, args, NULL, 0);
	finish_spi();
}

void
catalog_put_metarange(int32 repo_id, const uint8 *id, const char *data, size_t len,
					  int32 nranges, int64 entries)
{
	Datum		args[5] = {Int32GetDatum(repo_id), bytea_datum(id, LK_ID_LEN),
		Int32GetDatum(nranges), Int64GetDatum(entries), bytea_datum(data, len)};

	gc_catalog_writer_lock(repo_id);	/* see gc_catalog.c */
	connect_spi();
	run_plan(P_PUT_METARANGE, args, NULL, 0);
	finish_spi();
}

/* ---- branches and tags ---- */

static bool
get_commit_ref(CatalogPlan p, int32 repo_id, const char *name, LkCommitId out)
{
	Datum		args[2] = {Int32GetDatum(repo_id), TEXT_ARG(name)};
	bool		found;

	connect_spi();
	run_plan(p, args, NULL, 1);
	found = SPI_processed == 1;
	if (found && out)
	{
		bool		isnull;

		text_to_cstring_buffer(DatumGetTextPP(col(0, 1, &isnull)), out,
							   sizeof(LkCommitId));
	}
	finish_spi();
	return found;
}

/*
 * catalog_get_branch: the branch's head. BRANCH_LOCK_UPDATE takes the branch
 * row lock that every writer of the branch takes (staging, commit, merge):
 * one writer transaction per branch at a time, so a commit never misses nor
 * deletes a change staged while it runs, and no lock is ever upgraded (no
 * deadlock between a session's stage-then-commit and another's). Writers of
 * different branches never wait for each other.
 */
bool
catalog_get_branch(int32 repo_id, const char *name, BranchLock lock, LkCommitId head)
{
	return get_commit_ref(lock == BRANCH_LOCK_UPDATE ? P_GET_BRANCH_LOCK : P_GET_BRANCH,
						  repo_id, name, head);
}

bool
catalog_get_tag(int32 repo_id, const char *name, LkCommitId commit)
{
	return get_commit_ref(P_GET_TAG, repo_id, name, commit);
}

static int
exec3(CatalogPlan p, int32 repo_id, const char *a, const char *b)
{
	Datum		args[3] = {Int32GetDatum(repo_id), TEXT_ARG(a), b ? TEXT_ARG(b) : (Datum) 0};
	int			n;

	connect_spi();
	run_plan(p, args, NULL, 0);
	n = (int) SPI_processed;
	finish_spi();
	return n;
}

/*
 * Branch heads move only in the three functions below; each announces the
 * move with pg_notify('lakefs_events', ...) (delivered at commit).
 */
bool
catalog_insert_branch(int32 repo_id, const char *name, const char *head)
{
	bool		created;

	governance_check_writer(repo_id, name, "create-branch");
	lock_repo(repo_id);
	created = exec3(P_INSERT_BRANCH, repo_id, name, head) == 1;
	if (created)
		governance_notify(repo_id, "branch-created", name, head);
	return created;
}

void
catalog_set_branch_head(int32 repo_id, const char *name, const char *head)
{
	if (exec3(P_SET_BRANCH_HEAD, repo_id, name, head) != 1)
		elog(ERROR, "branch \"%s\" vanished while its head was moved", name);
	governance_notify(repo_id, "head-moved", name, head);
}

bool
catalog_delete_branch(int32 repo_id, const char *name)
{
	bool		deleted = exec3(P_DELETE_BRANCH, repo_id, name, NULL) == 1;

	if (deleted)
		governance_notify(repo_id, "branch-deleted", name, NULL);
	return deleted;
}

/* tags need write on some branch of the repository */
bool
catalog_insert_tag(int32 repo_id, const char *name, const char *commit)
{
	governance_check(repo_id, LK_PRIV_WRITE, NULL);
	lock_repo(repo_id);
	return exec3(P_INSERT_TAG, repo_id, name, commit) == 1;
}

bool
catalog_delete_tag(int32 repo_id, const char *name)
{
	governance_check(repo_id, LK_PRIV_WRITE, NULL);
	return exec3(P_DELETE_TAG, repo_id, name, NULL) == 1;
}
