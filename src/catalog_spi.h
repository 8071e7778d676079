/*-------------------------------------------------------------------------
 *
 * catalog_spi.h
 *		SPI helpers shared by the catalog-layer files (catalog.c, staging.c,
 *		staging_bulk.c, fsck.c); defined in catalog_spi.c.
 *
 * Not for other layers: only the catalog layer runs SQL.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_CATALOG_SPI_H
#define LAKEFS_CATALOG_SPI_H

#include "postgres.h"

#include "executor/spi.h"

/* catalog_spi.c */
extern void connect_spi(void);
extern int	spi_run_saved(SPIPlanPtr *slot, const char *sql, int nargs,
						  const Oid *types, Datum *values, const char *nulls,
						  long count);
extern Datum col(int row, int c, bool *isnull);
extern char *col_text(int row, int c);	/* copied into the caller's context */
extern bytea *col_bytea(int row, int c);	/* likewise, detoasted */
extern Datum bytea_datum(const void *data, size_t len);

#define TEXT_ARG(s) CStringGetTextDatum(s)

#endif							/* LAKEFS_CATALOG_SPI_H */
