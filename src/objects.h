/*-------------------------------------------------------------------------
 *
 * objects.h
 *		Object I/O by repository, ref and path (the workflow layer).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_OBJECTS_H
#define LAKEFS_OBJECTS_H

#include "fmgr.h"
#include "datatype/timestamp.h"

#include "catalog.h"

/* objects.c */
extern Oid	repo_server(LkRepo *repo);
extern int	objects_expiry_seconds(Interval *iv);
extern void require_branch(LkRepo *repo, const char *branch);
extern char *new_data_key(void);
extern void repository_check_namespace(LkRepo *repo);
extern bytea *objects_read(LkRepo *repo, const char *ref, const char *path);

#endif							/* LAKEFS_OBJECTS_H */
