/*-------------------------------------------------------------------------
 *
 * governance.c
 *		Who may do what (catalog layer): the tables lakefs.grants,
 *		lakefs.branch_protection and lakefs.hooks, the privilege checks the
 *		shared paths call, protected branches, hooks and the head-move
 *		notifications, and their SQL functions.
 *
 * Privileges are per repository: read < write < admin; a write grant may
 * be limited to branches matching a glob (fnmatch(3)); any grant implies
 * read. The repository's owner (its creator) is its admin; superusers and
 * members of the role lakefs_admin bypass every check. Role membership
 * counts as in Postgres (has_privs_of_role). The caller is the role that
 * called pg_lakefs (catalog_caller), never the extension owner.
 *
 * Cache: per transaction and caller, one entry per repository holding the
 * effective privilege, the write patterns and the protection rules; any
 * change of grants, rules or repositories drops it.
 *
 * Hooks run with the caller's rights, outside any catalog section, in the
 * transaction of the operation: an error in a hook aborts it. While a hook
 * of a branch runs, writing that branch again is refused (55006): no
 * recursion into the operation that called the hook.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fnmatch.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "api_args.h"
#include "catalog_spi.h"
#include "governance.h"
#include "names.h"

PG_FUNCTION_INFO_V1(lakefs_grant);
PG_FUNCTION_INFO_V1(lakefs_revoke);
PG_FUNCTION_INFO_V1(lakefs_has_privilege);
PG_FUNCTION_INFO_V1(lakefs_protect_branch);
PG_FUNCTION_INFO_V1(lakefs_unprotect_branch);
PG_FUNCTION_INFO_V1(lakefs_branch_protected);
PG_FUNCTION_INFO_V1(lakefs_add_hook);
PG_FUNCTION_INFO_V1(lakefs_drop_hook);

static const char *const priv_names[] = {"none", "read", "write", "admin"};

static const char *const hook_events[] = {"commit", "merge", "create-branch",
"delete-branch", "create-tag"};

/* ---- the per-transaction cache ---- */

typedef struct RepoAcl
{
	int32		repo_id;
	Oid			user;
	char	   *name;
	bool		exists;
	bool		bypass;			/* superuser or lakefs_admin */
	LkPrivilege level;			/* for every branch */
	int			nwrite;			/* write grants limited to branches */
	char	  **write_patterns;
	int			nprotect;
	char	  **protect;		/* protection rules */
} RepoAcl;

static List *acl_cache = NIL;
static LocalTransactionId acl_lxid = InvalidLocalTransactionId;

void
governance_invalidate(void)
{
	acl_lxid = InvalidLocalTransactionId;
	acl_cache = NIL;
}

/* a rolled-back subtransaction may have changed grants: forget them all */
static void
governance_subxact(SubXactEvent event, SubTransactionId mySubid,
				   SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		governance_invalidate();
}

void
governance_init(void)
{
	RegisterSubXactCallback(governance_subxact, NULL);
}

static bool
is_global_admin(Oid user)
{
	Oid			admin;

	if (superuser_arg(user))
		return true;
	admin = get_role_oid("lakefs_admin", true);
	return OidIsValid(admin) && has_privs_of_role(user, admin);
}

static bool
role_applies(Oid user, const char *role)
{
	Oid			r = get_role_oid(role, true);

	return OidIsValid(r) && has_privs_of_role(user, r);
}

static SPIPlanPtr p_acl_repo,
			p_acl_grants,
			p_acl_protect;

/* the cache entry of a repository for the caller, loaded on first use */
static RepoAcl *
repo_acl(int32 repo_id)
{
	static const Oid t_int[] = {INT4OID};
	Oid			user = catalog_caller();
	MemoryContext old;
	RepoAcl    *a;
	ListCell   *lc;
	Datum		args[1] = {Int32GetDatum(repo_id)};
	char	   *owner = NULL;
	int			ngrants;
	char	  **grantee;
	char	  **priv;
	char	  **branches;

	if (acl_lxid != MyProc->lxid)
	{
		acl_cache = NIL;
		acl_lxid = MyProc->lxid;
	}
	foreach(lc, acl_cache)
	{
		a = lfirst(lc);
		if (a->repo_id == repo_id && a->user == user)
			return a;
	}

	old = MemoryContextSwitchTo(TopTransactionContext);
	a = palloc0(sizeof(RepoAcl));
	a->repo_id = repo_id;
	a->user = user;
	connect_spi();
	spi_run_saved(&p_acl_repo, "SELECT name, owner::text FROM lakefs.repositories "
				  "WHERE id = $1", 1, t_int, args, NULL, 1);
	a->exists = SPI_processed == 1;
	if (a->exists)
	{
		a->name = col_text(0, 1);
		owner = col_text(0, 2);
	}
	spi_run_saved(&p_acl_grants, "SELECT grantee::text, privilege, branches "
				  "FROM lakefs.grants WHERE repo_id = $1", 1, t_int, args, NULL, 0);
	ngrants = (int) SPI_processed;
	grantee = SPI_palloc(sizeof(char *) * (ngrants + 1));
	priv = SPI_palloc(sizeof(char *) * (ngrants + 1));
	branches = SPI_palloc(sizeof(char *) * (ngrants + 1));
	for (int i = 0; i < ngrants; i++)
	{
		grantee[i] = col_text(i, 1);
		priv[i] = col_text(i, 2);
		branches[i] = col_text(i, 3);
	}
	spi_run_saved(&p_acl_protect, "SELECT pattern FROM lakefs.branch_protection "
				  "WHERE repo_id = $1 ORDER BY pattern", 1, t_int, args, NULL, 0);
	a->nprotect = (int) SPI_processed;
	/* SPI's context ends with finish_spi: the array goes where col_text copies */
	a->protect = SPI_palloc(sizeof(char *) * (a->nprotect + 1));
	for (int i = 0; i < a->nprotect; i++)
		a->protect[i] = col_text(i, 1);
	finish_spi();

	/* role membership is evaluated as the caller, outside the catalog section */
	a->bypass = is_global_admin(user);
	if (a->exists && owner && role_applies(user, owner))
		a->level = LK_PRIV_ADMIN;
	a->write_patterns = palloc(sizeof(char *) * (ngrants + 1));
	for (int i = 0; i < ngrants; i++)
	{
		LkPrivilege p = strcmp(priv[i], "admin") == 0 ? LK_PRIV_ADMIN :
		strcmp(priv[i], "write") == 0 ? LK_PRIV_WRITE : LK_PRIV_READ;

		if (!role_applies(user, grantee[i]))
			continue;
		if (p == LK_PRIV_WRITE && strcmp(branches[i], "*") != 0)
		{
			a->write_patterns[a->nwrite++] = branches[i];
			a->level = Max(a->level, LK_PRIV_READ);
		}
		else
			a->level = Max(a->level, p);
	}
	acl_cache = lappend(acl_cache, a);
	MemoryContextSwitchTo(old);
	return a;
}

static bool
glob_match(const char *pattern, const char *name)
{
	return fnmatch(pattern, name, 0) == 0;
}

/* may the caller do need (on branch, for write) in this repository? */
static bool
acl_allows(RepoAcl *a, LkPrivilege need, const char *branch)
{
	if (a->bypass || a->level >= need)
		return true;
	if (need != LK_PRIV_WRITE)
		return false;
	for (int i = 0; i < a->nwrite; i++)
		if (branch == NULL || glob_match(a->write_patterns[i], branch))
			return true;
	return false;
}

void
governance_check(int32 repo_id, LkPrivilege need, const char *branch)
{
	RepoAcl    *a;
	const char *role;

	if (!catalog_one_door())
		return;
	a = repo_acl(repo_id);
	if (!a->exists || acl_allows(a, need, branch))
		return;
	role = GetUserNameFromId(a->user, false);
	if (need == LK_PRIV_WRITE && branch != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to write branch \"%s\" of repository \"%s\"",
						branch, a->name),
				 errdetail("Role \"%s\" has no write privilege on the branch.", role),
				 errhint("An admin of the repository can grant it: "
						 "SELECT lakefs_grant('%s', '%s', 'write', branches => '%s');",
						 a->name, role, branch)));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for repository \"%s\"", a->name),
			 errdetail("This needs the %s privilege on the repository.", priv_names[need]),
			 errhint("An admin of the repository can grant it: "
					 "SELECT lakefs_grant('%s', '%s', '%s');",
					 a->name, role, priv_names[need])));
}

void
governance_require_global_admin(const char *what)
{
	if (catalog_one_door() && !is_global_admin(catalog_caller()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s", what),
				 errdetail("Only superusers and members of lakefs_admin may do this."),
				 errhint("Name a repository you may read.")));
}

/* ---- hooks in progress ---- */

typedef struct HookFrame
{
	int32		repo_id;
	const char *branch;			/* the branch (or tag) the hook is about */
	const char *event;
	bool		pre;
	LkRepo	   *repo;
	const uint8 *left;
	const uint8 *right;
} HookFrame;

#define HOOK_DEPTH_MAX 16
static HookFrame hook_frames[HOOK_DEPTH_MAX];
static int	nhooks;

static void
check_not_busy(int32 repo_id, const char *branch)
{
	for (int i = 0; i < nhooks; i++)
		if (hook_frames[i].repo_id == repo_id && hook_frames[i].branch &&
			strcmp(hook_frames[i].branch, branch) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("branch \"%s\" is in use by its running %s-%s hook",
							branch, hook_frames[i].pre ? "pre" : "post",
							hook_frames[i].event),
					 errdetail("A hook may not write the branch of the operation that "
							   "called it.")));
}

void
governance_check_writer(int32 repo_id, const char *branch, const char *op)
{
	RepoAcl    *a;

	if (!catalog_one_door())
		return;
	governance_check(repo_id, LK_PRIV_WRITE, branch);
	check_not_busy(repo_id, branch);
	/* lakeFS semantics: merges and reverts go into a protected branch */
	if (op != NULL && (strcmp(op, "merge") == 0 || strcmp(op, "revert") == 0 ||
					   strcmp(op, "create-branch") == 0))
		return;
	a = repo_acl(repo_id);
	for (int i = 0; i < a->nprotect; i++)
		if (glob_match(a->protect[i], branch))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("branch \"%s\" of repository \"%s\" is protected", branch,
							a->name),
					 errdetail("The protection rule \"%s\" refuses %s on it; merges and "
							   "reverts are allowed.", a->protect[i],
							   op ? op : "direct writes (staging, commit, reset, deletion)"),
					 errhint("Change the branch through a merge, or remove the rule with "
							 "lakefs_unprotect_branch('%s', '%s').", a->name,
							 a->protect[i])));
}

/* ---- head-move notifications ---- */

void
governance_notify(int32 repo_id, const char *what, const char *branch, const char *head)
{
	StringInfoData buf;
	ListCell   *lc;
	const char *name = NULL;

	if (acl_lxid == MyProc->lxid)
		foreach(lc, acl_cache)
		{
			RepoAcl    *a = lfirst(lc);

			if (a->repo_id == repo_id && a->exists)
				name = a->name;
		}
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"event\": \"%s\", \"repository\": ", what);
	if (name)
		escape_json(&buf, name);
	else
		appendStringInfoString(&buf, "null");
	appendStringInfo(&buf, ", \"repository_id\": %d, \"branch\": ", repo_id);
	escape_json(&buf, branch);
	appendStringInfoString(&buf, ", \"head\": ");
	if (head)
		escape_json(&buf, head);
	else
		appendStringInfoString(&buf, "null");
	appendStringInfoChar(&buf, '}');
	Async_Notify("lakefs_events", buf.data);
	pfree(buf.data);
}

/* ---- argument checks ---- */

static LkPrivilege
privilege_arg(const char *s)
{
	for (int p = LK_PRIV_READ; p <= LK_PRIV_ADMIN; p++)
		if (strcmp(s, priv_names[p]) == 0)
			return (LkPrivilege) p;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown privilege \"%s\"", s),
			 errhint("The privileges are read, write and admin.")));
	return LK_PRIV_NONE;
}

/*
 * check_glob: a branch pattern is branch-name characters and the fnmatch(3)
 * wildcards * ? and bracket expressions [...] / [!...] that are closed and
 * not empty.
 */
static void
check_glob(const char *what, const char *p)
{
	size_t		len = strlen(p);
	bool		ok = len >= 1 && len <= LK_MAX_REF_NAME;
	bool		in_bracket = false;
	size_t		bracket_start = 0;

	for (size_t i = 0; ok && i < len; i++)
	{
		char		c = p[i];
		bool		word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_' || c == '-';

		if (in_bracket)
		{
			if (c == ']' && i > bracket_start + 1 &&
				!(i == bracket_start + 2 && p[bracket_start + 1] == '!'))
				in_bracket = false;
			else if (!word && c != '!')
				ok = false;
		}
		else if (c == '[')
		{
			in_bracket = true;
			bracket_start = i;
		}
		else if (!word && c != '*' && c != '?')
			ok = false;
	}
	if (!ok || in_bracket)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s pattern \"%s\"", what, p),
				 errdetail("A pattern is made of branch-name characters (letters, digits, "
						   "_ and -) and the wildcards *, ? and closed, non-empty bracket "
						   "expressions such as [0-9] or [!x]."),
				 errhint("For example: 'exp-*' or 'release-[0-9]*'.")));
}

/* the repository for an admin operation: read is checked by the lookup */
static LkRepo *
admin_repo(FunctionCallInfo fcinfo)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);

	governance_check(repo->id, LK_PRIV_ADMIN, NULL);
	return repo;
}

/* run one statement of this file as the owner; returns rows processed */
static uint64
run_stmt(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *types, Datum *args)
{
	uint64		n;

	connect_spi();
	spi_run_saved(slot, sql, nargs, types, args, NULL, 0);
	n = SPI_processed;
	finish_spi();
	return n;
}

/* ---- grants ---- */

static SPIPlanPtr p_grant,
			p_revoke;

/*
 * lakefs_grant(repository, role, privilege, branches => '*')
 *		Give a role a privilege on a repository (admin needed). branches
 *		limits a write grant to matching branches; read and admin take '*'.
 */
Datum
lakefs_grant(PG_FUNCTION_ARGS)
{
	static const Oid types[] = {INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	LkRepo	   *repo = admin_repo(fcinfo);
	char	   *role = ARG_TEXT(1);
	LkPrivilege priv = privilege_arg(ARG_TEXT(2));
	char	   *branches = ARG_TEXT_OR(3, "*");
	Datum		args[5];

	(void) get_role_oid(role, false);
	check_glob("branch", branches);
	if (priv != LK_PRIV_WRITE && strcmp(branches, "*") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("only a write grant may be limited to branches"),
				 errhint("Grant %s with branches => '*'.", priv_names[priv])));
	args[0] = Int32GetDatum(repo->id);
	args[1] = TEXT_ARG(role);
	args[2] = TEXT_ARG(priv_names[priv]);
	args[3] = TEXT_ARG(branches);
	args[4] = TEXT_ARG(GetUserNameFromId(catalog_caller(), false));
	run_stmt(&p_grant, "INSERT INTO lakefs.grants (repo_id, grantee, privilege, branches, "
			 "granted_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
			 5, types, args);
	governance_invalidate();
	PG_RETURN_VOID();
}

/* lakefs_revoke(repository, role, privilege, branches => '*') */
Datum
lakefs_revoke(PG_FUNCTION_ARGS)
{
	static const Oid types[] = {INT4OID, TEXTOID, TEXTOID, TEXTOID};
	LkRepo	   *repo = admin_repo(fcinfo);
	char	   *role = ARG_TEXT(1);
	LkPrivilege priv = privilege_arg(ARG_TEXT(2));
	char	   *branches = ARG_TEXT_OR(3, "*");
	Datum		args[4];

	(void) get_role_oid(role, false);
	check_glob("branch", branches);
	args[0] = Int32GetDatum(repo->id);
	args[1] = TEXT_ARG(role);
	args[2] = TEXT_ARG(priv_names[priv]);
	args[3] = TEXT_ARG(branches);
	if (run_stmt(&p_revoke, "DELETE FROM lakefs.grants WHERE repo_id = $1 AND grantee = $2 "
				 "AND privilege = $3 AND branches = $4", 4, types, args) == 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING_PRIVILEGE_NOT_REVOKED),
				 errmsg("role \"%s\" has no %s grant on branches \"%s\" of repository \"%s\"",
						role, priv_names[priv], branches, repo->name)));
	governance_invalidate();
	PG_RETURN_VOID();
}

/*
 * lakefs_has_privilege(repository, privilege, branch => NULL): whether the
 * current role has it; false for an unknown repository. Views filter with it.
 */
Datum
lakefs_has_privilege(PG_FUNCTION_ARGS)
{
	char	   *name = ARG_TEXT(0);
	LkPrivilege priv = privilege_arg(ARG_TEXT(1));
	char	   *branch = ARG_TEXT_OR(2, NULL);
	RepoAcl    *a = NULL;
	ListCell   *lc;

	if (acl_lxid == MyProc->lxid)
		foreach(lc, acl_cache)
		{
			RepoAcl    *c = lfirst(lc);

			if (c->exists && c->user == catalog_caller() && strcmp(c->name, name) == 0)
				a = c;
		}
	if (a == NULL)
	{
		LkRepo	   *repo = catalog_lookup_repo(name);

		if (repo == NULL)
			PG_RETURN_BOOL(false);
		a = repo_acl(repo->id);
	}
	PG_RETURN_BOOL(a->exists && acl_allows(a, priv, branch));
}

/* ---- protected branches ---- */

static SPIPlanPtr p_protect,
			p_unprotect;

/* lakefs_protect_branch(repository, pattern) */
Datum
lakefs_protect_branch(PG_FUNCTION_ARGS)
{
	static const Oid types[] = {INT4OID, TEXTOID};
	LkRepo	   *repo = admin_repo(fcinfo);
	char	   *pattern = ARG_TEXT(1);
	Datum		args[2];

	check_glob("branch", pattern);
	args[0] = Int32GetDatum(repo->id);
	args[1] = TEXT_ARG(pattern);
	run_stmt(&p_protect, "INSERT INTO lakefs.branch_protection (repo_id, pattern) "
			 "VALUES ($1, $2) ON CONFLICT DO NOTHING", 2, types, args);
	governance_invalidate();
	PG_RETURN_VOID();
}

/* lakefs_unprotect_branch(repository, pattern) */
Datum
lakefs_unprotect_branch(PG_FUNCTION_ARGS)
{
	static const Oid types[] = {INT4OID, TEXTOID};
	LkRepo	   *repo = admin_repo(fcinfo);
	char	   *pattern = ARG_TEXT(1);
	Datum		args[2];

	args[0] = Int32GetDatum(repo->id);
	args[1] = TEXT_ARG(pattern);
	if (run_stmt(&p_unprotect, "DELETE FROM lakefs.branch_protection WHERE repo_id = $1 "
				 "AND pattern = $2", 2, types, args) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("repository \"%s\" has no protection rule \"%s\"", repo->name,
						pattern),
				 errhint("The rules are listed in the view lakefs_branch_protection.")));
	governance_invalidate();
	PG_RETURN_VOID();
}

/* lakefs_branch_protected(repository, branch): whether a rule matches */
Datum
lakefs_branch_protected(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	RepoAcl    *a = repo_acl(repo->id);

	for (int i = 0; i < a->nprotect; i++)
		if (glob_match(a->protect[i], branch))
			PG_RETURN_BOOL(true);
	PG_RETURN_BOOL(false);
}

/* ---- hooks ---- */

static SPIPlanPtr p_add_hook,
			p_drop_hook,
			p_hooks;

/* the event name without its pre-/post- prefix; 22023 for an unknown one */
static const char *
event_arg(const char *s, bool *pre)
{
	const char *base = NULL;

	if (strncmp(s, "pre-", 4) == 0)
	{
		*pre = true;
		base = s + 4;
	}
	else if (strncmp(s, "post-", 5) == 0)
	{
		*pre = false;
		base = s + 5;
	}
	for (int i = 0; base && i < (int) lengthof(hook_events); i++)
		if (strcmp(base, hook_events[i]) == 0)
			return hook_events[i];
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown hook event \"%s\"", s),
			 errhint("The events are pre- and post- commit, merge, create-branch, "
					 "delete-branch and create-tag, e.g. 'pre-merge'.")));
	return NULL;
}

/* a hook is a function (event jsonb) RETURNS void */
static void
check_hook_function(Oid fn)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	Form_pg_proc p;
	bool		ok;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function with OID %u does not exist", fn)));
	p = (Form_pg_proc) GETSTRUCT(tup);
	ok = p->pronargs == 1 && p->proargtypes.values[0] == JSONBOID &&
		p->prorettype == VOIDOID && !p->proretset && p->prokind == PROKIND_FUNCTION;
	ReleaseSysCache(tup);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("function %s cannot be a hook", format_procedure(fn)),
				 errdetail("A hook is a function (event jsonb) RETURNS void."),
				 errhint("See the README section on hooks for the event's keys.")));
}

/* lakefs_add_hook(repository, event, function, branches => '*') */
Datum
lakefs_add_hook(PG_FUNCTION_ARGS)
{
	static const Oid types[] = {INT4OID, TEXTOID, TEXTOID, TEXTOID};
	LkRepo	   *repo = admin_repo(fcinfo);
	char	   *event = ARG_TEXT(1);
	bool		pre;
	Oid			fn;
	char	   *branches = ARG_TEXT_OR(3, "*");
	Datum		args[4];

	lk_arg_require(fcinfo, 2);
	(void) event_arg(event, &pre);
	fn = PG_GETARG_OID(2);
	check_hook_function(fn);
	check_glob("branch", branches);
	args[0] = Int32GetDatum(repo->id);
	args[1] = TEXT_ARG(event);
	args[2] = TEXT_ARG(format_procedure_qualified(fn));
	args[3] = TEXT_ARG(branches);
	run_stmt(&p_add_hook, "INSERT INTO lakefs.hooks (repo_id, event, function, branches) "
			 "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", 4, types, args);
	PG_RETURN_VOID();
}

/* lakefs_drop_hook(repository, event, function): every pattern of it */
Datum
lakefs_drop_hook(PG_FUNCTION_ARGS)
{
	static const Oid types[] = {INT4OID, TEXTOID, TEXTOID};
	LkRepo	   *repo = admin_repo(fcinfo);
	char	   *event = ARG_TEXT(1);
	bool		pre;
	Oid			fn;
	Datum		args[3];

	lk_arg_require(fcinfo, 2);
	(void) event_arg(event, &pre);
	fn = PG_GETARG_OID(2);
	args[0] = Int32GetDatum(repo->id);
	args[1] = TEXT_ARG(event);
	args[2] = TEXT_ARG(format_procedure_qualified(fn));
	if (run_stmt(&p_drop_hook, "DELETE FROM lakefs.hooks WHERE repo_id = $1 AND event = $2 "
				 "AND function = $3", 3, types, args) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("repository \"%s\" has no %s hook %s", repo->name, event,
						format_procedure(fn)),
				 errhint("The hooks are listed in the view lakefs_hooks.")));
	PG_RETURN_VOID();
}

static void
json_key(StringInfo buf, const char *key, const char *value)
{
	if (value == NULL)
		return;
	appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	appendStringInfoString(buf, ": ");
	escape_json(buf, value);
}

/* the event jsonb a hook receives */
static Datum
event_json(bool pre, HookEvent *ev)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"event\": ");
	escape_json(&buf, psprintf("%s-%s", pre ? "pre" : "post", ev->event));
	json_key(&buf, "repository", ev->repo->name);
	json_key(&buf, "branch", ev->branch);
	json_key(&buf, "tag", ev->tag);
	json_key(&buf, "source_ref", ev->source_ref);
	json_key(&buf, "destination_branch", ev->destination_branch);
	json_key(&buf, "message", ev->message);
	if (ev->metadata)
		appendStringInfo(&buf, ", \"metadata\": %s",
						 JsonbToCString(NULL, &ev->metadata->root,
										VARSIZE(ev->metadata)));
	json_key(&buf, "committer", GetUserNameFromId(GetSessionUserId(), false));
	if (!pre)
		json_key(&buf, "commit_id", ev->commit_id);
	appendStringInfoChar(&buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/* call one hook function (InvalidOid: dropped) with the caller's rights */
static void
call_hook(Oid fn, const char *signature, Datum event)
{
	AclResult	acl;
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, 1);

	if (!OidIsValid(fn))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("hook function %s does not exist", signature),
				 errhint("Drop the hook with lakefs_drop_hook() or create the function "
						 "again.")));
	check_hook_function(fn);
	acl = pg_proc_aclcheck(fn, GetUserId(), ACL_EXECUTE);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_FUNCTION, get_func_name(fn));
	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = event;
	fcinfo->args[0].isnull = false;
	(void) FunctionCallInvoke(fcinfo);
}

/* one hook with its frame pushed, popped also when it raises */
static void
run_hook(bool pre, HookEvent *ev, const char *subject, Oid fn, const char *signature,
		 Datum json)
{
	HookFrame  *f = &hook_frames[nhooks];

	if (nhooks >= HOOK_DEPTH_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("hooks nested too deeply")));
	f->repo_id = ev->repo->id;
	f->branch = subject;
	f->event = ev->event;
	f->pre = pre;
	f->repo = ev->repo;
	f->left = pre ? ev->left_metarange : NULL;
	f->right = pre ? ev->right_metarange : NULL;
	nhooks++;
	PG_TRY();
	{
		call_hook(fn, signature, json);
	}
	PG_FINALLY();
	{
		nhooks--;
	}
	PG_END_TRY();
}

void
hooks_fire(bool pre, HookEvent *ev)
{
	static const Oid types[] = {INT4OID, TEXTOID};
	const char *subject = ev->branch ? ev->branch : ev->destination_branch ?
		ev->destination_branch : ev->tag;
	char	   *event = psprintf("%s-%s", pre ? "pre" : "post", ev->event);
	Datum		args[2] = {Int32GetDatum(ev->repo->id), TEXT_ARG(event)};
	List	   *fns = NIL;
	List	   *fn_oids = NIL;
	ListCell   *lc;
	ListCell   *lo;
	Datum		json = (Datum) 0;
	MemoryContext caller = CurrentMemoryContext;

	if (!catalog_one_door())
		return;

	connect_spi();
	spi_run_saved(&p_hooks, "SELECT function, branches, "
				  "coalesce(to_regprocedure(function)::oid, 0) FROM lakefs.hooks "
				  "WHERE repo_id = $1 AND event = $2 ORDER BY id", 2, types, args, NULL, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *branches = col_text(i, 2);
		bool		isnull;

		if (subject == NULL || glob_match(branches, subject))
		{
			/* the list outlives the SPI section: build it in the caller's context */
			MemoryContext spi = MemoryContextSwitchTo(caller);

			fns = lappend(fns, col_text(i, 1));
			fn_oids = lappend_oid(fn_oids, DatumGetObjectId(col(i, 3, &isnull)));
			MemoryContextSwitchTo(spi);
		}
	}
	finish_spi();
	if (fns == NIL)
		return;
	json = event_json(pre, ev);
	forboth(lc, fns, lo, fn_oids)
		run_hook(pre, ev, subject, lfirst_oid(lo), lfirst(lc), json);
}

LkRepo *
hooks_pending(const uint8 **left, const uint8 **right)
{
	HookFrame  *f = nhooks > 0 ? &hook_frames[nhooks - 1] : NULL;

	if (f == NULL || !f->pre)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no pre-hook is running"),
				 errhint("lakefs_pending_changes() is for pre-hooks; elsewhere use "
						 "lakefs_diff_uncommitted() or lakefs_diff().")));
	*left = f->left;
	*right = f->right;
	return f->repo;
}
