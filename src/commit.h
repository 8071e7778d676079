/*-------------------------------------------------------------------------
 *
 * commit.h
 *		Applying sorted changes to a tree, and creating commits.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_COMMIT_H
#define LAKEFS_COMMIT_H

#include "fmgr.h"

#include "catalog.h"
#include "range_codec.h"

/* One change: an entry to upsert, or a tombstone for its path. */
typedef struct LkChange
{
	LakefsEntry entry;
	bool		tombstone;
} LkChange;

/*
 * A source of changes in strictly ascending path order. next() fills *out
 * and returns true, or returns false at the end. Strings stay valid until
 * the following call.
 */
typedef struct ChangeSource
{
	bool		(*next) (void *arg, LkChange *out);
	void	   *arg;
} ChangeSource;

typedef struct ApplyStats
{
	int64		changes;
	int64		same_content;	/* changes to the content the path had: kept */
	int64		ranges_reused;
	int64		ranges_written;
	int64		entries;

	/*
	 * The paths the changes altered, in path order: not the changes to the
	 * content a path had, nor tombstones of absent paths. At most
	 * HISTORY_MAX_PATHS (history.h); changed_overflow says there were more.
	 * palloc'd in the caller's context. The history index is written from
	 * them (commit_write_applied) instead of diffing the two trees again.
	 */
	char	  **changed;
	int			nchanged;
	bool		changed_overflow;
} ApplyStats;

/* commit.c */
extern void tree_apply_changes(int32 repo_id, const uint8 *base_metarange,
							   ChangeSource *src, uint8 *out_metarange,
							   ApplyStats *stats);
extern ChangeSource *staging_change_source(int32 repo_id, const char *branch,
										   const char *from);
extern void commit_compute_id(const LkCommit *c, LkCommitId out);
extern bool commit_create(LkRepo *repo, LkCommit *c);
extern char *commit_write(LkRepo *repo, const char *branch, LkCommit *const *parents,
						  int nparents, const uint8 *metarange, const char *message,
						  Jsonb *metadata);
extern char *commit_write_op(LkRepo *repo, const char *branch, LkCommit *const *parents,
							 int nparents, const uint8 *metarange, const char *message,
							 Jsonb *metadata, const char *operation);
extern char *commit_write_applied(LkRepo *repo, const char *branch,
								  LkCommit *const *parents, int nparents,
								  const uint8 *metarange, const ApplyStats *applied,
								  const char *message, Jsonb *metadata,
								  const char *operation);
extern void lock_branch(LkRepo *repo, const char *branch, LkCommitId head);
extern void no_such_branch(LkRepo *repo, const char *branch) pg_attribute_noreturn();
extern LkCommit *lock_clean_branch(LkRepo *repo, const char *branch, const char *op);
extern char *commit_changes(LkRepo *repo, const char *branch, const char *head,
							ChangeSource *src, const char *message, Jsonb *metadata,
							bool allow_empty, ApplyStats *stats);
extern char *commit_changes_op(LkRepo *repo, const char *branch, const char *head,
							   ChangeSource *src, const char *message, Jsonb *metadata,
							   bool allow_empty, ApplyStats *stats, const char *operation);
extern char *commit_on_branch(LkRepo *repo, const char *branch, const char *message,
							  Jsonb *metadata, bool allow_empty, ApplyStats *stats);

#endif							/* LAKEFS_COMMIT_H */
