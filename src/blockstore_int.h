/*-------------------------------------------------------------------------
 *
 * blockstore_int.h
 *		The back-ends behind blockstore.c's one interface: blockstore_s3.c
 *		and blockstore_local.c. Private to the blockstore files; every other
 *		layer calls blockstore_*() in blockstore.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BLOCKSTORE_INT_H
#define BLOCKSTORE_INT_H

#include "blockstore.h"
#include "s3_client.h"

/* blockstore_s3.c: the same operations on a parsed s3 address */
extern void bs_s3_put(const S3Endpoint *ep, const BlockstoreAddress *addr,
					  const char *data, size_t len, const char *content_type,
					  BlockstoreObjectInfo *info);
extern bytea *bs_s3_get(const S3Endpoint *ep, const BlockstoreAddress *addr,
						int64 offset, int64 length, int64 object_size);
extern void bs_s3_head(const S3Endpoint *ep, const BlockstoreAddress *addr,
					   BlockstoreObjectInfo *info);
extern void bs_s3_delete(const S3Endpoint *ep, const BlockstoreAddress *addr);
extern void bs_s3_delete_many(const S3Endpoint *ep, const char *bucket,
							  char *const *keys, int nkeys);
extern int	bs_s3_list_page(const S3Endpoint *ep, const BlockstoreAddress *prefix,
							const char *delimiter, int page_size,
							const char *token_in, char **token_out,
							bool *done, BlockstoreEntry **entries);
extern TimestampTz bs_parse_iso8601(const char *s, bool *ok);

/* blockstore_local.c */
extern void bs_local_put(const BlockstoreAddress *addr, const char *data, size_t len,
						 BlockstoreObjectInfo *info);
extern bytea *bs_local_get(const BlockstoreAddress *addr, int64 offset, int64 length);
extern void bs_local_head(const BlockstoreAddress *addr, BlockstoreObjectInfo *info);
extern void bs_local_delete(const BlockstoreAddress *addr);
extern BlockstoreEntry *bs_local_list_all(const BlockstoreAddress *prefix,
										  const char *delimiter, int *nentries);

#endif							/* BLOCKSTORE_INT_H */
