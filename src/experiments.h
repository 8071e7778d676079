/*-------------------------------------------------------------------------
 *
 * experiments.h
 *		Experiments as rows: one row per branch with its newest metadata,
 *		sorted by a metadata key; the report of a merge (experiments.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_EXPERIMENTS_H
#define LAKEFS_EXPERIMENTS_H

#include "catalog.h"
#include "merge.h"

/* One experiment: a branch and the newest commit on it with metadata. */
typedef struct Experiment
{
	char	   *branch;
	LkCommit   *commit;			/* NULL when no commit has metadata */
	bool		has_base;
	LkCommitId	base;			/* merge base with the default branch */
	int32		commits_since;	/* first-parent commits after base */
} Experiment;

/* An order_by clause: a top-level metadata key and a direction. */
typedef struct ExperimentOrder
{
	char	   *key;			/* NULL: by branch name */
	bool		descending;
} ExperimentOrder;

/* experiments.c */
extern void experiment_order_parse(const char *clause, ExperimentOrder *out);
extern Experiment *experiments_collect(LkRepo *repo, const char *pattern,
									   const ExperimentOrder *order, int *n);
extern int64 merge_changed_paths(LkRepo *repo, const char *from, const char *to);
extern int64 merge_report(LkRepo *repo, const char *source_ref, const char *dest,
						  const MergeResult *r, const char *new_head);
extern const char *merge_outcome_name(MergeOutcome o);

#endif							/* LAKEFS_EXPERIMENTS_H */
