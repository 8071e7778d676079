/*-------------------------------------------------------------------------
 *
 * blockstore.c
 *		The blockstore interface: address parsing, dispatch to the s3 and
 *		local implementations, streaming listings, and their GUCs.
 *
 * A lister owns a memory context; each page is built in a child context
 * that is reset before the next page, so a listing of any length holds at
 * most one page (local listings are the exception: a directory tree is
 * read, sorted and then paged, which suits a store for trying things out).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "blockstore_int.h"
#include "names.h"
#include "option.h"

int			lakefs_list_page_size = 1000;
int			lakefs_multipart_threshold = 16 * 1024 * 1024;
int			lakefs_multipart_part_size = 8 * 1024 * 1024;

struct BlockstoreLister
{
	MemoryContext cxt;			/* lives as long as the lister */
	MemoryContext page_cxt;		/* reset per page */
	BlockstoreAddress prefix;
	char	   *delimiter;
	int			page_size;
	/* s3 */
	S3Endpoint *ep;
	char	   *token;			/* continuation token, in cxt */
	bool		done;
	char	   *last_key;		/* last key listed so far, in cxt; NULL first */
	/* local: the whole sorted listing, paged out */
	BlockstoreEntry *all;
	int			nall;
	int			pos;
};

/*
 * blockstore_init
 *		Define the blockstore GUCs (from _PG_init).
 */
void
blockstore_init(void)
{
	DefineCustomIntVariable("pg_lakefs.list_page_size",
							"Objects asked for per S3 listing page.",
							NULL, &lakefs_list_page_size, 1000, 1, 1000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_lakefs.multipart_threshold",
							"Objects at least this large are uploaded in parts.",
							NULL, &lakefs_multipart_threshold, 16 * 1024 * 1024,
							5 * 1024 * 1024, INT_MAX,
							PGC_USERSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_lakefs.multipart_part_size",
							"Size of the parts of a multipart upload.",
							NULL, &lakefs_multipart_part_size, 8 * 1024 * 1024,
							5 * 1024 * 1024, 1024 * 1024 * 1024,
							PGC_USERSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
}

/*
 * blockstore_parse_address
 *		Split "s3://bucket/key" or "local://path" into *addr (palloc'd).
 *		Throws ERRCODE_INVALID_PARAMETER_VALUE on anything else.
 */
void
blockstore_parse_address(const char *uri, BlockstoreAddress *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (strncmp(uri, "s3://", 5) == 0)
	{
		const char *b = uri + 5;
		const char *slash = strchr(b, '/');
		size_t		blen = slash ? (size_t) (slash - b) : strlen(b);

		if (blen == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid object address \"%s\"", uri),
					 errdetail("An s3:// address names a bucket."),
					 errhint("For example: s3://bucket/path/to/object.")));
		addr->kind = BLOCKSTORE_S3;
		addr->bucket = pnstrdup(b, blen);
		addr->key = pstrdup(slash ? slash + 1 : "");
		/* HTTP clients and servers resolve dot segments: the key would change */
		if (lk_has_dot_segment(addr->key))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid object address \"%s\"", uri),
					 errdetail("An S3 key with a \".\" or \"..\" segment is not supported: "
							   "HTTP would resolve it to another key.")));
	}
	else if (strncmp(uri, "local://", 8) == 0)
	{
		addr->kind = BLOCKSTORE_LOCAL;
		addr->key = pstrdup(uri + 8);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid object address \"%s\"", uri),
				 errhint("Addresses start with s3:// or local://.")));
}

/*
 * blockstore_join
 *		namespace_uri + "/" + key, without doubling the slash; an empty key
 *		gives namespace_uri itself. palloc'd.
 */
char *
blockstore_join(const char *namespace_uri, const char *key)
{
	size_t		n = strlen(namespace_uri);

	while (key[0] == '/')
		key++;
	if (key[0] == '\0')
		return pstrdup(namespace_uri);
	if (n > 0 && namespace_uri[n - 1] == '/')
		return psprintf("%s%s", namespace_uri, key);
	return psprintf("%s/%s", namespace_uri, key);
}

static S3Endpoint *
endpoint_for(Oid serverid)
{
	if (!OidIsValid(serverid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an s3:// address needs a lakefs_s3 server"),
				 errhint("Pass the name of a server created with FOREIGN DATA WRAPPER lakefs_s3.")));
	return lakefs_s3_endpoint(serverid, true);
}

static void
require_key(const char *uri, const BlockstoreAddress *addr)
{
	if (addr->key[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("object address \"%s\" has no key", uri),
				 errhint("For example: s3://bucket/path/to/object.")));
}

/*
 * blockstore_put
 *		Store data at namespace_uri/key; fills *info (address, size, etag).
 */
void
blockstore_put(Oid serverid, const char *namespace_uri, const char *key,
			   const char *data, size_t len, const char *content_type,
			   BlockstoreObjectInfo *info)
{
	char	   *uri = blockstore_join(namespace_uri, key);
	BlockstoreAddress addr;

	blockstore_parse_address(uri, &addr);
	require_key(uri, &addr);
	/* checked for local:// too, so a value is valid or not wherever it goes */
	s3_check_header_value("content type", content_type);
	memset(info, 0, sizeof(*info));
	if (addr.kind == BLOCKSTORE_S3)
		bs_s3_put(endpoint_for(serverid), &addr, data, len, content_type, info);
	else
		bs_local_put(&addr, data, len, info);
	info->address = uri;
}

/*
 * blockstore_get
 *		length bytes from offset (to the end when length < 0); an offset at
 *		or past the end gives an empty bytea. object_size is the size the
 *		caller knows the object has (its catalog entry), -1 when unknown: a
 *		read that returns other than what that size allows is an error, never
 *		a silently short value (ERRCODE_PROTOCOL_VIOLATION from a store that
 *		sent less than it announced, ERRCODE_DATA_CORRUPTED for an object that
 *		no longer matches its size or checksum).
 */
bytea *
blockstore_get(Oid serverid, const char *address, int64 offset, int64 length,
			   int64 object_size)
{
	BlockstoreAddress addr;
	bytea	   *result;
	int64		expect;

	if (offset < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("offset must not be negative")));
	blockstore_parse_address(address, &addr);
	require_key(address, &addr);
	if (addr.kind == BLOCKSTORE_S3)
		return bs_s3_get(endpoint_for(serverid), &addr, offset, length, object_size);
	result = bs_local_get(&addr, offset, length);
	if (object_size >= 0)
	{
		expect = offset >= object_size ? 0 : object_size - offset;
		if (length >= 0 && length < expect)
			expect = length;
		if ((int64) VARSIZE_ANY_EXHDR(result) != expect)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("object \"%s\" does not match its catalog entry", address),
					 errdetail("Reading " INT64_FORMAT " bytes from offset " INT64_FORMAT
							   " gave %zu.", expect, offset,
							   (size_t) VARSIZE_ANY_EXHDR(result))));
	}
	return result;
}

/*
 * blockstore_head
 *		Size, etag and last-modified time of an object; a missing object is
 *		ERRCODE_UNDEFINED_OBJECT.
 */
void
blockstore_head(Oid serverid, const char *address, BlockstoreObjectInfo *info)
{
	BlockstoreAddress addr;

	blockstore_parse_address(address, &addr);
	require_key(address, &addr);
	memset(info, 0, sizeof(*info));
	if (addr.kind == BLOCKSTORE_S3)
		bs_s3_head(endpoint_for(serverid), &addr, info);
	else
		bs_local_head(&addr, info);
	info->address = pstrdup(address);
}

/* blockstore_copy: see blockstore.h */
void
blockstore_copy(Oid serverid, const char *src_address, const char *dst_address,
				int64 src_size, int64 first, int64 last, BlockstoreObjectInfo *info)
{
	BlockstoreAddress src;
	BlockstoreAddress dst;

	blockstore_parse_address(src_address, &src);
	blockstore_parse_address(dst_address, &dst);
	require_key(src_address, &src);
	require_key(dst_address, &dst);
	if (src.kind != dst.kind)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot copy from \"%s\" to \"%s\": different kinds of store",
						src_address, dst_address)));
	if (src.kind == BLOCKSTORE_S3)
	{
		const S3Endpoint *ep = endpoint_for(serverid);

		s3_copy_object(ep, src.bucket, src.key, dst.bucket, dst.key, first, last);
		memset(info, 0, sizeof(*info));
		bs_s3_head(ep, &dst, info);
	}
	else
	{
		int64		off = first < 0 ? 0 : first;
		int64		len = first < 0 ? src_size : last - first + 1;
		bytea	   *data = len > 0 ? bs_local_get(&src, off, len) : NULL;

		memset(info, 0, sizeof(*info));
		bs_local_put(&dst, data ? VARDATA_ANY(data) : "", data ? VARSIZE_ANY_EXHDR(data) : 0,
					 info);
		bs_local_head(&dst, info);
	}
	info->address = pstrdup(dst_address);
}

/*
 * blockstore_delete
 *		Remove an object (no error when it does not exist).
 */
void
blockstore_delete(Oid serverid, const char *address)
{
	BlockstoreAddress addr;

	blockstore_parse_address(address, &addr);
	require_key(address, &addr);
	if (addr.kind == BLOCKSTORE_S3)
		bs_s3_delete(endpoint_for(serverid), &addr);
	else
		bs_local_delete(&addr);
}

/*
 * blockstore_delete_many
 *		Remove many objects (missing ones are no error). s3 addresses go in
 *		multi-object deletes of up to 1000 keys per bucket run; the order of
 *		the addresses only affects how they are batched.
 */
void
blockstore_delete_many(Oid serverid, char *const *addresses, int naddresses)
{
	S3Endpoint *ep = NULL;
	char	  **keys = palloc(sizeof(char *) * Max(naddresses, 1));
	char	   *bucket = NULL;
	int			nkeys = 0;

	for (int i = 0; i <= naddresses; i++)
	{
		BlockstoreAddress addr;

		if (i < naddresses)
		{
			blockstore_parse_address(addresses[i], &addr);
			require_key(addresses[i], &addr);
		}
		/* flush the batch at the end, on a new bucket, or at 1000 keys */
		if (nkeys > 0 && (i == naddresses || addr.kind != BLOCKSTORE_S3 ||
						  strcmp(addr.bucket, bucket) != 0 || nkeys == 1000))
		{
			bs_s3_delete_many(ep, bucket, keys, nkeys);
			nkeys = 0;
		}
		if (i == naddresses)
			break;
		if (addr.kind == BLOCKSTORE_LOCAL)
		{
			bs_local_delete(&addr);
			continue;
		}
		if (ep == NULL)
			ep = endpoint_for(serverid);
		bucket = addr.bucket;
		keys[nkeys++] = addr.key;
	}
	pfree(keys);
}

/*
 * blockstore_presign
 *		A URL that lets its holder GET or PUT the object without credentials
 *		until when + expires_seconds. s3 only.
 */
char *
blockstore_presign(Oid serverid, const char *address, const char *method,
				   int expires_seconds, pg_time_t when)
{
	BlockstoreAddress addr;

	blockstore_parse_address(address, &addr);
	require_key(address, &addr);
	if (addr.kind != BLOCKSTORE_S3)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("local:// objects cannot be presigned"),
				 errhint("Presigned URLs need an S3 server.")));
	if (strcmp(method, "GET") != 0 && strcmp(method, "PUT") != 0 &&
		strcmp(method, "HEAD") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot presign method \"%s\"", method),
				 errhint("Valid methods are GET, PUT and HEAD.")));
	if (expires_seconds < 1 || expires_seconds > 7 * 24 * 3600)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("presigned URL lifetime must be between 1 second and 7 days")));
	return s3_presign_url(endpoint_for(serverid), method, addr.bucket, addr.key,
						  expires_seconds, when);
}

/*
 * blockstore_list_begin
 *		Start a listing (see blockstore.h). The lister lives in a child of
 *		the current context; blockstore_list_end frees it.
 */
BlockstoreLister *
blockstore_list_begin(Oid serverid, const char *prefix_uri, const char *delimiter,
					  int page_size)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "lakefs listing",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	BlockstoreLister *l = palloc0(sizeof(BlockstoreLister));

	l->cxt = cxt;
	l->page_cxt = AllocSetContextCreate(cxt, "lakefs listing page",
										ALLOCSET_DEFAULT_SIZES);
	blockstore_parse_address(prefix_uri, &l->prefix);
	l->delimiter = (delimiter && delimiter[0]) ? pstrdup(delimiter) : NULL;
	l->page_size = page_size > 0 ? Min(page_size, 1000) : lakefs_list_page_size;
	if (l->prefix.kind == BLOCKSTORE_S3)
		l->ep = endpoint_for(serverid);
	MemoryContextSwitchTo(old);
	return l;
}

/*
 * check_s3_page
 *		A listing page from an S3 server must continue the listing in strictly
 *		ascending key order (S3 lists in UTF-8 byte order, each key once, also
 *		across pages) and hold only keys under the requested prefix. Anything
 *		else is ERRCODE_PROTOCOL_VIOLATION, raised here so that no consumer
 *		(import, lakefs_list_objects, the foreign table) sees such a page.
 *		Remembers the page's last key in the lister.
 */
static void
check_s3_page(BlockstoreLister *l, const BlockstoreEntry *e, int n)
{
	size_t		plen = strlen(l->prefix.key);
	const char *prev = l->last_key;
	MemoryContext old;

	for (int i = 0; i < n; prev = e[i++].key)
	{
		int			c = prev ? strcmp(prev, e[i].key) : -1;

		if (strncmp(e[i].key, l->prefix.key, plen) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("S3 server \"%s\" listed a key outside the requested prefix",
							l->ep->server_name),
					 errdetail("Key \"%s\" does not start with \"%s\".",
							   e[i].key, l->prefix.key),
					 errcontext("LIST objects in s3://%s/%s", l->prefix.bucket,
								l->prefix.key)));
		if (c >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("S3 server \"%s\" listed keys out of order", l->ep->server_name),
					 c == 0 ?
					 errdetail("Key \"%s\" was listed twice.", e[i].key) :
					 errdetail("Key \"%s\" came after \"%s\"; a listing is in strictly "
							   "ascending order.", e[i].key, prev),
					 errcontext("LIST objects in s3://%s/%s", l->prefix.bucket,
								l->prefix.key)));
	}
	if (n > 0)
	{
		old = MemoryContextSwitchTo(l->cxt);
		if (l->last_key)
			pfree(l->last_key);
		l->last_key = pstrdup(e[n - 1].key);
		MemoryContextSwitchTo(old);
	}
}

/*
 * blockstore_list_next
 *		The next page; 0 when the listing is over. An S3 page out of key
 *		order, repeating a key, or with a key outside the prefix is
 *		ERRCODE_PROTOCOL_VIOLATION (check_s3_page).
 */
int
blockstore_list_next(BlockstoreLister *l, BlockstoreEntry **entries)
{
	MemoryContext old;
	int			n = 0;

	MemoryContextReset(l->page_cxt);
	*entries = NULL;
	if (l->prefix.kind == BLOCKSTORE_S3)
	{
		/* a page of only skipped entries is possible: ask again */
		while (n == 0 && !l->done)
		{
			char	   *token = NULL;

			CHECK_FOR_INTERRUPTS();
			old = MemoryContextSwitchTo(l->page_cxt);
			n = bs_s3_list_page(l->ep, &l->prefix, l->delimiter, l->page_size,
								l->token, &token, &l->done, entries);
			MemoryContextSwitchTo(l->cxt);
			if (l->token)
				pfree(l->token);
			l->token = token ? pstrdup(token) : NULL;
			MemoryContextSwitchTo(old);
			check_s3_page(l, *entries, n);
		}
		return n;
	}

	if (l->all == NULL)
	{
		old = MemoryContextSwitchTo(l->cxt);
		l->all = bs_local_list_all(&l->prefix, l->delimiter, &l->nall);
		MemoryContextSwitchTo(old);
	}
	n = Min(l->page_size, l->nall - l->pos);
	*entries = l->all + l->pos;
	l->pos += n;
	return n;
}

/*
 * blockstore_list_end
 *		Free the lister and everything it listed.
 */
void
blockstore_list_end(BlockstoreLister *l)
{
	MemoryContextDelete(l->cxt);
}

/*
 * blockstore_list
 *		Call callback once per page until the listing ends or it returns
 *		false. The entries die after the callback returns.
 */
void
blockstore_list(Oid serverid, const char *prefix_uri, const char *delimiter,
				BlockstoreListCallback callback, void *arg)
{
	BlockstoreLister *l = blockstore_list_begin(serverid, prefix_uri, delimiter, 0);
	BlockstoreEntry *entries;
	int			n;

	while ((n = blockstore_list_next(l, &entries)) > 0)
		if (!callback(arg, entries, n))
			break;
	blockstore_list_end(l);
}
