/*-------------------------------------------------------------------------
 *
 * catalog_history.h
 *		Catalog layer of the history features: the reflog of branch head
 *		moves (written by catalog.c's branch statements).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_CATALOG_HISTORY_H
#define LAKEFS_CATALOG_HISTORY_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/hsearch.h"

#include "catalog.h"

/* What a reflog lookup found. */
typedef enum ReflogResult
{
	REFLOG_NONE,				/* no such move */
	REFLOG_GONE,				/* the move deleted the branch */
	REFLOG_HEAD					/* a head: out is set */
} ReflogResult;

/* One reflog row (strings palloc'd; old_head/new_head NULL when absent). */
typedef struct LkReflogEntry
{
	TimestampTz at;
	char	   *branch;
	char	   *old_head;
	char	   *new_head;
	char	   *operation;
	char	   *actor;
} LkReflogEntry;

/* A commit of a path history: known to change the paths, or a marker
 * commit whose changes were too many to index (check it). */
typedef struct HistoryCandidate
{
	LkCommitId	id;				/* hash key */
	bool		marker;
} HistoryCandidate;

/* catalog_history.c */
extern ReflogResult catalog_reflog_nth(int32 repo_id, const char *branch, int64 n,
									   LkCommitId out);
extern ReflogResult catalog_reflog_at(int32 repo_id, const char *branch, TimestampTz at,
									  LkCommitId out);
extern bool catalog_reflog_last_deleted(int32 repo_id, const char *branch, LkCommitId out);
extern LkReflogEntry *catalog_reflog_list(int32 repo_id, const char *branch, int *n);
extern bool catalog_has_history_index(void);
extern void catalog_history_add(int32 repo_id, const char *commit, int32 generation,
								char **paths, int n, bool fresh);
extern void catalog_history_delete_repo(int32 repo_id);
extern void catalog_history_candidates(int32 repo_id, char **paths, int npaths,
									   char **prefixes, char **prefix_ends, int nprefixes,
									   int32 max_generation, HTAB *out,
									   int32 *min_generation);
extern void catalog_all_commits(char ***repos, char ***ids, int *n);

#endif							/* LAKEFS_CATALOG_HISTORY_H */
