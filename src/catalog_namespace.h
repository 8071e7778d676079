/*-------------------------------------------------------------------------
 *
 * catalog_namespace.h
 *		The repository that uses an overlapping storage namespace
 *		(catalog_namespace.c, catalog layer).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_CATALOG_NAMESPACE_H
#define LAKEFS_CATALOG_NAMESPACE_H

/* catalog_namespace.c */
extern char *catalog_namespace_user(const char *ns);

#endif							/* LAKEFS_CATALOG_NAMESPACE_H */
