/*-------------------------------------------------------------------------
 *
 * refs.h
 *		Ref expressions and the commit graph.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_REFS_H
#define LAKEFS_REFS_H

#include "catalog.h"

/* A resolved ref. */
typedef struct LkRef
{
	LkCommitId	commit;
	char	   *branch;			/* set when the ref names a branch as is, so its
								 * staged changes belong to it; else NULL */
} LkRef;

/* refs.c */
extern void refs_resolve(LkRepo *repo, const char *expr, LkRef *out);
extern LkCommit *refs_get_commit(LkRepo *repo, const char *id);
extern bool refs_is_ancestor(LkRepo *repo, const char *ancestor, const char *of);
extern bool refs_merge_base(LkRepo *repo, const char *a, const char *b, LkCommitId base);

/* A walk over a commit's history, newest first (by generation, then time). */
typedef struct CommitWalk CommitWalk;
extern CommitWalk *commit_walk_start(LkRepo *repo, const char *head);
extern CommitWalk *commit_walk_start_ex(LkRepo *repo, const char *head, const char *exclude,
										bool first_parent);
extern LkCommit *commit_walk_next(CommitWalk *w);

#endif							/* LAKEFS_REFS_H */
