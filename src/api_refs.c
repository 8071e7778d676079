/*-------------------------------------------------------------------------
 *
 * api_refs.c
 *		SQL functions for repositories, branches and tags.
 *
 * Thin fmgr wrappers: unpack, validate names, call the catalog and engine.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "api_args.h"
#include "blockstore.h"
#include "catalog.h"
#include "catalog_namespace.h"
#include "commit.h"
#include "gc.h"
#include "governance.h"
#include "manifest.h"
#include "names.h"
#include "objects.h"
#include "refs.h"

PG_FUNCTION_INFO_V1(lakefs_create_repository);
PG_FUNCTION_INFO_V1(lakefs_delete_repository);
PG_FUNCTION_INFO_V1(lakefs_create_branch);
PG_FUNCTION_INFO_V1(lakefs_delete_branch);
PG_FUNCTION_INFO_V1(lakefs_create_tag);
PG_FUNCTION_INFO_V1(lakefs_delete_tag);
PG_FUNCTION_INFO_V1(lakefs_resolve_ref);
PG_FUNCTION_INFO_V1(lakefs_merge_base);
PG_FUNCTION_INFO_V1(lakefs_is_ancestor);
PG_FUNCTION_INFO_V1(lakefs_set_default_branch);


/* 42710 for a repository, branch or tag name that is taken */
static void
exists_error(const char *what, const char *name, const char *repository)
{
	if (repository)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("%s \"%s\" already exists in repository \"%s\"",
						what, name, repository)));
	ereport(ERROR,
			(errcode(ERRCODE_DUPLICATE_OBJECT),
			 errmsg("%s \"%s\" already exists", what, name)));
}

static void
check_namespace(const char *ns)
{
	const char *sep = strstr(ns, "://");
	bool		ok = sep != NULL && sep > ns && sep[3] != '\0';

	for (const char *p = ns; ok && p < sep; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+'))
			ok = false;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid storage namespace \"%s\"", ns),
				 errhint("A storage namespace is a URI such as \"s3://bucket/prefix\" "
						 "or \"local://name\".")));
	if (lk_has_dot_segment(sep + 3))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid storage namespace \"%s\"", ns),
				 errdetail("A storage namespace has no \".\" or \"..\" segment.")));
}

/* one namespace, one repository: 42710 naming the repository using ns */
static void
namespace_check_unused(const char *ns)
{
	char	   *other = catalog_namespace_user(ns);

	if (other != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("storage namespace \"%s\" overlaps the namespace of another repository", ns),
				 errdetail("Repositories never share objects: garbage collection of one would "
						   "delete the other's."),
				 errhint("Repository \"%s\" uses it; choose a namespace outside and not "
						 "containing its namespace.", other)));
}

/*
 * lakefs_create_repository(name, storage_namespace, default_branch, server)
 *		Creates the repository and its default branch on an initial empty
 *		commit; returns that commit's id.
 */
Datum
lakefs_create_repository(PG_FUNCTION_ARGS)
{
	char	   *name = ARG_TEXT(0);
	char	   *ns = ARG_TEXT(1);
	char	   *branch = PG_ARGISNULL(2) ? "main" : ARG_TEXT(2);
	char	   *server = PG_ARGISNULL(3) ? NULL : NameStr(*PG_GETARG_NAME(3));
	LkRepo	   *repo;
	uint8		empty[LK_ID_LEN];
	char	   *id;

	check_repository_name(name);
	check_ref_name("branch", branch);
	check_namespace(ns);
	/* the early check spares the store a namespace probe; the insert decides */
	if (catalog_get_repo(name, true) != NULL)
		exists_error("repository", name, NULL);
	namespace_check_unused(ns);

	/* the new row as a repository, without reading it back */
	repo = palloc0(sizeof(LkRepo));
	repo->id = catalog_insert_repo(name, ns, branch, server);
	if (repo->id == 0)
		exists_error("repository", name, NULL);
	repo->name = name;
	repo->storage_namespace = ns;
	repo->default_branch = branch;
	repo->server_name = server;
	/* local:// needs pg_lakefs.local_root now, not at the first read (55000) */
	if (server != NULL || strncmp(ns, "local://", 8) == 0)
		repository_check_namespace(repo);

	tree_empty_metarange(repo->id, empty);
	id = commit_write(repo, NULL, NULL, 0, empty, "Repository created",
					  DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))));
	if (!catalog_insert_branch(repo->id, branch, id, "create"))
		elog(ERROR, "the default branch of a new repository exists");
	PG_RETURN_TEXT_P(cstring_to_text(id));
}

Datum
lakefs_delete_repository(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	bool		purge = false;

	/* 0.1.0 declared it with one argument: that form keeps working */
	if (PG_NARGS() > 1)
	{
		lk_arg_require(fcinfo, 1);
		purge = PG_GETARG_BOOL(1);
	}
	catalog_delete_repo(repo->id);
	if (purge)
		gc_purge_namespace(repo);	/* a store failure rolls the deletion back */
	PG_RETURN_VOID();
}

/* lakefs_create_branch(repo, branch, source_ref): returns its head commit */
Datum
lakefs_create_branch(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *source = PG_ARGISNULL(2) ? repo->default_branch : ARG_TEXT(2);
	LkRef		ref;

	HookEvent	ev;

	check_ref_name("branch", branch);
	refs_resolve(repo, source, &ref);
	if (catalog_get_tag(repo->id, branch, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("a tag named \"%s\" exists in repository \"%s\"", branch, repo->name),
				 errdetail("A branch and a tag may not share a name: a ref would name either.")));
	/* write on the new name before the hooks see the event */
	governance_check_writer(repo->id, branch, "create-branch");
	memset(&ev, 0, sizeof(ev));
	ev.repo = repo;
	ev.event = "create-branch";
	ev.branch = branch;
	ev.source_ref = source;
	hooks_fire(true, &ev);
	if (!catalog_insert_branch(repo->id, branch, ref.commit, "create"))
		exists_error("branch", branch, repo->name);
	ev.commit_id = ref.commit;
	hooks_fire(false, &ev);
	PG_RETURN_TEXT_P(cstring_to_text(ref.commit));
}

Datum
lakefs_delete_branch(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	LkCommitId	head;
	HookEvent	ev;

	if (strcmp(branch, repo->default_branch) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("cannot delete the default branch \"%s\" of repository \"%s\"",
						branch, repo->name)));
	lock_branch(repo, branch, head);
	/* lakefs_set_default_branch takes the same lock: read the default again */
	repo = catalog_get_repo(repo->name, false);
	if (strcmp(branch, repo->default_branch) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("cannot delete the default branch \"%s\" of repository \"%s\"",
						branch, repo->name)));
	memset(&ev, 0, sizeof(ev));
	ev.repo = repo;
	ev.event = "delete-branch";
	ev.branch = branch;
	hooks_fire(true, &ev);
	if (!catalog_delete_branch(repo->id, branch, "delete"))
		elog(ERROR, "branch \"%s\" vanished under its writer lock", branch);
	ev.commit_id = head;
	hooks_fire(false, &ev);
	PG_RETURN_VOID();
}

/* lakefs_create_tag(repo, tag, ref): returns the tagged commit */
Datum
lakefs_create_tag(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *tag = ARG_TEXT(1);
	LkRef		ref;
	HookEvent	ev;

	check_ref_name("tag", tag);
	if (catalog_get_branch(repo->id, tag, BRANCH_LOCK_NONE, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("a branch named \"%s\" exists in repository \"%s\"", tag, repo->name),
				 errdetail("A branch and a tag may not share a name: a ref would name either.")));
	refs_resolve(repo, ARG_TEXT(2), &ref);
	governance_check(repo->id, LK_PRIV_WRITE, NULL);
	memset(&ev, 0, sizeof(ev));
	ev.repo = repo;
	ev.event = "create-tag";
	ev.tag = tag;
	ev.source_ref = ARG_TEXT(2);
	hooks_fire(true, &ev);
	if (!catalog_insert_tag(repo->id, tag, ref.commit))
		exists_error("tag", tag, repo->name);
	ev.commit_id = ref.commit;
	hooks_fire(false, &ev);
	PG_RETURN_TEXT_P(cstring_to_text(ref.commit));
}

Datum
lakefs_delete_tag(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *tag = ARG_TEXT(1);

	if (!catalog_delete_tag(repo->id, tag))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("tag \"%s\" not found in repository \"%s\"", tag, repo->name)));
	PG_RETURN_VOID();
}

/* lakefs_resolve_ref(repo, ref): the commit id a ref expression names */
Datum
lakefs_resolve_ref(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	LkRef		ref;

	refs_resolve(repo, ARG_TEXT(1), &ref);
	PG_RETURN_TEXT_P(cstring_to_text(ref.commit));
}

/*
 * lakefs_merge_base(repo, ref1, ref2): the best common ancestor of the two
 * refs' commits (as git merge-base), NULL when the histories share none.
 */
Datum
lakefs_merge_base(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	LkRef		a;
	LkRef		b;
	LkCommitId	base;

	refs_resolve(repo, ARG_TEXT(1), &a);
	refs_resolve(repo, ARG_TEXT(2), &b);
	if (!refs_merge_base(repo, a.commit, b.commit, base))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(base));
}

/*
 * lakefs_is_ancestor(repo, ancestor, descendant): is ancestor's commit
 * reachable from descendant's (a commit is its own ancestor), as
 * git merge-base --is-ancestor.
 */
Datum
lakefs_is_ancestor(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	LkRef		a;
	LkRef		d;

	refs_resolve(repo, ARG_TEXT(1), &a);
	refs_resolve(repo, ARG_TEXT(2), &d);
	PG_RETURN_BOOL(refs_is_ancestor(repo, a.commit, d.commit));
}

/*
 * lakefs_set_default_branch(repo, branch): make an existing branch the
 * repository's default (as lakeFS's repository settings). Takes the branch's
 * writer lock, so a concurrent lakefs_delete_branch either deletes it first
 * (42704 here) or sees it as the default afterwards (55006 there).
 */
Datum
lakefs_set_default_branch(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	LkCommitId	head;

	lock_branch(repo, branch, head);
	catalog_set_default_branch(repo->id, branch);
	PG_RETURN_VOID();
}
