/*-------------------------------------------------------------------------
 *
 * catalog.h
 *		The only code that reads and writes the lakefs.* tables.
 *
 * Every function runs its statements through SPI with saved plans and
 * parameters (no SQL is built from user input). Results are copied into the
 * caller's memory context. Functions named *_get_* return NULL/false for a
 * missing row; the lookups that users reach by name (repositories) raise the
 * user-facing error themselves.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_CATALOG_H
#define LAKEFS_CATALOG_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "lakefs_hash.h"

typedef struct LkRepo
{
	int32		id;
	char	   *name;
	char	   *storage_namespace;
	char	   *default_branch;
	char	   *server_name;	/* NULL when none */
} LkRepo;

typedef char LkCommitId[LK_ID_HEX_LEN + 1];

typedef struct LkCommit
{
	LkCommitId	id;
	int			nparents;
	LkCommitId *parents;
	uint8		metarange_id[LK_ID_LEN];
	char	   *message;
	char	   *committer;
	Jsonb	   *metadata;
	TimestampTz created_at;
	int32		generation;
} LkCommit;

/* repositories; catalog_get_repo checks read (42501), catalog_lookup_repo not */
extern LkRepo *catalog_get_repo(const char *name, bool missing_ok);
extern LkRepo *catalog_lookup_repo(const char *name);
/* returns the new id, or 0 when the name exists (a concurrent creator won) */
extern int32 catalog_insert_repo(const char *name, const char *ns,
								 const char *default_branch, const char *server);
extern void catalog_delete_repo(int32 repo_id);

/* commits, ranges, metaranges */
extern LkCommit *catalog_get_commit(int32 repo_id, const char *id);
extern int	catalog_get_commit_chain(int32 repo_id, const char *id, int max, LkCommit ***out);
extern int	catalog_get_commits_below(int32 repo_id, int32 generation, int max,
									  LkCommit ***out);
extern int	catalog_find_commit_prefix(int32 repo_id, const char *prefix,
									   LkCommitId found);
extern bool catalog_insert_commit(int32 repo_id, const LkCommit *c);
extern bytea *catalog_get_range(int32 repo_id, const uint8 *id);
extern bytea *catalog_get_metarange(int32 repo_id, const uint8 *id);
extern bool catalog_has_index_nodes(void);
extern int	catalog_list_branches(int32 repo_id, const char *pattern, char ***names,
								  LkCommitId **heads);
extern bytea *catalog_get_index_node(int32 repo_id, const uint8 *id);
extern void catalog_put_index_nodes(int32 repo_id, int n, const uint8 (*ids)[LK_ID_LEN],
									bytea *const *data, const int32 *levels,
									const int64 *entries);
extern void catalog_put_ranges(int32 repo_id, int n, const uint8 (*ids)[LK_ID_LEN],
							   bytea *const *data, const int64 *entries);
extern void catalog_put_metarange(int32 repo_id, const uint8 *id, const char *data,
								  size_t len, int32 nranges, int64 entries);

/* branches and tags */
typedef enum BranchLock
{
	BRANCH_LOCK_NONE,
	BRANCH_LOCK_UPDATE			/* the writer lock of the branch */
} BranchLock;
extern bool catalog_get_branch(int32 repo_id, const char *name, BranchLock lock,
							   LkCommitId head);
/*
 * catalog_insert_branch / catalog_insert_tag: false when the name exists (also
 * when a concurrent creator committed it first); 42704 when the repository was
 * deleted concurrently. Both keep the repository row locked against deletion.
 */
/*
 * Every branch head move (create, set, delete) appends a row to lakefs.reflog
 * in the same statement, naming the operation: one of "commit", "merge",
 * "fast-forward", "revert", "cherry-pick", "import", "reset", "create",
 * "delete" (lakefs_reflog's vocabulary).
 */
extern bool catalog_has_reflog(void);
extern bool catalog_insert_branch(int32 repo_id, const char *name, const char *head,
								  const char *operation);
extern void catalog_set_branch_head(int32 repo_id, const char *name, const char *head,
									const char *operation);
extern bool catalog_delete_branch(int32 repo_id, const char *name, const char *operation);
extern void catalog_set_default_branch(int32 repo_id, const char *name);
extern bool catalog_get_tag(int32 repo_id, const char *name, LkCommitId commit);
extern bool catalog_insert_tag(int32 repo_id, const char *name, const char *commit);
extern bool catalog_delete_tag(int32 repo_id, const char *name);

/*
 * catalog_switched (catalog_spi.c): true while a catalog statement runs as
 * the extension owner; the object store is never reached then.
 */
extern bool catalog_switched(void);

#endif							/* LAKEFS_CATALOG_H */
