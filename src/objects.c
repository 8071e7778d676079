/*-------------------------------------------------------------------------
 *
 * objects.c
 *		Object I/O by repository, ref and path: put, get, presign, upload
 *		URLs and linking objects written straight to the store.
 *
 * The workflow layer between the SQL face and the blockstore: it resolves a
 * ref and a path to a physical address through the engine, and moves bytes
 * through the blockstore. New objects go to <namespace>/data/<random id>
 * (never overwritten, never deleted but by garbage collection); their
 * entries are staged with the address relative to the namespace.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "api_args.h"
#include "blockstore.h"
#include "catalog.h"
#include "commit.h"
#include "gc.h"
#include "governance.h"
#include "option.h"
#include "listing.h"
#include "names.h"
#include "objects.h"
#include "refs.h"
#include "staging.h"

PG_FUNCTION_INFO_V1(lakefs_put_object);
PG_FUNCTION_INFO_V1(lakefs_get_object);
PG_FUNCTION_INFO_V1(lakefs_presign);
PG_FUNCTION_INFO_V1(lakefs_upload_url);
PG_FUNCTION_INFO_V1(lakefs_link_object);


/*
 * repo_server: the OID of the repository's foreign server; InvalidOid for a
 * local:// repository. A repository on s3:// created without a server (a
 * catalog-only repository) cannot reach the store: a clear error.
 */
Oid
repo_server(LkRepo *repo)
{
	if (repo->server_name)
		return lakefs_s3_server_oid(repo->server_name);
	if (strncmp(repo->storage_namespace, "local://", 8) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("repository \"%s\" has no object store server", repo->name),
				 errdetail("It was created without one, so it can only hold entries staged "
						   "with explicit addresses."),
				 errhint("Create the repository with lakefs_create_repository(..., "
						 "server => 'minio') to read and write objects.")));
	return InvalidOid;
}

/* new_data_key: "data/<32 random hex digits>", a key no one has written */
char *
new_data_key(void)
{
	uint8		rnd[16];
	char		hex[33];

	if (!pg_strong_random(rnd, sizeof(rnd)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random object id")));
	lk_hex(rnd, sizeof(rnd), hex);
	return psprintf("data/%s", hex);
}

/*
 * repository_check_namespace: write the marker object lakeFS writes, so a
 * repository is never created on a namespace it cannot write to. A
 * namespace that already holds a marker belongs to another repository (of
 * any database): 42710, as lakeFS refuses it.
 */
void
repository_check_namespace(LkRepo *repo)
{
	BlockstoreObjectInfo info;
	char	   *marker = blockstore_join(repo->storage_namespace, "_lakefs/");
	BlockstoreLister *l = blockstore_list_begin(repo_server(repo), marker, NULL, 1);
	BlockstoreEntry *entries;
	bool		taken = blockstore_list_next(l, &entries) > 0;

	blockstore_list_end(l);
	if (taken)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("storage namespace \"%s\" holds another repository", repo->storage_namespace),
				 errdetail("It has the marker objects under \"%s\" that creating a repository writes.",
						   marker),
				 errhint("Another repository (perhaps in another database) uses it; choose "
						 "another namespace.")));
	blockstore_put(repo_server(repo), repo->storage_namespace, "_lakefs/dummy",
				   "", 0, "application/octet-stream", &info);
}

/* the relative form of an address inside the namespace, or NULL */
static char *
relative_address(LkRepo *repo, const char *address)
{
	size_t		nslen = strlen(repo->storage_namespace);

	while (nslen > 0 && repo->storage_namespace[nslen - 1] == '/')
		nslen--;
	if (strncmp(address, repo->storage_namespace, nslen) == 0 && address[nslen] == '/')
		return pstrdup(address + nslen + 1);
	return NULL;
}

/* the entry at (ref, path), or ERRCODE_UNDEFINED_OBJECT */
static void
lookup_object(LkRepo *repo, const char *refexpr, const char *path, LakefsEntry *e)
{
	LkRef		ref;

	refs_resolve(repo, refexpr, &ref);
	if (!listing_lookup(repo, &ref, path, e))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("object \"%s\" not found at ref \"%s\" of repository \"%s\"",
						path, refexpr, repo->name)));
}

static Datum
object_row(FunctionCallInfo fcinfo, const char *address, int64 size, const char *checksum)
{
	TupleDesc	desc;
	Datum		v[3];
	bool		n[3] = {false, false, checksum == NULL};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	v[0] = CStringGetTextDatum(address);
	v[1] = Int64GetDatum(size);
	v[2] = checksum ? CStringGetTextDatum(checksum) : (Datum) 0;
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, n));
}

/*
 * stage_stored: stage path -> an object the store holds (info from a put or
 * a HEAD); the address is kept relative when it lies in the namespace.
 */
static void
stage_stored(LkRepo *repo, const char *branch, LkStaged *s, const char *address,
			 const BlockstoreObjectInfo *info)
{
	char	   *rel = relative_address(repo, address);

	s->address = rel ? rel : (char *) address;
	s->full_address = rel == NULL;
	s->size = info->size;
	s->checksum = info->etag;
	s->last_modified = info->have_last_modified ? info->last_modified :
		GetCurrentTransactionStartTimestamp();
	staging_put(repo->id, branch, s);
}

/*
 * require_branch: the caller may write the branch (as lock_branch checks
 * it) and the branch exists (ERRCODE_UNDEFINED_OBJECT, as lock_branch says
 * it) before anything is uploaded for it; no lock is taken.
 */
void
require_branch(LkRepo *repo, const char *branch)
{
	LkCommitId	head;

	governance_check_writer(repo->id, branch, NULL);
	if (!catalog_get_branch(repo->id, branch, BRANCH_LOCK_NONE, head))
		no_such_branch(repo, branch);
}

/*
 * lakefs_put_object(repo, branch, path, data, content_type, metadata)
 *		Upload to <namespace>/data/<id> (multipart above the threshold) and
 *		stage the entry; returns (physical_address, size, checksum).
 *
 *		The upload runs before the branch's writer lock is taken, so a slow or
 *		hung store holds up this call only, never the other writers of the
 *		branch; the lock covers just the staging write, and re-checks that the
 *		branch still exists. The object goes to a fresh key no one else
 *		writes, so uploading unlocked races with nothing; if the call fails
 *		after the upload, the object is garbage that GC reclaims.
 */
Datum
lakefs_put_object(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *path = ARG_TEXT(2);
	bytea	   *data;
	LkStaged	s;
	BlockstoreObjectInfo info;
	LkCommitId	head;
	char	   *address;

	lk_arg_require(fcinfo, 3);
	data = PG_GETARG_BYTEA_PP(3);
	check_path(path);
	memset(&s, 0, sizeof(s));
	s.path = path;
	s.content_type = ARG_TEXT_OR(4, NULL);
	s.metadata = object_metadata_arg(fcinfo, 5);
	require_branch(repo, branch);
	address = blockstore_join(repo->storage_namespace, new_data_key());
	blockstore_put(repo_server(repo), address, "", VARDATA_ANY(data),
				   VARSIZE_ANY_EXHDR(data), s.content_type, &info);
	lock_branch(repo, branch, head);
	stage_stored(repo, branch, &s, address, &info);
	PG_RETURN_DATUM(object_row(fcinfo, address, s.size, s.checksum));
}

/* lakefs_get_object(repo, ref, path, offset, length): the bytes, by range GET */
Datum
lakefs_get_object(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *path = ARG_TEXT(2);
	int64		offset = PG_ARGISNULL(3) ? 0 : PG_GETARG_INT64(3);
	int64		length = PG_ARGISNULL(4) ? -1 : PG_GETARG_INT64(4);
	LakefsEntry e;
	char	   *address;

	if (offset < 0 || (!PG_ARGISNULL(4) && length < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("offset and length must not be negative")));
	lookup_object(repo, ARG_TEXT(1), path, &e);
	if (offset >= e.size)
		PG_RETURN_BYTEA_P((bytea *) cstring_to_text_with_len("", 0));
	if (length < 0 || length > e.size - offset)
		length = e.size - offset;
	address = entry_full_address(repo, &e);
	gc_check_collected(repo, path, &e); /* collected: say so, not 404 */
	/* the entry's size is what the store must return: never a short value */
	PG_RETURN_BYTEA_P(blockstore_get(repo_server(repo), address, offset, length, e.size));
}

/*
 * objects_read: the whole content of the object at path in ref (palloc'd,
 * current context); raises what lakefs_get_object raises (42704 for a
 * missing object or ref, the store's errors).
 */
bytea *
objects_read(LkRepo *repo, const char *ref, const char *path)
{
	LakefsEntry e;

	lookup_object(repo, ref, path, &e);
	if (e.size == 0)
		return (bytea *) cstring_to_text_with_len("", 0);
	return blockstore_get(repo_server(repo), entry_full_address(repo, &e), 0, e.size,
						  e.size);
}

/*
 * objects_expiry_seconds: a presigned URL's lifetime in whole seconds;
 * 22023 outside 1 second .. 7 days.
 */
int
objects_expiry_seconds(Interval *iv)
{
	double		secs = (double) iv->time / USECS_PER_SEC +
		(double) iv->day * SECS_PER_DAY + (double) iv->month * 30 * SECS_PER_DAY;

	if (secs < 1 || secs > 7 * SECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expiry must be between 1 second and 7 days"),
				 errhint("SigV4 presigned URLs live at most 7 days.")));
	return (int) secs;
}

/* lakefs_presign(repo, ref, path, expires): a URL that GETs the object */
Datum
lakefs_presign(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	int			secs = PG_ARGISNULL(3) ? 900 : objects_expiry_seconds(PG_GETARG_INTERVAL_P(3));
	LakefsEntry e;

	lookup_object(repo, ARG_TEXT(1), ARG_TEXT(2), &e);
	PG_RETURN_TEXT_P(cstring_to_text(blockstore_presign(repo_server(repo),
														entry_full_address(repo, &e),
														"GET", secs, time(NULL))));
}

/*
 * lakefs_upload_url(repo, branch, path, expires)
 *		A fresh physical address and a presigned PUT URL for it; the caller
 *		uploads there, then calls lakefs_link_object.
 */
Datum
lakefs_upload_url(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	int			secs = PG_ARGISNULL(3) ? 900 : objects_expiry_seconds(PG_GETARG_INTERVAL_P(3));
	char	   *address;
	TupleDesc	desc;
	Datum		v[2];
	bool		n[2] = {false, false};

	/* issuing a URL writes nothing: the branch must exist, no lock is held */
	check_path(ARG_TEXT(2));
	require_branch(repo, branch);
	address = blockstore_join(repo->storage_namespace, new_data_key());
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	v[0] = CStringGetTextDatum(address);
	v[1] = CStringGetTextDatum(blockstore_presign(repo_server(repo), address, "PUT", secs,
												  time(NULL)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, n)));
}

/*
 * lakefs_link_object(repo, branch, path, physical_address, content_type, metadata)
 *		HEAD the object for its size and ETag, then stage it at path. As in
 *		lakefs_put_object, the store is asked before the branch is locked.
 */
Datum
lakefs_link_object(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *path = ARG_TEXT(2);
	char	   *address = ARG_TEXT(3);
	BlockstoreObjectInfo info;
	LkStaged	s;
	LkCommitId	head;

	check_path(path);
	memset(&s, 0, sizeof(s));
	s.path = path;
	s.content_type = ARG_TEXT_OR(4, NULL);
	s.metadata = object_metadata_arg(fcinfo, 5);
	require_branch(repo, branch);
	blockstore_head(repo_server(repo), address, &info);
	lock_branch(repo, branch, head);
	stage_stored(repo, branch, &s, address, &info);
	PG_RETURN_DATUM(object_row(fcinfo, address, s.size, s.checksum));
}
