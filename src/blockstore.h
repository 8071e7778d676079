/*-------------------------------------------------------------------------
 *
 * blockstore.h
 *		One interface to the object stores: s3:// (through a lakefs_s3
 *		foreign server) and local:// (a directory a superuser configures).
 *
 * Addresses are full URIs: "s3://bucket/key" or "local://path". The layer
 * knows nothing of repositories, branches or commits. Every function may
 * throw; results are palloc'd in the caller's memory context.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BLOCKSTORE_H
#define BLOCKSTORE_H

#include "datatype/timestamp.h"
#include "pgtime.h"


typedef enum BlockstoreKind
{
	BLOCKSTORE_S3,
	BLOCKSTORE_LOCAL
} BlockstoreKind;

/* A parsed address: s3 has bucket and key; local has only key (a path). */
typedef struct BlockstoreAddress
{
	BlockstoreKind kind;
	char	   *bucket;			/* NULL for local */
	char	   *key;			/* may be "" (a bucket or the root) */
} BlockstoreAddress;

/* What a put returned, and what head tells. */
typedef struct BlockstoreObjectInfo
{
	char	   *address;		/* full URI (put only) */
	int64		size;
	char	   *etag;			/* checksum: S3 ETag, or MD5 hex for local */
	TimestampTz last_modified;
	bool		have_last_modified;
} BlockstoreObjectInfo;

/* One listed object, or a common prefix (is_prefix; size -1, no etag). */
typedef struct BlockstoreEntry
{
	char	   *key;			/* s3: key in the bucket; local: path */
	int64		size;
	char	   *etag;
	TimestampTz last_modified;
	bool		have_last_modified;
	bool		is_prefix;
} BlockstoreEntry;

/* A streaming listing: one page at a time, bounded memory. */
typedef struct BlockstoreLister BlockstoreLister;

/* Per-page callback of blockstore_list; return false to stop. */
typedef bool (*BlockstoreListCallback) (void *arg, const BlockstoreEntry *entries,
										int nentries);

/* blockstore.c */
extern PGDLLIMPORT int lakefs_list_page_size;
extern PGDLLIMPORT int lakefs_multipart_threshold;
extern PGDLLIMPORT int lakefs_multipart_part_size;

extern void blockstore_init(void);
extern void blockstore_parse_address(const char *uri, BlockstoreAddress *addr);
extern char *blockstore_join(const char *namespace_uri, const char *key);

/*
 * The operations. serverid names the lakefs_s3 server of s3:// addresses
 * (its USAGE privilege is checked); it is ignored for local://.
 */
extern void blockstore_put(Oid serverid, const char *namespace_uri, const char *key,
						   const char *data, size_t len, const char *content_type,
						   BlockstoreObjectInfo *info);
extern bytea *blockstore_get(Oid serverid, const char *address, int64 offset,
							 int64 length, int64 object_size);
extern void blockstore_head(Oid serverid, const char *address,
							BlockstoreObjectInfo *info);
extern void blockstore_delete(Oid serverid, const char *address);
extern void blockstore_delete_many(Oid serverid, char *const *addresses, int naddresses);
/*
 * blockstore_copy: make dst_address a copy of src_address (bytes first..last
 * inclusive, or the whole object when first < 0) inside the store, and fill
 * *info from a HEAD of the copy. s3: a server-side copy (CopyObject, or a
 * one-part multipart upload with UploadPartCopy for a range); both
 * addresses in the one store of serverid. local: read and written here.
 */
extern void blockstore_copy(Oid serverid, const char *src_address, const char *dst_address,
							int64 src_size, int64 first, int64 last,
							BlockstoreObjectInfo *info);
extern char *blockstore_presign(Oid serverid, const char *address, const char *method,
								int expires_seconds, pg_time_t when);

/*
 * blockstore_list_begin/next/end: list the objects whose address starts with
 * prefix_uri, in key order; with a delimiter, keys that have it after the
 * prefix fold into one common-prefix entry. next returns the number of
 * entries of the next page (0 at the end); *entries stays valid until the
 * next call or end. page_size 0 means pg_lakefs.list_page_size.
 */
extern BlockstoreLister *blockstore_list_begin(Oid serverid, const char *prefix_uri,
											   const char *delimiter, int page_size);
extern int	blockstore_list_next(BlockstoreLister *lister, BlockstoreEntry **entries);
extern void blockstore_list_end(BlockstoreLister *lister);
extern void blockstore_list(Oid serverid, const char *prefix_uri, const char *delimiter,
							BlockstoreListCallback callback, void *arg);

/* blockstore_local.c */
extern PGDLLIMPORT char *lakefs_local_root;
extern void blockstore_local_init(void);	/* defines pg_lakefs.local_root */

#endif							/* BLOCKSTORE_H */
