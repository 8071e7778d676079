/*-------------------------------------------------------------------------
 *
 * api_multipart.c
 *		The S3 gateway's multipart uploads: create, part addresses, the
 *		part list (ListParts), server-side part copies (UploadPartCopy),
 *		abort, and the clean-up of incomplete uploads.
 *
 * The gateway is stateless, and a multipart upload keeps no state in the
 * catalog either: everything is in the object store, under
 * <namespace>/_lakefs/multipart/U/ for upload U (32 hex digits drawn here):
 * the marker object "upload" (written by lakefs_multipart_create; an upload
 * without it does not exist: NoSuchUpload) and part N as the object
 * "NNNNN" (5 digits, so that key order is part order). The store's listing
 * of that prefix is the truth ListParts answers from.
 * Every function checks the branch as a write does (require_branch) but
 * takes no lock: nothing here stages, and the store calls (a part copy may
 * take a while) must not hold up commits to the branch.
 * CompleteMultipartUpload streams the parts, in order, into one fresh
 * object, stages it with lakefs_link_object and then deletes the upload's
 * objects with lakefs_multipart_abort; an upload that is neither completed
 * nor aborted is deleted by lakefs_multipart_abort_incomplete once its
 * newest object is older than a bound (as an S3 lifecycle rule's
 * AbortIncompleteMultipartUpload).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "api_args.h"
#include "blockstore.h"
#include "catalog.h"
#include "governance.h"
#include "listing.h"
#include "objects.h"
#include "refs.h"

PG_FUNCTION_INFO_V1(lakefs_multipart_part_url);

#define MAX_PART_NUMBER 10000

static void
check_upload_id(const char *upload_id)
{
	if (strlen(upload_id) != 32 || strspn(upload_id, "0123456789abcdef") != 32)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid multipart upload id \"%s\"", upload_id),
				 errhint("An upload id is 32 lower-case hexadecimal digits.")));
}

static void
check_part_number(int32 part)
{
	if (part < 1 || part > MAX_PART_NUMBER)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("part number must be between 1 and %d", MAX_PART_NUMBER)));
}

/*
 * upload_key: the key, under the namespace, of object name of the upload's
 * folder _lakefs/multipart/<id>/ (name "": the folder, with its slash;
 * "upload": the marker; "NNNNN": a part), palloc'd; upload_address: its
 * address
 */
#define UPLOADS_KEY "_lakefs/multipart/"	/* the folder of every upload */

static char *
upload_key(const char *upload_id, const char *name)
{
	return psprintf(UPLOADS_KEY "%s/%s", upload_id, name);
}

static char *
upload_address(LkRepo *repo, const char *upload_id, const char *name)
{
	return blockstore_join(repo->storage_namespace, upload_key(upload_id, name));
}

/* the address of the upload's folder (with a trailing slash) */
static char *
upload_prefix(LkRepo *repo, const char *upload_id)
{
	return upload_address(repo, upload_id, "");
}

/*
 * upload_objects: every object of upload_id (the marker and the parts), in
 * key order; *marker tells whether the marker is among them. palloc'd.
 */
static BlockstoreEntry *
upload_objects(LkRepo *repo, const char *upload_id, int *n, bool *marker)
{
	BlockstoreLister *l = blockstore_list_begin(repo_server(repo),
												upload_prefix(repo, upload_id), NULL, 0);
	BlockstoreEntry *page;
	BlockstoreEntry *all = NULL;
	int			cap = 0;
	int			got;

	*n = 0;
	*marker = false;
	while ((got = blockstore_list_next(l, &page)) > 0)
	{
		for (int i = 0; i < got; i++)
		{
			const char *slash = strrchr(page[i].key, '/');
			const char *base = slash ? slash + 1 : page[i].key;

			if (page[i].is_prefix)
				continue;
			if (strcmp(base, "upload") == 0)
				*marker = true;
			if (*n == cap)
			{
				cap = cap ? cap * 2 : 64;
				all = all ? repalloc(all, sizeof(BlockstoreEntry) * cap) :
					palloc(sizeof(BlockstoreEntry) * cap);
			}
			all[*n] = page[i];
			all[*n].key = pstrdup(page[i].key);
			all[*n].etag = page[i].etag ? pstrdup(page[i].etag) : NULL;
			(*n)++;
		}
	}
	blockstore_list_end(l);
	return all;
}

/* 42704 unless upload_id's marker object exists */
static void
require_upload(LkRepo *repo, const char *upload_id)
{
	BlockstoreLister *l = blockstore_list_begin(repo_server(repo),
												upload_address(repo, upload_id, "upload"),
												NULL, 1);
	BlockstoreEntry *page;
	bool		found = false;

	if (blockstore_list_next(l, &page) > 0)
	{
		const char *slash = strrchr(page[0].key, '/');

		found = slash && strcmp(slash + 1, "upload") == 0;
	}
	blockstore_list_end(l);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("multipart upload \"%s\" does not exist in repository \"%s\"",
						upload_id, repo->name),
				 errdetail("It was never created, or it was completed or aborted.")));
}

/* the part number of a part object's key, or 0 for another object */
static int
part_of_key(const char *key)
{
	const char *slash = strrchr(key, '/');
	const char *base = slash ? slash + 1 : key;

	if (strlen(base) != 5 || strspn(base, "0123456789") != 5)
		return 0;
	return atoi(base);
}

/*
 * lakefs_multipart_part_url(repository, branch, upload_id, part_number,
 *							 method, expires)
 *		A presigned GET, PUT or HEAD URL of one part's object.
 */
Datum
lakefs_multipart_part_url(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *upload_id = ARG_TEXT(2);
	char	   *method = ARG_TEXT_OR(4, "PUT");
	int32		part;
	int			secs = 900;
	char	   *address;

	lk_arg_require(fcinfo, 3);
	part = PG_GETARG_INT32(3);
	check_upload_id(upload_id);
	check_part_number(part);
	if (!PG_ARGISNULL(5))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(5);
		double		s = (double) iv->time / USECS_PER_SEC +
			(double) iv->day * SECS_PER_DAY + (double) iv->month * 30 * SECS_PER_DAY;

		if (s < 1 || s > 7 * SECS_PER_DAY)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("expiry must be between 1 second and 7 days")));
		secs = (int) s;
	}
	/* no lock: a URL writes nothing, and the store is asked below */
	require_branch(repo, branch);
	/* a part is written only into an upload that exists */
	if (strcmp(method, "PUT") == 0)
		require_upload(repo, upload_id);
	address = upload_address(repo, upload_id, psprintf("%05d", part));
	PG_RETURN_TEXT_P(cstring_to_text(blockstore_presign(repo_server(repo), address, method,
														secs, time(NULL))));
}

PG_FUNCTION_INFO_V1(lakefs_multipart_create);

/*
 * lakefs_multipart_create(repository, branch, path, content_type,
 *						   metadata) -> upload id
 *		Checks the branch as a write does, draws the upload id and writes
 *		the upload's marker object (a JSON document naming branch, path, the
 *		creating role and, when given, the object's content type and user
 *		metadata, which S3 takes at CreateMultipartUpload and Complete
 *		applies).
 */
Datum
lakefs_multipart_create(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *path = ARG_TEXT(2);
	char	   *content_type = ARG_TEXT_OR(3, NULL);
	char	   *metadata = object_metadata_arg(fcinfo, 4);
	uint8		rnd[16];
	char		id[33];
	StringInfoData doc;
	BlockstoreObjectInfo info;

	if (path[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("path must not be empty")));
	require_branch(repo, branch);
	if (!pg_strong_random(rnd, sizeof(rnd)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random multipart upload id")));
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	initStringInfo(&doc);
	appendStringInfoString(&doc, "{\"branch\": ");
	escape_json(&doc, branch);
	appendStringInfoString(&doc, ", \"path\": ");
	escape_json(&doc, path);
	appendStringInfoString(&doc, ", \"created_by\": ");
	escape_json(&doc, GetUserNameFromId(GetUserId(), false));
	if (content_type)
	{
		appendStringInfoString(&doc, ", \"content_type\": ");
		escape_json(&doc, content_type);
	}
	if (metadata)
		appendStringInfo(&doc, ", \"metadata\": %s", metadata);
	appendStringInfoString(&doc, "}");
	blockstore_put(repo_server(repo), repo->storage_namespace,
				   upload_key(id, "upload"), doc.data, doc.len,
				   "application/json", &info);
	PG_RETURN_TEXT_P(cstring_to_text(id));
}

PG_FUNCTION_INFO_V1(lakefs_multipart_upload);

/*
 * lakefs_multipart_upload(repository, branch, upload_id) -> jsonb
 *		The upload's marker document (branch, path, created_by and, when
 *		CreateMultipartUpload gave them, content_type and metadata); 42704
 *		when the upload does not exist.
 */
Datum
lakefs_multipart_upload(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *upload_id = ARG_TEXT(2);
	bytea	   *doc;

	check_upload_id(upload_id);
	require_branch(repo, branch);
	require_upload(repo, upload_id);
	doc = blockstore_get(repo_server(repo), upload_address(repo, upload_id, "upload"), 0, -1, -1);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in,
										CStringGetDatum(text_to_cstring((text *) doc))));
}

PG_FUNCTION_INFO_V1(lakefs_multipart_parts);

/*
 * lakefs_multipart_parts(repository, branch, upload_id, part_number_marker,
 *						  max_parts)
 *		The parts of an upload after part_number_marker, at most max_parts,
 *		from the store's listing: (part_number, etag, size, last_modified).
 */
Datum
lakefs_multipart_parts(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *upload_id = ARG_TEXT(2);
	int32		after = PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3);
	int32		max = PG_ARGISNULL(4) ? 1000 : PG_GETARG_INT32(4);
	BlockstoreEntry *objs;
	int			n;
	int			emitted = 0;
	bool		marker;

	check_upload_id(upload_id);
	if (after < 0 || after > MAX_PART_NUMBER)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("part number marker must be between 0 and %d", MAX_PART_NUMBER)));
	if (max < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_parts must not be negative")));
	require_branch(repo, branch);
	InitMaterializedSRF(fcinfo, 0);
	objs = upload_objects(repo, upload_id, &n, &marker);
	if (!marker)
		require_upload(repo, upload_id);	/* raises NoSuchUpload's 42704 */
	for (int i = 0; i < n && emitted < max; i++)
	{
		int			part = part_of_key(objs[i].key);
		Datum		v[4];
		bool		nulls[4] = {false, objs[i].etag == NULL, false,
		!objs[i].have_last_modified};

		if (part <= after)
			continue;
		v[0] = Int32GetDatum(part);
		v[1] = objs[i].etag ? CStringGetTextDatum(objs[i].etag) : (Datum) 0;
		v[2] = Int64GetDatum(objs[i].size);
		v[3] = TimestampTzGetDatum(objs[i].last_modified);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		emitted++;
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(lakefs_multipart_abort);

/*
 * lakefs_multipart_abort(repository, branch, upload_id) -> objects deleted
 *		Deletes the upload's parts and its marker (42704 when there is no
 *		such upload). The gateway's AbortMultipartUpload, and its clean-up
 *		after CompleteMultipartUpload.
 */
Datum
lakefs_multipart_abort(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *upload_id = ARG_TEXT(2);
	BlockstoreEntry *objs;
	char	  **addresses;
	int			n;
	bool		marker;

	check_upload_id(upload_id);
	require_branch(repo, branch);
	objs = upload_objects(repo, upload_id, &n, &marker);
	if (!marker)
		require_upload(repo, upload_id);
	addresses = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		addresses[i] = upload_address(repo, upload_id, strrchr(objs[i].key, '/') + 1);
	/* the marker last: an abort cut short can be repeated */
	for (int i = 0; i + 1 < n; i++)
		if (part_of_key(objs[i].key) == 0)
		{
			char	   *t = addresses[i];

			addresses[i] = addresses[n - 1];
			addresses[n - 1] = t;
		}
	if (n > 1)
		blockstore_delete_many(repo_server(repo), addresses, n - 1);
	blockstore_delete(repo_server(repo), addresses[n - 1]);
	PG_RETURN_INT64(n);
}

PG_FUNCTION_INFO_V1(lakefs_multipart_abort_incomplete);

/*
 * lakefs_multipart_abort_incomplete(repository, older_than) -> uploads
 *		Deletes every gateway multipart upload of the repository whose newest
 *		object is older than older_than (its parts and marker; also part
 *		objects left without a marker), as an S3 lifecycle rule's
 *		AbortIncompleteMultipartUpload. Needs the repository's admin
 *		privilege, as lakefs_gc.
 */
Datum
lakefs_multipart_abort_incomplete(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	Interval   *iv;
	TimestampTz cutoff;
	BlockstoreLister *l;
	BlockstoreEntry *page;
	int			got;
	char	   *cur = NULL;		/* upload id being collected */
	bool		cur_young = false;
	List	   *cur_addresses = NIL;
	int64		aborted = 0;
	Oid			server = repo_server(repo);
	char	   *prefix = blockstore_join(repo->storage_namespace, UPLOADS_KEY);
	BlockstoreAddress pa;

	governance_check(repo->id, LK_PRIV_ADMIN, NULL);
	lk_arg_require(fcinfo, 1);
	iv = PG_GETARG_INTERVAL_P(1);
	if (iv->month < 0 || iv->day < 0 || iv->time < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("older_than must not be negative")));
	cutoff = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
													 TimestampTzGetDatum(GetCurrentTimestamp()),
													 PointerGetDatum(iv)));
	blockstore_parse_address(prefix, &pa);
	l = blockstore_list_begin(server, prefix, NULL, 0);
	for (;;)
	{
		bool		end;

		got = blockstore_list_next(l, &page);
		end = got == 0;
		for (int i = 0; i <= got; i++)
		{
			char	   *rest = NULL;
			char	   *id = NULL;

			if (i < got)
			{
				if (page[i].is_prefix || strlen(page[i].key) <= strlen(pa.key))
					continue;
				rest = page[i].key + strlen(pa.key);
				if (strchr(rest, '/') == NULL)
					continue;
				id = pnstrdup(rest, strchr(rest, '/') - rest);
			}
			else if (!end)
				break;
			/* a new upload (or the end): settle the previous one */
			if (cur && (id == NULL || strcmp(id, cur) != 0))
			{
				if (!cur_young && cur_addresses != NIL)
				{
					int			k = 0;
					char	  **a = palloc(sizeof(char *) * list_length(cur_addresses));
					ListCell   *lc;

					foreach(lc, cur_addresses)
						a[k++] = lfirst(lc);
					blockstore_delete_many(server, a, k);
					aborted++;
				}
				list_free(cur_addresses);
				cur_addresses = NIL;
				cur = NULL;
			}
			if (id == NULL)
				continue;
			if (cur == NULL)
			{
				cur = id;
				cur_young = false;
			}
			if (!page[i].have_last_modified || page[i].last_modified >= cutoff)
				cur_young = true;
			cur_addresses = lappend(cur_addresses,
									blockstore_join(repo->storage_namespace,
													psprintf(UPLOADS_KEY "%s", rest)));
		}
		if (end)
			break;
	}
	blockstore_list_end(l);
	PG_RETURN_INT64(aborted);
}

PG_FUNCTION_INFO_V1(lakefs_multipart_upload_part_copy);

/*
 * lakefs_multipart_upload_part_copy(repository, branch, upload_id,
 *		part_number, source_repository, source_ref, source_path, first_byte,
 *		last_byte) -> (etag, last_modified)
 *		Part part_number becomes a server-side copy of the source object
 *		(bytes first_byte..last_byte, inclusive, when given), read as the
 *		caller; as S3's UploadPartCopy. The source must live in the same
 *		object store (0A000 otherwise).
 */
Datum
lakefs_multipart_upload_part_copy(PG_FUNCTION_ARGS)
{
	char	   *repo_name = ARG_TEXT(0);
	char	   *branch = ARG_TEXT(1);
	char	   *upload_id = ARG_TEXT(2);
	char	   *src_repo_name = ARG_TEXT(4);
	char	   *src_ref = ARG_TEXT(5);
	char	   *src_path = ARG_TEXT(6);
	LkRepo	   *repo;
	LkRepo	   *src_repo;
	int32		part;
	int64		first = -1,
				last = -1;
	LkRef		ref;
	LakefsEntry e;
	char	   *dst;
	BlockstoreObjectInfo info;
	TupleDesc	desc;
	Datum		v[2];
	bool		n[2] = {false, false};

	lk_arg_require(fcinfo, 3);
	part = PG_GETARG_INT32(3);
	/* every argument is there: the privileges first, then the values */
	repo = catalog_get_repo(repo_name, false);
	src_repo = catalog_get_repo(src_repo_name, false);
	check_upload_id(upload_id);
	check_part_number(part);
	if (PG_ARGISNULL(7) != PG_ARGISNULL(8))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("first_byte and last_byte must be given together")));
	if (!PG_ARGISNULL(7))
	{
		first = PG_GETARG_INT64(7);
		last = PG_GETARG_INT64(8);
		if (first < 0 || last < first)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid byte range %lld-%lld", (long long) first, (long long) last),
					 errhint("The range is first_byte-last_byte, inclusive, with first_byte <= last_byte.")));
	}
	require_branch(repo, branch);
	require_upload(repo, upload_id);
	refs_resolve(src_repo, src_ref, &ref);
	if (!listing_lookup(src_repo, &ref, src_path, &e))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("object \"%s\" not found at ref \"%s\" of repository \"%s\"",
						src_path, src_ref, src_repo->name)));
	if (first >= 0 && last >= e.size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("byte range %lld-%lld is outside the %lld-byte source object",
						(long long) first, (long long) last, (long long) e.size)));
	if (repo_server(src_repo) != repo_server(repo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the source object is in another object store"),
				 errdetail("A part copy runs inside one object store.")));
	dst = upload_address(repo, upload_id, psprintf("%05d", part));
	blockstore_copy(repo_server(repo), entry_full_address(src_repo, &e), dst,
					e.size, first, last, &info);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	v[0] = CStringGetTextDatum(info.etag ? info.etag : "");
	v[1] = TimestampTzGetDatum(info.last_modified);
	n[1] = !info.have_last_modified;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, n)));
}
