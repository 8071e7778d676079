/*-------------------------------------------------------------------------
 *
 * history.h
 *		The history index (paths each commit changed against its first
 *		parent) and path history read from it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_HISTORY_H
#define LAKEFS_HISTORY_H

#include "postgres.h"

#include "utils/hsearch.h"

#include "catalog.h"
#include "catalog_history.h"
#include "commit.h"

#define HISTORY_MAX_PATHS 10000	/* more changes: one marker row */

/* history.c */
extern void history_index_commit(LkRepo *repo, const LkCommit *c, const LkCommit *parent,
								 const ApplyStats *applied, bool fresh);
extern void history_backfill(void);
extern HTAB *history_candidates(LkRepo *repo, char **paths, int npaths, char **prefixes,
								int nprefixes, int32 max_generation, int32 *min_generation);
extern bool history_commit_changes(LkRepo *repo, const LkCommit *c, char **paths, int npaths,
								   char **prefixes, int nprefixes);

#endif							/* LAKEFS_HISTORY_H */
