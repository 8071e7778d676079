/*-------------------------------------------------------------------------
 *
 * catalog_namespace.c
 *		Catalog layer of "one namespace, one repository": which repository
 *		of this database already uses a storage namespace that overlaps a
 *		new one.
 *
 * Two repositories on one namespace, or one namespace inside another, would
 * read each other's objects, and garbage collection of one would delete the
 * other's. lakeFS refuses a namespace that holds a repository; so does
 * lakefs_create_repository, here for this database (the _lakefs/ marker in
 * the store covers other databases, see objects.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "catalog_namespace.h"
#include "catalog_spi.h"

static SPIPlanPtr p_lock,
			p_overlap;

/*
 * catalog_namespace_user: the name of a repository whose storage namespace
 * equals ns, lies inside it or contains it (trailing slashes aside), or
 * NULL. Locks lakefs.repositories against concurrent creators until the
 * transaction ends, so the answer holds until the new row is inserted.
 * The result is palloc'd in the caller's context.
 */
char *
catalog_namespace_user(const char *ns)
{
	static const Oid types[] = {TEXTOID};
	Datum		args[1] = {TEXT_ARG(ns)};
	char	   *name = NULL;

	connect_spi();
	spi_run_saved(&p_lock, "LOCK TABLE lakefs.repositories IN SHARE ROW EXCLUSIVE MODE",
				  0, NULL, NULL, NULL, 0);
	spi_run_saved(&p_overlap,
				  "WITH n AS (SELECT rtrim($1, '/') || '/' AS new) "
				  "SELECT r.name FROM lakefs.repositories r, n "
				  "WHERE starts_with(n.new, rtrim(r.storage_namespace, '/') || '/') "
				  "OR starts_with(rtrim(r.storage_namespace, '/') || '/', n.new) "
				  "ORDER BY r.name LIMIT 1", 1, types, args, NULL, 1);
	if (SPI_processed > 0)
		name = col_text(0, 1);
	SPI_finish();
	return name;
}
