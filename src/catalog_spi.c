/*-------------------------------------------------------------------------
 *
 * catalog_spi.c
 *		The SPI helpers of the catalog layer (catalog.c, staging.c,
 *		staging_bulk.c, fsck.c): saved plans, connection, column getters.
 *
 * Only the catalog layer runs SQL, and it does so through these.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"

#include "catalog_spi.h"

/*
 * spi_run_saved: run a statement through a plan prepared on first use and
 * kept in *slot for the backend's life. SPI must be connected. Statements
 * see the effects of earlier ones in the same transaction (read_only false:
 * a fresh snapshot each).
 */
int
spi_run_saved(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *types,
			  Datum *values, const char *nulls, long count)
{
	int			rc;

	if (*slot == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(sql, nargs, (Oid *) types);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s: %s", SPI_result_code_string(SPI_result), sql);
		SPI_keepplan(plan);
		*slot = plan;
	}
	rc = SPI_execute_plan(*slot, values, nulls, false, count);
	if (rc < 0)
		elog(ERROR, "catalog statement failed: %s: %s", SPI_result_code_string(rc), sql);
	return rc;
}

void
connect_spi(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

/* column getters for the current SPI result */
Datum
col(int row, int c, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, c, isnull);
}

/* text column copied into the caller's context; NULL for SQL NULL */
char *
col_text(int row, int c)
{
	bool		isnull;
	Datum		d = col(row, c, &isnull);
	char	   *s;
	char	   *copy;

	if (isnull)
		return NULL;
	s = TextDatumGetCString(d);
	copy = SPI_palloc(strlen(s) + 1);
	strcpy(copy, s);
	return copy;
}

/* bytea column copied into the caller's context, detoasted */
bytea *
col_bytea(int row, int c)
{
	bool		isnull;
	Datum		d = col(row, c, &isnull);
	bytea	   *b;
	bytea	   *copy;

	if (isnull)
		return NULL;
	b = DatumGetByteaPP(d);
	copy = SPI_palloc(VARSIZE_ANY_EXHDR(b) + VARHDRSZ);
	SET_VARSIZE(copy, VARSIZE_ANY_EXHDR(b) + VARHDRSZ);
	memcpy(VARDATA(copy), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	return copy;
}

Datum
bytea_datum(const void *data, size_t len)
{
	bytea	   *b = palloc(len + VARHDRSZ);

	SET_VARSIZE(b, len + VARHDRSZ);
	memcpy(VARDATA(b), data, len);
	return PointerGetDatum(b);
}
