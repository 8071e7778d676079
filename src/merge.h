/*-------------------------------------------------------------------------
 *
 * merge.h
 *		Three-way merge of trees; merge, revert and cherry-pick on branches.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_MERGE_H
#define LAKEFS_MERGE_H

#include "utils/jsonb.h"

#include "catalog.h"
#include "commit.h"
#include "range_codec.h"

/* SQLSTATE of a merge, revert or cherry-pick that hits conflicts */
#define ERRCODE_LAKEFS_MERGE_CONFLICT MAKE_SQLSTATE('L','K','0','0','1')

#define MERGE_CONFLICTS_SHOWN 10	/* paths named in the error detail */

typedef enum MergeStrategy
{
	MERGE_STRATEGY_NONE,		/* a conflict is an error */
	MERGE_SOURCE_WINS,
	MERGE_DEST_WINS
} MergeStrategy;

typedef struct MergeStats
{
	int64		changes;		/* changes taken from the source side */
	int64		conflicts;
	char	   *conflict_paths[MERGE_CONFLICTS_SHOWN];
	int64		ranges_skipped; /* equal base/source range pairs not read */
	ApplyStats	apply;
} MergeStats;

/* What merge_into_branch did (for its NOTICE and lakefs_merge_result) */
typedef enum MergeOutcome
{
	MERGE_UP_TO_DATE,			/* the source was merged already: no change */
	MERGE_FAST_FORWARD,			/* the head moved to the source, no commit */
	MERGE_COMMIT				/* a merge commit with two parents */
} MergeOutcome;

typedef struct MergeResult
{
	MergeOutcome outcome;
	LkCommitId	old_head;		/* the destination's head before the merge */
	int64		changes;		/* a merge commit's changes from the source */
} MergeResult;

/* Called for each conflict; an absent side is NULL. */
typedef void (*ConflictCallback) (void *arg, const LakefsEntry *base,
								  const LakefsEntry *source, const LakefsEntry *dest);

/* merge.c */
extern MergeStrategy merge_strategy_parse(const char *name);
extern void merge_trees(LkRepo *repo, const uint8 *base, const uint8 *source,
						const uint8 *dest, MergeStrategy strategy, uint8 *out,
						MergeStats *stats);
extern void merge_scan_conflicts(LkRepo *repo, const uint8 *base, const uint8 *source,
								 const uint8 *dest, ConflictCallback cb, void *arg);
extern void merge_conflicts_of_refs(LkRepo *repo, const char *source_ref,
									const char *dest_ref, ConflictCallback cb,
									void *arg);
extern char *merge_into_branch(LkRepo *repo, const char *source_ref, const char *dest,
							   const char *message, Jsonb *metadata,
							   MergeStrategy strategy, bool fast_forward, bool squash,
							   MergeResult *result);
extern char *revert_on_branch(LkRepo *repo, const char *branch, const char *commit_ref,
							  int parent_number);
extern char *cherry_pick_on_branch(LkRepo *repo, const char *branch,
								   const char *commit_ref, int parent_number);

/* no parent_number given (git without -m): refused for a merge commit */
#define PARENT_NUMBER_NONE PG_INT32_MIN

#endif							/* LAKEFS_MERGE_H */
