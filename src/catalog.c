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

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "catalog_history.h"
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
	P_GET_COMMIT_CHAIN,
	P_GET_COMMITS_BELOW,
	P_FIND_COMMIT_PREFIX,
	P_INSERT_COMMIT,
	P_PUT_RANGE,
	P_PUT_METARANGE,
	P_PUT_INDEX_NODE,
	P_GET_BRANCH,
	P_GET_BRANCH_LOCK,
	P_INSERT_BRANCH,
	P_SET_BRANCH_HEAD,
	P_DELETE_BRANCH,
	P_INSERT_BRANCH_LOGGED,
	P_SET_BRANCH_HEAD_LOGGED,
	P_DELETE_BRANCH_LOGGED,
	P_SET_DEFAULT_BRANCH,
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
	/* a commit and up to $3 - 1 first-parent ancestors, nearest first */
	[P_GET_COMMIT_CHAIN] = {"WITH RECURSIVE a AS ("
		"SELECT id, parents, metarange_id, message, committer, metadata, created_at, "
		"generation, 1 AS depth FROM lakefs.commits WHERE repo_id = $1 AND id = $2 "
		"UNION ALL SELECT c.id, c.parents, c.metarange_id, c.message, c.committer, "
		"c.metadata, c.created_at, c.generation, a.depth + 1 FROM a "
		"JOIN lakefs.commits c ON c.repo_id = $1 AND c.id = a.parents[1] "
		"WHERE a.depth < $3) SELECT * FROM a ORDER BY depth",
	3, {INT4OID, TEXTOID, INT4OID}},
	[P_GET_COMMITS_BELOW] = {"SELECT id, parents, metarange_id, message, committer, "
		"metadata, created_at, generation FROM lakefs.commits WHERE repo_id = $1 "
		"AND generation < $2 ORDER BY generation DESC LIMIT $3",
	3, {INT4OID, INT4OID, INT4OID}},
	[P_FIND_COMMIT_PREFIX] = {"SELECT id FROM lakefs.commits WHERE repo_id = $1 "
		"AND id >= $2 AND id < $3 ORDER BY id LIMIT 2",
	3, {INT4OID, TEXTOID, TEXTOID}},
	[P_INSERT_COMMIT] = {"INSERT INTO lakefs.commits (repo_id, id, parents, metarange_id, "
		"message, committer, metadata, created_at, generation) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
	9, {INT4OID, TEXTOID, TEXTARRAYOID, BYTEAOID, TEXTOID, TEXTOID, JSONBOID,
	TIMESTAMPTZOID, INT4OID}},
	[P_PUT_RANGE] = {"INSERT INTO lakefs.ranges (repo_id, id, entries, data) "
		"SELECT $1, u.id, u.entries, u.data FROM unnest($2, $3, $4) AS u(id, entries, data) "
		"ON CONFLICT DO NOTHING",
	4, {INT4OID, BYTEAARRAYOID, INT8ARRAYOID, BYTEAARRAYOID}},
	[P_PUT_METARANGE] = {"INSERT INTO lakefs.metaranges (repo_id, id, ranges, entries, data) "
		"VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
	5, {INT4OID, BYTEAOID, INT4OID, INT8OID, BYTEAOID}},
	[P_PUT_INDEX_NODE] = {"INSERT INTO lakefs.index_nodes (repo_id, id, level, entries, data) "
		"SELECT $1, u.id, u.level, u.entries, u.data "
		"FROM unnest($2, $3, $4, $5) AS u(id, level, entries, data) ON CONFLICT DO NOTHING",
	5, {INT4OID, BYTEAARRAYOID, INT4ARRAYOID, INT8ARRAYOID, BYTEAARRAYOID}},
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
	/* with the reflog (0.2.0): the head move is appended by the same statement */
	[P_INSERT_BRANCH_LOGGED] = {"WITH i AS (INSERT INTO lakefs.branches (repo_id, name, head) "
		"VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING head) "
		"INSERT INTO lakefs.reflog (repo_id, branch, old_head, new_head, operation, actor) "
		"SELECT $1, $2, NULL, head, $4, session_user FROM i",
	4, {INT4OID, TEXTOID, TEXTOID, TEXTOID}},
	[P_SET_BRANCH_HEAD_LOGGED] = {"WITH o AS (SELECT head FROM lakefs.branches "
		"WHERE repo_id = $1 AND name = $2), "
		"u AS (UPDATE lakefs.branches SET head = $3 WHERE repo_id = $1 AND name = $2 "
		"RETURNING 1) "
		"INSERT INTO lakefs.reflog (repo_id, branch, old_head, new_head, operation, actor) "
		"SELECT $1, $2, o.head, $3, $4, session_user FROM o, u",
	4, {INT4OID, TEXTOID, TEXTOID, TEXTOID}},
	[P_DELETE_BRANCH_LOGGED] = {"WITH d AS (DELETE FROM lakefs.branches WHERE repo_id = $1 "
		"AND name = $2 RETURNING head) "
		"INSERT INTO lakefs.reflog (repo_id, branch, old_head, new_head, operation, actor) "
		"SELECT $1, $2, head, NULL, $4, session_user FROM d",
	4, {INT4OID, TEXTOID, TEXTOID, TEXTOID}},
	[P_SET_DEFAULT_BRANCH] = {"UPDATE lakefs.repositories SET default_branch = $2 WHERE id = $1",
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
	/* after the delete, which waited for the repository's writers */
	catalog_history_delete_repo(repo_id);
	governance_invalidate();
}

/* ---- commits ---- */

/* the commit of row of the last result (P_GET_COMMIT's columns), SPI_palloc'd */
static LkCommit *
commit_from_row(int row)
{
	bool		isnull;
	ArrayType  *parents;
	Datum	   *elems;
	int			nelems;
	bytea	   *mr;
	LkCommit   *c = SPI_palloc(sizeof(LkCommit));
	Jsonb	   *j;

	text_to_cstring_buffer(DatumGetTextPP(col(row, 1, &isnull)), c->id, sizeof(LkCommitId));
	parents = DatumGetArrayTypeP(col(row, 2, &isnull));
	deconstruct_array(parents, TEXTOID, -1, false, TYPALIGN_INT, &elems, NULL, &nelems);
	c->nparents = nelems;
	c->parents = SPI_palloc(sizeof(LkCommitId) * (nelems ? nelems : 1));
	for (int i = 0; i < nelems; i++)
		text_to_cstring_buffer(DatumGetTextPP(elems[i]), c->parents[i],
							   sizeof(LkCommitId));
	mr = DatumGetByteaPP(col(row, 3, &isnull));
	memcpy(c->metarange_id, VARDATA_ANY(mr), LK_ID_LEN);
	c->message = col_text(row, 4);
	c->committer = col_text(row, 5);
	j = DatumGetJsonbP(col(row, 6, &isnull));
	c->metadata = SPI_palloc(VARSIZE(j));
	memcpy(c->metadata, j, VARSIZE(j));
	c->created_at = DatumGetTimestampTz(col(row, 7, &isnull));
	c->generation = DatumGetInt32(col(row, 8, &isnull));
	return c;
}

LkCommit *
catalog_get_commit(int32 repo_id, const char *id)
{
	Datum		args[2] = {Int32GetDatum(repo_id), TEXT_ARG(id)};
	LkCommit   *c = NULL;

	connect_spi();
	run_plan(P_GET_COMMIT, args, NULL, 1);
	if (SPI_processed == 1)
		c = commit_from_row(0);
	SPI_finish();
	return c;
}

/* the commits of plan p's rows, into *out (palloc'd in the caller's context); how many */
static int
commits_of(CatalogPlan p, Datum *args, LkCommit ***out)
{
	int			n;

	connect_spi();
	run_plan(p, args, NULL, 0);
	n = (int) SPI_processed;
	*out = SPI_palloc(sizeof(LkCommit *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		(*out)[i] = commit_from_row(i);
	SPI_finish();
	return n;
}

/*
 * catalog_get_commit_chain: the commit id and up to max - 1 of its
 * first-parent ancestors, nearest first, into *out (palloc'd in the caller's
 * context); returns how many (0 when id is missing). One statement: a log
 * walk reads its commits in batches instead of one round trip each.
 */
int
catalog_get_commit_chain(int32 repo_id, const char *id, int max, LkCommit ***out)
{
	Datum		args[3] = {Int32GetDatum(repo_id), TEXT_ARG(id), Int32GetDatum(max)};

	return commits_of(P_GET_COMMIT_CHAIN, args, out);
}

/*
 * catalog_get_commits_below: up to max commits of the repository whose
 * generation is below generation, highest generation first (ties in no
 * particular order), into *out (palloc'd in the caller's context); returns
 * how many. One range scan of lakefs.commits_generation: a log walk reads the
 * commits just below the one it is at in one statement, at a fraction of the
 * cost per row of following parent links. Returns -1 without reading
 * anything when the index is not there (a database still at 0.1.0, before
 * ALTER EXTENSION UPDATE): the scan would read the whole table.
 */
int
catalog_get_commits_below(int32 repo_id, int32 generation, int max, LkCommit ***out)
{
	Datum		args[3] = {Int32GetDatum(repo_id), Int32GetDatum(generation),
	Int32GetDatum(max)};

	if (!catalog_relation_exists("commits_generation"))
		return -1;
	return commits_of(P_GET_COMMITS_BELOW, args, out);
}

/*
 * catalog_list_branches: the branches whose names match the LIKE pattern
 * (NULL: every branch), in name order; *names and *heads are palloc'd arrays
 * in the caller's context. Returns their number.
 */
int
catalog_list_branches(int32 repo_id, const char *pattern, char ***names, LkCommitId **heads)
{
	static SPIPlanPtr plan;
	static const Oid types[2] = {INT4OID, TEXTOID};
	Datum		args[2] = {Int32GetDatum(repo_id), pattern ? TEXT_ARG(pattern) : (Datum) 0};
	const char	nulls[2] = {' ', pattern ? ' ' : 'n'};
	int			n;

	connect_spi();
	/* custom plans: a LIKE pattern with a literal prefix becomes an index range */
	spi_run_saved_custom(&plan, "SELECT name, head FROM lakefs.branches WHERE repo_id = $1 "
						 "AND ($2::text IS NULL OR name LIKE $2) ORDER BY name", 2, types,
						 args, nulls, 0);
	n = (int) SPI_processed;
	*names = SPI_palloc(sizeof(char *) * (n + 1));
	*heads = SPI_palloc(sizeof(LkCommitId) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		(*names)[i] = col_text(i, 1);
		strlcpy((*heads)[i], col_text(i, 2), sizeof(LkCommitId));
	}
	SPI_finish();
	return n;
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

/* catalog_insert_commit: store c; false when the same commit is there already */
bool
catalog_insert_commit(int32 repo_id, const LkCommit *c)
{
	bool		inserted;

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
	inserted = SPI_processed == 1;
	finish_spi();
	return inserted;
}

/*
 * catalog_has_index_nodes: does lakefs.index_nodes exist (0.2.0 on)? A 0.1.0
 * schema served by this library gets format 1 trees, which need no node table.
 */
bool
catalog_has_index_nodes(void)
{
	return catalog_relation_exists("index_nodes");
}


/* ---- ranges and metaranges ---- */

/* a range's, metarange's or index node's bytes: see catalog_blob.c */
bytea *
catalog_get_range(int32 repo_id, const uint8 *id)
{
	return catalog_get_blob("ranges", repo_id, id);
}

bytea *
catalog_get_metarange(int32 repo_id, const uint8 *id)
{
	return catalog_get_blob("metaranges", repo_id, id);
}

/*
 * put_objects: store n ranges (levels NULL) or index nodes in one statement
 * (idempotent: ids are hashes): ids[i] (LK_ID_LEN bytes), data[i] (a bytea),
 * levels[i], entries[i]. One INSERT for a batch instead of one an object
 * saves the executor start-up of every statement (a bulk commit writes
 * thousands). The arguments stay the caller's; throws on catalog errors.
 */
static void
put_objects(CatalogPlan p, int32 repo_id, int n, const uint8 (*ids)[LK_ID_LEN],
			bytea *const *data, const int32 *levels, const int64 *entries)
{
	Datum	   *id_datums = palloc(sizeof(Datum) * n);
	Datum	   *num_datums = palloc(sizeof(Datum) * n);
	Datum		args[5];
	int			nargs = 0;

	for (int i = 0; i < n; i++)
		id_datums[i] = bytea_datum(ids[i], LK_ID_LEN);
	args[nargs++] = Int32GetDatum(repo_id);
	args[nargs++] = PointerGetDatum(construct_array(id_datums, n, BYTEAOID, -1, false,
													TYPALIGN_INT));
	if (levels != NULL)
	{
		for (int i = 0; i < n; i++)
			num_datums[i] = Int32GetDatum(levels[i]);
		args[nargs++] = PointerGetDatum(construct_array(num_datums, n, INT4OID,
														sizeof(int32), true, TYPALIGN_INT));
	}
	for (int i = 0; i < n; i++)
		num_datums[i] = Int64GetDatum(entries[i]);
	args[nargs++] = PointerGetDatum(construct_array(num_datums, n, INT8OID, sizeof(int64),
													FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[nargs++] = PointerGetDatum(construct_array((Datum *) data, n, BYTEAOID, -1, false,
													TYPALIGN_INT));
	gc_catalog_writer_lock(repo_id);	/* see gc_catalog.c */
	connect_spi();
	run_plan(p, args, NULL, 0);
	finish_spi();
	for (int i = 1; i < nargs; i++)
		pfree(DatumGetPointer(args[i]));
	for (int i = 0; i < n; i++)
		pfree(DatumGetPointer(id_datums[i]));
	pfree(id_datums);
	pfree(num_datums);
}

/* catalog_put_ranges: n new ranges of entries[i] entries (put_objects) */
void
catalog_put_ranges(int32 repo_id, int n, const uint8 (*ids)[LK_ID_LEN],
				   bytea *const *data, const int64 *entries)
{
	put_objects(P_PUT_RANGE, repo_id, n, ids, data, NULL, entries);
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

bytea *
catalog_get_index_node(int32 repo_id, const uint8 *id)
{
	return catalog_get_blob("index_nodes", repo_id, id);
}

/* catalog_put_index_nodes: n new index nodes of levels[i] (put_objects) */
void
catalog_put_index_nodes(int32 repo_id, int n, const uint8 (*ids)[LK_ID_LEN],
						bytea *const *data, const int32 *levels, const int64 *entries)
{
	put_objects(P_PUT_INDEX_NODE, repo_id, n, ids, data, levels, entries);
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
 * Branch heads move only in the three functions below; each appends to the
 * reflog (when the catalog has one) and announces the move with
 * pg_notify('lakefs_events', ...) (delivered at commit).
 *
 * catalog_has_reflog: does lakefs.reflog exist? It does from 0.2.0 on; this
 * library also serves a database whose extension is still 0.1.0 (before
 * ALTER EXTENSION UPDATE), whose head moves are then not logged.
 */
bool
catalog_has_reflog(void)
{
	return catalog_relation_exists("reflog");
}

/*
 * a branch statement, also appending to the reflog when there is one
 * (p is the plain plan, p + 3 its logged twin): rows of the branch written
 */
static int
exec_head_move(CatalogPlan p, int32 repo_id, const char *name, const char *head,
			   const char *operation)
{
	Datum		args[4] = {Int32GetDatum(repo_id), TEXT_ARG(name),
	head ? TEXT_ARG(head) : (Datum) 0, TEXT_ARG(operation)};
	char		nulls[4] = {' ', ' ', head ? ' ' : 'n', ' '};
	int			n;

	StaticAssertStmt(P_INSERT_BRANCH_LOGGED == P_INSERT_BRANCH + 3 &&
					 P_DELETE_BRANCH_LOGGED == P_DELETE_BRANCH + 3,
					 "logged branch plans follow the plain ones");
	if (catalog_has_reflog())
		p += 3;
	connect_spi();
	run_plan(p, args, nulls, 0);
	n = (int) SPI_processed;
	SPI_finish();
	return n;
}

bool
catalog_insert_branch(int32 repo_id, const char *name, const char *head,
					  const char *operation)
{
	bool		created;

	governance_check_writer(repo_id, name, "create-branch");
	lock_repo(repo_id);
	created = exec_head_move(P_INSERT_BRANCH, repo_id, name, head, operation) == 1;
	if (created)
		governance_notify(repo_id, "branch-created", name, head);
	return created;
}

void
catalog_set_branch_head(int32 repo_id, const char *name, const char *head,
						const char *operation)
{
	if (exec_head_move(P_SET_BRANCH_HEAD, repo_id, name, head, operation) != 1)
		elog(ERROR, "branch \"%s\" vanished while its head was moved", name);
	governance_notify(repo_id, "head-moved", name, head);
}

bool
catalog_delete_branch(int32 repo_id, const char *name, const char *operation)
{
	bool		deleted = exec_head_move(P_DELETE_BRANCH, repo_id, name, NULL, operation) == 1;

	if (deleted)
		governance_notify(repo_id, "branch-deleted", name, NULL);
	return deleted;
}

/* catalog_set_default_branch: the repository's default branch is now name */
void
catalog_set_default_branch(int32 repo_id, const char *name)
{
	exec3(P_SET_DEFAULT_BRANCH, repo_id, name, NULL);
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
