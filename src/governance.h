/*-------------------------------------------------------------------------
 *
 * governance.h
 *		Who may do what: per-repository privileges (read < write < admin,
 *		write limited by branch patterns), protected branches, hooks and the
 *		head-move notifications; defined in governance.c (catalog layer).
 *
 * The checks sit in the shared paths, so every SQL function is covered
 * without code of its own: catalog_get_repo checks read, lock_branch and
 * lock_clean_branch (src/commit.c) check write and protection,
 * catalog_insert_branch checks write on the new name, catalog_delete_repo
 * checks admin. Results are cached per transaction.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_GOVERNANCE_H
#define LAKEFS_GOVERNANCE_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "catalog.h"

typedef enum LkPrivilege
{
	LK_PRIV_NONE = 0,
	LK_PRIV_READ,
	LK_PRIV_WRITE,
	LK_PRIV_ADMIN
} LkPrivilege;

/*
 * governance_check: the caller needs privilege need on the repository;
 * for LK_PRIV_WRITE on branch (NULL: write on some branch, as for tags).
 * Throws 42501 with a hint naming the grant that is missing.
 */
extern void governance_check(int32 repo_id, LkPrivilege need, const char *branch);

/*
 * governance_check_writer: what a writer of a branch must pass before it
 * takes the branch: write on the branch, the branch not busy with one of
 * its own hooks (55006), and, unless op is "merge" or "revert", no
 * protection rule matching it (42501 naming the rule). op NULL: staging,
 * put, delete, reset, commit, branch deletion.
 */
extern void governance_check_writer(int32 repo_id, const char *branch, const char *op);

/* superuser or member of lakefs_admin; else 42501 for what */
extern void governance_require_global_admin(const char *what);

/* _PG_init: the subtransaction callback that drops the cache on rollback */
extern void governance_init(void);

/* drop the per-transaction cache (after a change of grants or rules) */
extern void governance_invalidate(void);

/* pg_notify('lakefs_events', ...) for a head move; head NULL: deleted */
extern void governance_notify(int32 repo_id, const char *what, const char *branch,
							  const char *head);

/* the event of a hook; NULL fields are absent keys */
typedef struct HookEvent
{
	LkRepo	   *repo;
	const char *event;			/* "commit", "merge", "create-branch", ... */
	const char *branch;
	const char *source_ref;
	const char *destination_branch;
	const char *tag;
	const char *message;
	Jsonb	   *metadata;
	const char *commit_id;		/* post-hooks */
	const uint8 *left_metarange;	/* the tree before (pre-hooks), or NULL */
	const uint8 *right_metarange;	/* the tree after */
} HookEvent;

/*
 * hooks_fire: run the hooks of pre-<event> (pre true) or post-<event> whose
 * branch pattern matches, in the order they were added, with the caller's
 * rights. An error in a hook propagates (the transaction aborts).
 */
extern void hooks_fire(bool pre, HookEvent *ev);

/*
 * hooks_pending: while a pre-hook runs, its repository and the trees before
 * and after (NULL when the operation changes no tree); otherwise 55000.
 */
extern LkRepo *hooks_pending(const uint8 **left, const uint8 **right);

#endif							/* LAKEFS_GOVERNANCE_H */
