/*-------------------------------------------------------------------------
 *
 * blockstore_s3.c
 *		The blockstore on S3: put (single or multipart), get, head, delete,
 *		listing pages, over s3_client.
 *
 * Listing pages come from s3_xml in lk_alloc memory; they are copied into
 * the caller's (page) context and released in a PG_FINALLY block, so an
 * error while copying leaks nothing whichever allocator lk_alloc uses.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pgtime.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "blockstore_int.h"
#include "s3_client.h"
#include "s3_xml.h"

/*
 * bs_parse_iso8601
 *		"2026-11-25T13:38:06.123Z" (as S3 listings send) to a timestamptz.
 *		*ok is false if the text is not of that form. Never throws.
 */
TimestampTz
bs_parse_iso8601(const char *s, bool *ok)
{
	struct pg_tm tm;
	fsec_t		fsec = 0;
	int			n = 0;
	TimestampTz result = 0;

	*ok = false;
	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
			   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return 0;
	s += n;
	if (*s == '.')
	{
		int			scale = 100000;

		for (s++; *s >= '0' && *s <= '9'; s++)
		{
			fsec += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (*s != 'Z' && *s != '\0')
		return 0;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
		tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return 0;
	if (tm2timestamp(&tm, fsec, NULL, &result) != 0)
		return 0;
	*ok = true;
	return result;
}

/*
 * bs_s3_put
 *		Upload data to addr: one PUT below pg_lakefs.multipart_threshold,
 *		else multipart. Fills size and etag of *info.
 */
void
bs_s3_put(const S3Endpoint *ep, const BlockstoreAddress *addr,
		  const char *data, size_t len, const char *content_type,
		  BlockstoreObjectInfo *info)
{
	if (len >= (size_t) lakefs_multipart_threshold)
		info->etag = s3_put_object_multipart(ep, addr->bucket, addr->key, data, len,
											 (size_t) lakefs_multipart_part_size,
											 content_type);
	else
		info->etag = s3_put_object(ep, addr->bucket, addr->key, data, len,
								   content_type);
	info->size = (int64) len;
}

/*
 * bs_s3_get
 *		Range GET (length < 0: to the end), verified against the reply's
 *		headers and object_size (-1: unknown); see s3_get_object.
 */
bytea *
bs_s3_get(const S3Endpoint *ep, const BlockstoreAddress *addr,
		  int64 offset, int64 length, int64 object_size)
{
	return s3_get_object(ep, addr->bucket, addr->key, offset, length, object_size);
}

/*
 * bs_s3_head
 *		HEAD into *info.
 */
void
bs_s3_head(const S3Endpoint *ep, const BlockstoreAddress *addr,
		   BlockstoreObjectInfo *info)
{
	S3ObjectInfo oi;

	s3_head_object(ep, addr->bucket, addr->key, &oi);
	info->size = oi.size;
	info->etag = oi.etag;
	info->last_modified = oi.last_modified;
	info->have_last_modified = oi.have_last_modified;
}

/*
 * bs_s3_delete
 *		DELETE one object.
 */
void
bs_s3_delete(const S3Endpoint *ep, const BlockstoreAddress *addr)
{
	s3_delete_object(ep, addr->bucket, addr->key);
}

/*
 * bs_s3_delete_many
 *		Multi-object delete of up to 1000 keys of one bucket.
 */
void
bs_s3_delete_many(const S3Endpoint *ep, const char *bucket, char *const *keys,
				  int nkeys)
{
	s3_delete_objects(ep, bucket, keys, nkeys);
}

/* Copy an S3 listing page into palloc'd entries (objects, then prefixes). */
static int
copy_page(const S3ListPage *page, const char *token_in, char **token_out,
		  bool *done, BlockstoreEntry **entries)
{
	int			n = page->nobjects + page->nprefixes;
	BlockstoreEntry *e = palloc0(sizeof(BlockstoreEntry) * Max(n, 1));
	int			i = 0;
	int			o = 0,
				p = 0;

	/* merge objects and prefixes in key order, as S3 orders them */
	while (o < page->nobjects || p < page->nprefixes)
	{
		bool		take_prefix = o >= page->nobjects ||
			(p < page->nprefixes && strcmp(page->prefixes[p], page->objects[o].key) < 0);

		if (take_prefix)
		{
			e[i].key = pstrdup(page->prefixes[p++]);
			e[i].size = -1;
			e[i].is_prefix = true;
		}
		else
		{
			const S3Object *obj = &page->objects[o++];

			e[i].key = pstrdup(obj->key);
			e[i].size = obj->size;
			e[i].etag = pstrdup(obj->etag ? obj->etag : "");
			e[i].last_modified = bs_parse_iso8601(obj->last_modified,
												  &e[i].have_last_modified);
		}
		i++;
	}
	*entries = e;
	*done = !page->is_truncated;
	*token_out = page->is_truncated ? pstrdup(page->next_token) : NULL;
	/* a server that hands back the same token would loop forever */
	if (page->is_truncated && token_in && strcmp(token_in, page->next_token) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("S3 listing does not advance"),
				 errdetail("The server returned the continuation token it was given.")));
	return n;
}

/*
 * bs_s3_list_page
 *		Fetch the page after token_in (NULL: the first). Entries and
 *		*token_out are palloc'd in the current context; *done when it was the
 *		last page.
 */
int
bs_s3_list_page(const S3Endpoint *ep, const BlockstoreAddress *prefix,
				const char *delimiter, int page_size,
				const char *token_in, char **token_out,
				bool *done, BlockstoreEntry **entries)
{
	S3ListPage page;
	volatile int n = 0;

	memset(&page, 0, sizeof(page));
	s3_list_objects_page(ep, prefix->bucket, prefix->key, delimiter, token_in,
						 page_size, &page);
	PG_TRY();
	{
		n = copy_page(&page, token_in, token_out, done, entries);
	}
	PG_FINALLY();
	{
		s3_list_page_free(&page);
	}
	PG_END_TRY();
	return n;
}
