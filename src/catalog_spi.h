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
/*
 * connect_spi: SPI_connect and switch to the extension owner (search_path
 * pg_catalog, pg_temp) until finish_spi(); connect_spi_caller: the same
 * connection with the caller's rights, for user-written SQL. Both throw on
 * SPI failure; an error in between needs no cleanup (the (sub)transaction
 * abort restores the user and the GUCs).
 */
extern void connect_spi(void);
extern void connect_spi_caller(void);
extern void finish_spi(void);
/* the role that called pg_lakefs, also while switched */
extern Oid	catalog_caller(void);
/* true while a catalog section runs as the extension owner */
extern bool catalog_switched(void);
/* false while the installed catalog is still 0.1.0's (no per-repository checks) */
extern bool catalog_one_door(void);
extern void catalog_spi_init(void);

/* every catalog-layer SPI_finish() restores what connect_spi() switched */
#define SPI_finish() finish_spi()
extern int	spi_run_saved(SPIPlanPtr *slot, const char *sql, int nargs,
						  const Oid *types, Datum *values, const char *nulls,
						  long count);
extern int	spi_run_saved_custom(SPIPlanPtr *slot, const char *sql, int nargs,
								 const Oid *types, Datum *values, const char *nulls,
								 long count);
extern Datum col(int row, int c, bool *isnull);
extern char *col_text(int row, int c);	/* copied into the caller's context */
extern bytea *col_bytea(int row, int c);	/* likewise, detoasted */
extern Datum bytea_datum(const void *data, size_t len);

#define TEXT_ARG(s) CStringGetTextDatum(s)

extern bool catalog_relation_exists(const char *name);

/* catalog_blob.c */
extern bytea *catalog_get_blob(const char *relname, int32 repo_id, const uint8 *id);

#endif							/* LAKEFS_CATALOG_SPI_H */
