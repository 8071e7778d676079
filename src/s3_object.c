/*-------------------------------------------------------------------------
 *
 * s3_object.c
 *		S3 object operations on s3_client.c's transport: GET (verified
 *		against Content-Length, Content-Range, the caller's size and a
 *		plain-MD5 ETag), HEAD, PUT, DELETE, DeleteObjects, CreateBucket,
 *		ListObjectsV2 pages and SigV4 presigned URLs.
 *
 * Every function may throw (see s3_client.h); results are palloc'd in the
 * caller's context.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "common/base64.h"
#include "common/md5.h"
#include "utils/timestamp.h"

#include "s3_client_int.h"
#include "s3_xml.h"

/* Parse "bytes FIRST-LAST/TOTAL" (TOTAL may be "*": -1); false if malformed. */
static bool
parse_content_range(const char *s, int64 *first, int64 *last, int64 *total)
{
	long long	a,
				b,
				t = -1;
	int			n = 0;

	if (sscanf(s, "bytes %lld-%lld/%n", &a, &b, &n) != 2 || n == 0)
		return false;
	s += n;
	if (strcmp(s, "*") != 0)
	{
		char		tail;

		if (sscanf(s, "%lld%c", &t, &tail) != 1 || t < 0)
			return false;
	}
	/* b < LLONG_MAX: b - a + 1 (the reply's length) must not overflow */
	if (a < 0 || b < a || b == LLONG_MAX || (t >= 0 && b >= t))
		return false;
	*first = a;
	*last = b;
	*total = t;
	return true;
}

/* Is etag a plain MD5 (32 hex digits), as S3 gives a single-PUT object? */
static bool
etag_is_md5(const char *etag)
{
	if (strlen(etag) != 32)
		return false;
	for (int i = 0; i < 32; i++)
		if (!isxdigit((unsigned char) etag[i]))
			return false;
	return true;
}

/* Raise a GET reply whose body does not match what it should carry. */
static void
s3_raise_short(const S3Endpoint *ep, const char *what, size_t got, int64 want)
{
	s3_forget_connections();
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("S3 server \"%s\" sent %s body than expected", ep->server_name,
					(int64) got < want ? "a shorter" : "a longer"),
			 errdetail("The reply carries %zu bytes; %s says " INT64_FORMAT ".",
					   got, what, want)));
}

/*
 * check_md5
 *		When the reply holds the whole object and its ETag is a plain MD5
 *		(no "-N" multipart suffix, no SSE-KMS or SSE-C, whose ETags are no
 *		MD5 of the bytes), the bytes must hash to it: ERRCODE_DATA_CORRUPTED.
 */
static void
check_md5(const S3Endpoint *ep, const XferState *st, const char *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char		hex[2 * EVP_MAX_MD_SIZE + 1];

	if (!etag_is_md5(st->etag) || st->sse_customer ||
		pg_strncasecmp(st->sse, "aws:kms", 7) == 0)
		return;
	if (EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL) != 1 || mdlen != 16)
		return;					/* no MD5 here (FIPS mode): nothing to check */
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (pg_strcasecmp(hex, st->etag) != 0)
	{
		s3_forget_connections();
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("object read from S3 server \"%s\" does not match its checksum",
						ep->server_name),
				 errdetail("The MD5 of the %zu bytes received is %s; the ETag says %s.",
						   len, hex, st->etag)));
	}
}

/*
 * s3_get_object
 *		GET bucket/key, the bytes [offset, offset+length) or to the end when
 *		length < 0. A range starting at or beyond the end gives an empty
 *		bytea. object_size is the size the caller knows the object to have
 *		(its catalog entry), -1 when unknown. Result palloc'd in the current
 *		context. Throws.
 *
 *		The reply is verified, never silently truncated: a body that differs
 *		from the reply's own Content-Length or Content-Range, from the range
 *		asked for, or from object_size is ERRCODE_PROTOCOL_VIOLATION; an
 *		object whose declared size differs from object_size, or whose bytes
 *		(read whole) do not hash to its plain-MD5 ETag, is
 *		ERRCODE_DATA_CORRUPTED.
 */
bytea *
s3_get_object(const S3Endpoint *ep, const char *bucket, const char *key,
			  int64 offset, int64 length, int64 object_size)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;
	char		range[64] = "";
	bytea	   *result;
	int64		total = -1;		/* object size the reply declares */
	bool		whole = false;	/* the reply holds the whole object */
	int64		expect;

	if (length == 0)
	{
		result = palloc(VARHDRSZ);
		SET_VARSIZE(result, VARHDRSZ);
		return result;
	}
	s3_call_init(&call, "GET object", "GET", bucket, key);
	if (offset > 0 || length > 0)
	{
		/* a range reaching past INT64_MAX reaches past any object: open-ended */
		if (length > 0 && length <= PG_INT64_MAX - offset)
			snprintf(range, sizeof(range), "bytes=" INT64_FORMAT "-" INT64_FORMAT,
					 offset, offset + length - 1);
		else
			snprintf(range, sizeof(range), "bytes=" INT64_FORMAT "-", offset);
		s3_call_header(&call, "range", range);
		call.range_416_empty = true;
	}
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);

	if (st.content_length >= 0 && st.status != 416 && (int64) st.len != st.content_length)
		s3_raise_short(ep, "its Content-Length", st.len, st.content_length);
	if (st.status == 416)
		st.len = 0;
	else if (st.status == 206)
	{
		int64		first,
					last;

		if (!parse_content_range(st.content_range, &first, &last, &total) ||
			first != offset || (length > 0 && last - first + 1 > length))
		{
			s3_forget_connections();
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("malformed reply from S3 server \"%s\"", ep->server_name),
					 errdetail("A partial reply to Range \"%s\" came with Content-Range \"%s\".",
							   range, st.content_range)));
		}
		if ((int64) st.len != last - first + 1)
			s3_raise_short(ep, "its Content-Range", st.len, last - first + 1);
		/* with the object's size known, the range asked for is known too */
		if (total >= 0)
		{
			expect = total - offset;
			if (length > 0 && length < expect)
				expect = length;
			if ((int64) st.len != expect)
				s3_raise_short(ep, "the range asked for", st.len, expect);
		}
		whole = offset == 0 && total == (int64) st.len;
	}
	else
	{
		/* 200: the whole object, also when the server ignored Range */
		total = st.content_length;
		whole = true;
		if (object_size >= 0 && total < 0 && (int64) st.len != object_size)
			s3_raise_short(ep, "the catalog entry's size", st.len, object_size);
	}

	/* a reply that declares another size than the catalog's: the object changed */
	if (object_size >= 0 && total >= 0 && total != object_size)
	{
		s3_forget_connections();
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("object on S3 server \"%s\" does not match its catalog entry",
						ep->server_name),
				 errdetail("The server holds " INT64_FORMAT " bytes; the entry records "
						   INT64_FORMAT ".", total, object_size)));
	}
	if (whole)
		check_md5(ep, &st, st.buf ? st.buf + VARHDRSZ : "", st.len);

	if (st.status != 206 && st.status != 416 && call.range_416_empty && st.buf != NULL)
	{
		/* the server ignored Range and sent it all: cut the range out */
		size_t		from = (uint64) offset < st.len ? (size_t) offset : st.len;
		size_t		n = st.len - from;

		if (length > 0 && (uint64) length < n)
			n = (size_t) length;
		memmove(st.buf + VARHDRSZ, st.buf + VARHDRSZ + from, n);
		st.len = n;
	}
	if (object_size >= 0)
	{
		expect = offset >= object_size ? 0 : object_size - offset;
		if (length > 0 && length < expect)
			expect = length;
		if ((int64) st.len != expect)
			s3_raise_short(ep, "the catalog entry's size", st.len, expect);
	}
	S3_POP_CONTEXT(errcb);

	if (st.buf == NULL)
		st.buf = palloc(VARHDRSZ);
	result = (bytea *) st.buf;
	SET_VARSIZE(result, VARHDRSZ + st.len);
	return result;
}

/* Parse an HTTP date (RFC 1123) into a timestamptz; false if it is not one. */
static bool
http_date(const char *s, TimestampTz *out)
{
	time_t		t;

	if (s == NULL || s[0] == '\0')
		return false;
	t = curl_getdate(s, NULL);
	if (t == (time_t) -1)
		return false;
	*out = time_t_to_timestamptz((pg_time_t) t);
	return true;
}

/*
 * s3_head_object
 *		HEAD bucket/key into *info (etag palloc'd). Throws; a missing object
 *		is ERRCODE_UNDEFINED_OBJECT.
 */
void
s3_head_object(const S3Endpoint *ep, const char *bucket, const char *key,
			   S3ObjectInfo *info)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;

	s3_call_init(&call, "HEAD object", "HEAD", bucket, key);
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);
	if (st.content_length < 0)
		s3_raise_malformed(ep, "HEAD reply", "no Content-Length header");
	if (st.etag[0] == '\0')
		s3_raise_malformed(ep, "HEAD reply", "no ETag header");
	S3_POP_CONTEXT(errcb);
	s3_xfer_free(&st);

	info->size = st.content_length;
	info->etag = pstrdup(st.etag);
	info->have_last_modified = http_date(st.last_modified, &info->last_modified);
}

/*
 * s3_put_object
 *		Single PUT of len bytes; returns the ETag (palloc'd, no quotes).
 *		x-amz-content-sha256 is the body's real hash. Throws.
 */
char *
s3_put_object(const S3Endpoint *ep, const char *bucket, const char *key,
			  const char *data, size_t len, const char *content_type)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;

	s3_call_init(&call, "PUT object", "PUT", bucket, key);
	call.body = data;
	call.body_len = len;
	call.content_type = content_type;
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);
	/* the ETag becomes the entry's checksum: without one nothing is staged */
	if (st.etag[0] == '\0')
		s3_raise_malformed(ep, "PutObject reply", "no ETag header");
	S3_POP_CONTEXT(errcb);
	s3_xfer_free(&st);
	return pstrdup(st.etag);
}

/*
 * s3_delete_object
 *		DELETE bucket/key (S3 answers 204 also when it did not exist). Throws.
 */
void
s3_delete_object(const S3Endpoint *ep, const char *bucket, const char *key)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;

	s3_call_init(&call, "DELETE object", "DELETE", bucket, key);
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);
	S3_POP_CONTEXT(errcb);
	s3_xfer_free(&st);
}

/* Base64 of the MD5 of a buffer (Content-MD5), palloc'd. */
static char *
content_md5(const char *data, size_t len)
{
	uint8		digest[16];
	const char *errstr = NULL;
	char	   *out = palloc(pg_b64_enc_len(16) + 1);
	int			n;

	if (!pg_md5_binary(data, len, digest, &errstr))
		elog(ERROR, "could not compute MD5: %s", errstr ? errstr : "unknown");
	n = pg_b64_encode((const char *) digest, 16, out, pg_b64_enc_len(16));
	out[n] = '\0';
	return out;
}

/*
 * s3_delete_objects
 *		Multi-object delete (Quiet) of up to 1000 keys of one bucket. Throws
 *		if the reply lists any per-key error.
 */
void
s3_delete_objects(const S3Endpoint *ep, const char *bucket,
				  char *const *keys, int nkeys)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;
	StrBuf		body;
	char	   *pbody;
	char		reason[256];
	int			nerrors = 0;

	if (nkeys <= 0)
		return;
	if (nkeys > 1000)
		elog(ERROR, "s3_delete_objects: %d keys in one request", nkeys);
	sb_init(&body);
	s3_build_delete_objects(&body, keys, nkeys);
	pbody = pnstrdup(body.data, body.len);
	sb_free(&body);

	s3_call_init(&call, "DELETE objects in", "POST", bucket, NULL);
	s3_call_query(&call, "delete", "");
	call.body = pbody;
	call.body_len = strlen(pbody);
	call.content_type = "application/xml";
	s3_call_header(&call, "content-md5", content_md5(pbody, call.body_len));
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);
	if (s3_parse_delete_result(s3_xfer_text(&st), st.len, &nerrors,
							   reason, sizeof(reason)) != 0)
		s3_raise_malformed(ep, "DeleteResult", reason);
	if (nerrors > 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("S3 server could not delete %d of %d objects", nerrors, nkeys),
				 errdetail("First failure: %s.", reason)));
	S3_POP_CONTEXT(errcb);
	s3_xfer_free(&st);
	pfree(pbody);
}

/*
 * s3_create_bucket
 *		PUT bucket (a test and demo convenience), with a LocationConstraint
 *		outside us-east-1. Throws; an existing bucket of another owner is
 *		ERRCODE_DUPLICATE_OBJECT (S3 lets the owner create it again).
 */
void
s3_create_bucket(const S3Endpoint *ep, const char *bucket)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;

	s3_call_init(&call, "CREATE bucket", "PUT", bucket, NULL);
	if (strcmp(ep->region, "us-east-1") != 0)
	{
		/* outside us-east-1, AWS wants the region named in the body */
		call.body = psprintf("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
							 "<LocationConstraint>%s</LocationConstraint>"
							 "</CreateBucketConfiguration>", ep->region);
		call.body_len = strlen(call.body);
		call.content_type = "application/xml";
	}
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);
	S3_POP_CONTEXT(errcb);
	s3_xfer_free(&st);
}

/*
 * s3_list_objects_page
 *		One ListObjectsV2 page (encoding-type=url, so keys come back decoded).
 *		*page is filled by s3_xml (lk_alloc memory): the caller releases it
 *		with s3_list_page_free. Throws; a malformed reply is
 *		ERRCODE_PROTOCOL_VIOLATION.
 */
void
s3_list_objects_page(const S3Endpoint *ep, const char *bucket,
					 const char *prefix, const char *delimiter,
					 const char *continuation, int max_keys, S3ListPage *page)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;
	char		maxkeys[16];
	char		reason[256];

	s3_call_init(&call, "LIST objects in", "GET", bucket, NULL);
	s3_call_query(&call, "list-type", "2");
	s3_call_query(&call, "encoding-type", "url");
	snprintf(maxkeys, sizeof(maxkeys), "%d", max_keys);
	s3_call_query(&call, "max-keys", maxkeys);
	if (prefix && prefix[0])
		s3_call_query(&call, "prefix", prefix);
	if (delimiter && delimiter[0])
		s3_call_query(&call, "delimiter", delimiter);
	if (continuation)
		s3_call_query(&call, "continuation-token", continuation);
	memset(&st, 0, sizeof(st));
	memset(page, 0, sizeof(*page));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);
	if (s3_parse_list_page(s3_xfer_text(&st), st.len, page, reason, sizeof(reason)) != 0)
	{
		s3_list_page_free(page);
		s3_raise_malformed(ep, "ListObjectsV2 reply", reason);
	}
	if (page->is_truncated && (page->next_token == NULL || page->next_token[0] == '\0'))
	{
		s3_list_page_free(page);
		s3_raise_malformed(ep, "ListObjectsV2 reply",
						   "truncated listing without a continuation token");
	}
	S3_POP_CONTEXT(errcb);
	s3_xfer_free(&st);
}

/*
 * s3_presign_url
 *		A presigned URL for method on bucket/key valid expires_seconds from
 *		when. No network. Result palloc'd.
 */
char *
s3_presign_url(const S3Endpoint *ep, const char *method, const char *bucket,
			   const char *key, int expires_seconds, pg_time_t when)
{
	S3SignRequest req;
	S3Credentials cred;
	StrBuf		query;
	StringInfoData url;
	char	   *host;
	char	   *path;

	s3_target(ep, bucket, key, &host, &path);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.host = host;
	req.path = path;
	req.payload_hash = S3_UNSIGNED_PAYLOAD;
	req.region = ep->region;
	req.service = "s3";
	req.when = (time_t) when;
	cred.access_key_id = ep->access_key_id;
	cred.secret_access_key = ep->secret_access_key;
	cred.session_token = ep->session_token;

	sb_init(&query);
	s3_presign_query(&query, &req, &cred, expires_seconds);
	initStringInfo(&url);
	appendStringInfo(&url, "%s://%s", ep->scheme, host);
	s3_append_encoded(&url, path, true);
	appendStringInfo(&url, "?%s", query.data);
	sb_free(&query);
	return url.data;
}
