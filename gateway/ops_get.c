/*-------------------------------------------------------------------------
 *
 * ops_get.c
 *		S3 HeadObject and GetObject: the entry's attributes from the catalog
 *		(lakefs_stat_object; for a GET lakefs_stat_presigned, which adds a
 *		presigned URL) and its bytes streamed from the object store through
 *		that URL, or a 307 redirect to it (--redirect-get), with Range, If-Match and
 *		If-None-Match, ETag = the entry's checksum and user metadata as
 *		x-amz-meta-* headers.
 *
 * The database connection is held only for the one statement; the bytes
 * flow store -> gateway -> client through store.c's bounded buffer, read as
 * fast as the client takes them.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gw.h"

/* objects up to this size are fetched whole on the request's thread */
#define GW_SMALL_OBJECT (256 * 1024)

typedef struct ObjectInfo
{
	int64_t		size;
	char		etag[200];		/* quoted */
	char		last_modified[64];
	char		content_type[256];
	char	   *metadata;		/* JSON text or NULL; malloc'd */
	char	   *url;			/* presigned GET or NULL; malloc'd */
} ObjectInfo;

/* the entry at r->key; false with *err set */
static bool
stat_object(GwRequest *r, bool presign, ObjectInfo *o, GwError *err)
{
	char	   *ref,
			   *path;
	const char *p[3];
	PGresult   *res;
	bool		ok = false;

	memset(o, 0, sizeof(*o));
	if (!gw_split_key(r->key, &ref, &path) || path[0] == '\0')
	{
		gw_error_set(err, 404, "NoSuchKey", "The specified key does not exist.");
		goto out;
	}
	p[0] = r->bucket;
	p[1] = ref;
	p[2] = path;
	/* a GET resolves the ref and path once, for the entry and its URL */
	res = gw_sql(r, err, presign ?
				 "SELECT e.size, e.checksum, to_char(e.last_modified AT TIME ZONE 'UTC', "
				 "'Dy, DD Mon YYYY HH24:MI:SS \"GMT\"'), e.content_type, e.metadata::text, "
				 "e.physical_address FROM lakefs_stat_presigned($1, $2, $3) e" :
				 "SELECT e.size, e.checksum, to_char(e.last_modified AT TIME ZONE 'UTC', "
				 "'Dy, DD Mon YYYY HH24:MI:SS \"GMT\"'), e.content_type, e.metadata::text, "
				 "NULL FROM lakefs_stat_object($1, $2, $3) e", 3, p);
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		gw_error_set(err, 404, "NoSuchKey", "The specified key does not exist.");
	else
	{
		o->size = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		snprintf(o->etag, sizeof(o->etag), "\"%s\"", PQgetvalue(res, 0, 1));
		snprintf(o->last_modified, sizeof(o->last_modified), "%s", PQgetvalue(res, 0, 2));
		snprintf(o->content_type, sizeof(o->content_type), "%s",
				 PQgetisnull(res, 0, 3) ? "application/octet-stream" : PQgetvalue(res, 0, 3));
		if (!PQgetisnull(res, 0, 4))
			o->metadata = strdup(PQgetvalue(res, 0, 4));
		if (!PQgetisnull(res, 0, 5))
			o->url = strdup(PQgetvalue(res, 0, 5));
		ok = true;
	}
	PQclear(res);
out:
	free(ref);
	free(path);
	return ok;
}

/* the entry's headers on resp */
static void
object_headers(struct MHD_Response *resp, const ObjectInfo *o)
{
	json_t	   *md;
	const char *k;
	json_t	   *v;

	MHD_add_response_header(resp, "ETag", o->etag);
	MHD_add_response_header(resp, "Last-Modified", o->last_modified);
	MHD_add_response_header(resp, "Content-Type", o->content_type);
	MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	if (o->metadata == NULL)
		return;
	md = json_loads(o->metadata, 0, NULL);
	if (md == NULL)
		return;
	json_object_foreach(md, k, v)
	{
		char		name[300];
		char	   *dumped = NULL;

		snprintf(name, sizeof(name), "x-amz-meta-%s", k);
		if (!json_is_string(v))
			dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		MHD_add_response_header(resp, name, dumped ? dumped : json_string_value(v));
		free(dumped);
	}
	json_decref(md);
}

/*
 * parse "bytes=a-b", "bytes=a-" or "bytes=-n" against size; 0 = no usable
 * range (serve everything), 1 = range, -1 = unsatisfiable
 */
static int
parse_range(const char *h, int64_t size, int64_t *off, int64_t *len)
{
	long long	a = -1,
				b = -1;
	char	   *end;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
		return 0;
	h += 6;
	if (*h == '-')
	{
		b = strtoll(h + 1, &end, 10);
		if (*end || h[1] == '\0' || b < 0)
			return 0;
		if (b == 0)
			return -1;
		*off = b >= size ? 0 : size - b;
		*len = size - *off;
		return size == 0 ? -1 : 1;
	}
	a = strtoll(h, &end, 10);
	if (end == h || *end != '-' || a < 0)
		return 0;
	if (end[1] != '\0')
	{
		char	   *e2;

		b = strtoll(end + 1, &e2, 10);
		if (*e2 || b < a)
			return 0;
	}
	if (a >= size)
		return -1;
	if (b < 0 || b >= size)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return 1;
}

static ssize_t
reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	ssize_t		n = gw_store_read(cls, buf, max);

	(void) pos;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n;
}

static void
reader_free(void *cls)
{
	gw_store_free(cls);
}

static ssize_t
no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void) cls;
	(void) pos;
	(void) buf;
	(void) max;
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* a matching If-Match / If-None-Match answers; true when it responded */
static bool
preconditions(GwRequest *r, const ObjectInfo *o)
{
	const char *im = gw_header(r, "If-Match");
	const char *inm = gw_header(r, "If-None-Match");
	GwError		err;

	if (im && strcmp(im, "*") != 0 && !strstr(im, o->etag + 1 /* unquoted ok */ ))
	{
		gw_error_set(&err, 412, "PreconditionFailed",
					 "At least one of the pre-conditions you specified did not hold");
		gw_respond_error(r, &err);
		return true;
	}
	if (inm && (strcmp(inm, "*") == 0 || strstr(inm, o->etag + 1)))
	{
		struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *) "",
																	MHD_RESPMEM_PERSISTENT);

		MHD_add_response_header(resp, "ETag", o->etag);
		gw_respond_response(r, 304, resp);
		return true;
	}
	return false;
}

/* an object of at most GW_SMALL_OBJECT bytes: fetched whole, then sent */
static void
get_small(GwRequest *r, const ObjectInfo *o, int64_t off, int64_t len, int range)
{
	char	   *buf = malloc(len > 0 ? len : 1);
	long		status = 0;
	ssize_t		n = buf ? gw_store_fetch(o->url, off, range ? len : -1, buf, len, &status) : -1;
	struct MHD_Response *resp;
	GwError		err;
	char		cr[128];

	if (n != len || status < 200 || status >= 300)
	{
		free(buf);
		gw_error_set(&err, 502, "InternalError",
					 "The object store did not serve the object's bytes.");
		gw_respond_error(r, &err);
		return;
	}
	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	object_headers(resp, o);
	if (range)
	{
		snprintf(cr, sizeof(cr), "bytes %lld-%lld/%lld", (long long) off,
				 (long long) (off + len - 1), (long long) o->size);
		MHD_add_response_header(resp, "Content-Range", cr);
	}
	r->bytes_out += len;
	gw_respond_response(r, range ? 206 : 200, resp);
}

/*
 * --redirect-get: always, or ask and the request has presign=true (the
 * query parameter of lakeFS's getObject API that asks for a presigned URL)
 */
static bool
wants_redirect(GwRequest *r)
{
	const char *q = gw_query(r, "presign");

	return gw_config.redirect_get == GW_REDIRECT_ALWAYS ||
		(gw_config.redirect_get == GW_REDIRECT_ASK && q && strcmp(q, "true") == 0);
}

/*
 * 307 Temporary Redirect to the presigned store URL (the client sends its
 * Range to the store itself); the entry's headers go along, no body.
 */
static void
redirect(GwRequest *r, const ObjectInfo *o)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *) "",
																MHD_RESPMEM_PERSISTENT);

	object_headers(resp, o);
	MHD_add_response_header(resp, "Location", o->url);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	gw_respond_response(r, 307, resp);
}

/* GetObject and HeadObject */
void
gw_get_object(GwRequest *r, bool head)
{
	ObjectInfo	o;
	GwError		err;
	int64_t		off = 0,
				len = 0;
	int			range;
	struct MHD_Response *resp;
	GwStore    *s;
	long		status;
	char		cr[128];

	if (!stat_object(r, !head, &o, &err))
	{
		gw_respond_error(r, &err);
		goto out;
	}
	if (preconditions(r, &o))
		goto out;
	if (!head && wants_redirect(r))
	{
		redirect(r, &o);
		goto out;
	}
	range = parse_range(gw_header(r, "Range"), o.size, &off, &len);
	if (range < 0)
	{
		gw_error_set(&err, 416, "InvalidRange", "The requested range is not satisfiable");
		gw_respond_error(r, &err);
		goto out;
	}
	if (range == 0)
	{
		off = 0;
		len = o.size;
	}
	if (head || len == 0)
	{
		resp = MHD_create_response_from_callback(head ? (uint64_t) len : 0, 4096,
												 no_body, NULL, NULL);
		object_headers(resp, &o);
		gw_respond_response(r, range ? 206 : 200, resp);
		goto out;
	}
	if (len <= GW_SMALL_OBJECT)
	{
		get_small(r, &o, off, len, range);
		goto out;
	}
	s = gw_store_get(o.url, off, range ? len : -1);
	if (s == NULL || !gw_store_wait_headers(s, &status) || status < 200 || status >= 300)
	{
		gw_store_free(s);
		gw_error_set(&err, 502, "InternalError",
					 "The object store did not serve the object's bytes.");
		gw_respond_error(r, &err);
		goto out;
	}
	resp = MHD_create_response_from_callback((uint64_t) len, 256 * 1024, reader, s, reader_free);
	object_headers(resp, &o);
	if (range)
	{
		snprintf(cr, sizeof(cr), "bytes %lld-%lld/%lld", (long long) off,
				 (long long) (off + len - 1), (long long) o.size);
		MHD_add_response_header(resp, "Content-Range", cr);
	}
	r->bytes_out += len;
	gw_respond_response(r, range ? 206 : 200, resp);
out:
	free(o.metadata);
	free(o.url);
}
