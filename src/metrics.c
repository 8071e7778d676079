/*-------------------------------------------------------------------------
 *
 * metrics.c
 *		Catalog layer of experiments: staged and committed metrics
 *		(lakefs.staged_metrics, lakefs.metrics) and the branches of a
 *		repository by LIKE pattern.
 *
 * A metric logged on a branch is staged there (a row of
 * lakefs.staged_metrics, removed with the branch by cascade) until the next
 * commit on the branch moves it to lakefs.metrics under the new commit id,
 * in the commit's own transaction: a rolled-back commit keeps it staged, a
 * reset of the whole staging area drops it. Committed metrics go with their
 * commit (ON DELETE CASCADE).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "catalog_spi.h"
#include "metrics.h"

static SPIPlanPtr p_log,
			p_staged,
			p_commit_move,
			p_reset;

static const Oid t_repo_branch[] = {INT4OID, TEXTOID};

/*
 * whether the catalog has the metric tables: a 0.1.0 catalog not yet
 * updated (ALTER EXTENSION pg_lakefs UPDATE) commits and resets without them
 */
static bool
metrics_installed(void)
{
	return catalog_relation_exists("staged_metrics");
}

/*
 * metrics_log: stage a metric on the branch (the caller holds its writer
 * lock); has_step false stores a NULL step.
 */
void
metrics_log(int32 repo_id, const char *branch, const char *key, double value,
			bool has_step, int64 step)
{
	static const Oid types[] = {INT4OID, TEXTOID, TEXTOID, FLOAT8OID, INT8OID};
	Datum		args[5] = {Int32GetDatum(repo_id), TEXT_ARG(branch), TEXT_ARG(key),
	Float8GetDatum(value), Int64GetDatum(step)};
	char		nulls[5] = {' ', ' ', ' ', ' ', has_step ? ' ' : 'n'};

	connect_spi();
	spi_run_saved(&p_log, "INSERT INTO lakefs.staged_metrics (repo_id, branch, key, value, step) "
				  "VALUES ($1, $2, $3, $4, $5)", 5, types, args, nulls, 0);
	SPI_finish();
}

/* metrics_staged: whether the branch has staged metrics */
bool
metrics_staged(int32 repo_id, const char *branch)
{
	Datum		args[2] = {Int32GetDatum(repo_id), TEXT_ARG(branch)};
	bool		found;

	if (!metrics_installed())
		return false;
	connect_spi();
	spi_run_saved(&p_staged, "SELECT 1 FROM lakefs.staged_metrics WHERE repo_id = $1 "
				  "AND branch = $2 LIMIT 1", 2, t_repo_branch, args, NULL, 1);
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

/*
 * metrics_commit: move the branch's staged metrics to commit_id (a commit
 * row that exists); returns how many moved.
 */
int64
metrics_commit(int32 repo_id, const char *branch, const char *commit_id)
{
	static const Oid types[] = {INT4OID, TEXTOID, TEXTOID};
	Datum		args[3] = {Int32GetDatum(repo_id), TEXT_ARG(branch), TEXT_ARG(commit_id)};
	int64		n;

	if (!metrics_installed())
		return 0;
	connect_spi();
	spi_run_saved(&p_commit_move,
				  "WITH moved AS (DELETE FROM lakefs.staged_metrics WHERE repo_id = $1 "
				  "AND branch = $2 RETURNING *) "
				  "INSERT INTO lakefs.metrics (repo_id, commit_id, id, branch, key, step, "
				  "value, logged_at) SELECT repo_id, $3, id, branch, key, step, value, "
				  "logged_at FROM moved", 3, types, args, NULL, 0);
	n = (int64) SPI_processed;
	SPI_finish();
	return n;
}

/* metrics_reset: drop the branch's staged metrics; returns how many */
int64
metrics_reset(int32 repo_id, const char *branch)
{
	Datum		args[2] = {Int32GetDatum(repo_id), TEXT_ARG(branch)};
	int64		n;

	if (!metrics_installed())
		return 0;
	connect_spi();
	spi_run_saved(&p_reset, "DELETE FROM lakefs.staged_metrics WHERE repo_id = $1 "
				  "AND branch = $2", 2, t_repo_branch, args, NULL, 0);
	n = (int64) SPI_processed;
	SPI_finish();
	return n;
}

