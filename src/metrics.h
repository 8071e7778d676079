/*-------------------------------------------------------------------------
 *
 * metrics.h
 *		Staged and committed metrics, and branches by pattern (metrics.c,
 *		catalog layer).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_METRICS_H
#define LAKEFS_METRICS_H

#include "catalog.h"

/* metrics.c */
extern void metrics_log(int32 repo_id, const char *branch, const char *key, double value,
						bool has_step, int64 step);
extern bool metrics_staged(int32 repo_id, const char *branch);
extern int64 metrics_commit(int32 repo_id, const char *branch, const char *commit_id);
extern int64 metrics_reset(int32 repo_id, const char *branch);

#endif							/* LAKEFS_METRICS_H */
