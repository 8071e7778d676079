/*-------------------------------------------------------------------------
 *
 * staging.h
 *		A branch's staging area: uncommitted upserts and tombstones.
 *
 * Staged changes live in two forms. Single changes (lakefs_stage_object,
 * lakefs_delete_object) are rows of lakefs.staging. Bulk changes
 * (lakefs_stage_objects) are sorted runs of packed entries in
 * lakefs.staging_runs, written in one pass, so staging millions of entries
 * costs a sort and a few bytea rows, not millions of index insertions. Every
 * row and every run carries a sequence number from lakefs.staging_seq; where
 * several staged changes name one path, the latest wins.
 *
 * Callers hold the branch's writer lock (catalog_get_branch with
 * BRANCH_LOCK_UPDATE) around every write here.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_STAGING_H
#define LAKEFS_STAGING_H

#include "postgres.h"

#include "utils/timestamp.h"

#include "range_codec.h"

/* One change to stage (input of staging_put). */
typedef struct LkStaged
{
	char	   *path;
	bool		tombstone;
	char	   *address;
	bool		full_address;
	int64		size;
	char	   *checksum;
	TimestampTz last_modified;
	char	   *content_type;	/* NULL when none */
	char	   *metadata;		/* JSON text, NULL when none */
} LkStaged;

/* One staged change as read back: an entry, or a tombstone for its path. */
typedef struct LkStagedEntry
{
	LakefsEntry entry;
	bool		tombstone;
} LkStagedEntry;

/* staging.c */
extern void staging_put(int32 repo_id, const char *branch, const LkStaged *s);
extern int64 staging_put_query(int32 repo_id, const char *branch, const char *query);
extern int64 staging_reset(int32 repo_id, const char *branch, const char *prefix);
extern bool staging_has_changes(int32 repo_id, const char *branch);

/*
 * A cursor over a branch's staged changes in path order from a start path,
 * rows and runs merged (the latest change of each path). staging_cursor_next
 * returns NULL at the end; a result and its strings stay valid until the
 * next call.
 */
typedef struct StagingCursor StagingCursor;
extern StagingCursor *staging_cursor_open(int32 repo_id, const char *branch,
										  const char *from);
extern const LkStagedEntry *staging_cursor_next(StagingCursor *cur);
extern void staging_cursor_seek(StagingCursor *cur, const char *from);
extern void staging_cursor_close(StagingCursor *cur);

#endif							/* LAKEFS_STAGING_H */
