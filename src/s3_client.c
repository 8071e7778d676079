/*-------------------------------------------------------------------------
 *
 * s3_client.c
 *		The S3 HTTP layer's transport: signed requests on libcurl, retries,
 *		errors. The operations built on it are in s3_object.c (GET, HEAD,
 *		PUT, DELETE, listing, presigning) and s3_multipart.c (multipart
 *		uploads); s3_client_int.h is what the three share.
 *
 * Design
 * ------
 * One curl easy handle is cached for the backend's life so connections are
 * kept alive; curl_easy_reset() clears its options before every request (it
 * keeps the connection and DNS caches). libcurl stays on malloc.
 *
 * s3_perform() runs one logical request: it signs it afresh for every attempt
 * (a retry gets a new date), performs it, and retries with exponential
 * backoff and jitter on connection errors, timeouts, 5xx, 429 and SlowDown,
 * at most ep->max_retries times. Everything that can throw happens in our
 * own frame, never inside a curl callback: the callbacks only record (an
 * allocation failure, an oversize body) and return an error code to curl.
 *
 * Memory: the response body is collected in a palloc'd buffer of the
 * caller's context (allocated with MCXT_ALLOC_NO_OOM inside the callback,
 * so no longjmp crosses libcurl), with VARHDRSZ bytes reserved in front so a
 * GET returns it as a bytea without a copy. The curl header list is malloc'd
 * and freed in a PG_FINALLY block; S3 error replies parsed by s3_xml are
 * copied to palloc'd strings and freed before the ereport.
 *
 * Cancellation: the progress callback (called by libcurl at least once a
 * second, also while idle) returns non-zero when QueryCancelPending or
 * ProcDiePending; after curl has unwound, CHECK_FOR_INTERRUPTS() raises the
 * cancel. The backoff sleep waits on the latch and is interruptible too.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"


#include <curl/curl.h>

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "s3_client_int.h"
#include "s3_xml.h"

/* GUC defaults of the server options. */
int			lakefs_connect_timeout_ms = 10000;
int			lakefs_request_timeout_ms = 300000;
int			lakefs_max_retries = 3;

#define S3_BACKOFF_BASE_MS	100
#define S3_BACKOFF_CAP_MS	5000
#define S3_ERROR_BODY_MAX	(64 * 1024)

/* The cached easy handle (malloc'd by libcurl; lives as long as the backend). */
static CURL *cached_curl = NULL;


/*
 * s3_client_init
 *		Initialise libcurl once per process and define the client GUCs.
 *		Called from _PG_init; throws if libcurl cannot be initialised.
 */
void
s3_client_init(void)
{
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		elog(ERROR, "could not initialize libcurl");

	DefineCustomIntVariable("pg_lakefs.connect_timeout",
							"Default time limit for connecting to an S3 server.",
							"Used when the foreign server sets no connect_timeout.",
							&lakefs_connect_timeout_ms, 10000, 1, 3600 * 1000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_lakefs.request_timeout",
							"Default time limit for one S3 request, 0 for none.",
							"Used when the foreign server sets no request_timeout.",
							&lakefs_request_timeout_ms, 300000, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_lakefs.max_retries",
							"Default number of retries of a failed S3 request.",
							"Used when the foreign server sets no max_retries.",
							&lakefs_max_retries, 3, 0, 100,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------------
 * curl callbacks: record, never throw
 * ---------------------------------------------------------------------
 */

/* Grow st->buf to hold at least need body bytes; false on failure. */
static bool
xfer_reserve(XferState *st, size_t need)
{
	size_t		want;
	char	   *p;

	if (need > MaxAllocSize - VARHDRSZ)
	{
		st->too_large = true;
		return false;
	}
	if (st->buf != NULL && need + VARHDRSZ <= st->cap)
		return true;
	want = Max(st->cap * 2, need + VARHDRSZ);
	want = Max(want, 8192);
	if (want > MaxAllocSize)
		want = MaxAllocSize;
	if (st->buf == NULL)
		p = MemoryContextAllocExtended(st->cxt, want, MCXT_ALLOC_NO_OOM);
	else
		p = repalloc_extended(st->buf, want, MCXT_ALLOC_NO_OOM);
	if (p == NULL)
	{
		st->oom = true;
		return false;
	}
	st->buf = p;
	st->cap = want;
	return true;
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	XferState  *st = (XferState *) arg;
	size_t		n = size * nmemb;

	/* An error reply is kept only as far as an error document goes. */
	if (st->status >= 300 && st->len + n > S3_ERROR_BODY_MAX)
		n = st->len < S3_ERROR_BODY_MAX ? S3_ERROR_BODY_MAX - st->len : 0;
	if (n > 0)
	{
		if (!xfer_reserve(st, st->len + n))
			return 0;			/* CURLE_WRITE_ERROR */
		memcpy(st->buf + VARHDRSZ + st->len, ptr, n);
		st->len += n;
	}
	return size * nmemb;
}

static size_t
read_cb(char *out, size_t size, size_t nmemb, void *arg)
{
	XferState  *st = (XferState *) arg;
	size_t		left = st->call->body_len - st->body_pos;
	size_t		n = Min(left, size * nmemb);

	if (n > 0)
		memcpy(out, st->call->body + st->body_pos, n);
	st->body_pos += n;
	return n;
}

/*
 * Rewind the upload: libcurl calls this before it re-sends a request on a
 * fresh connection, e.g. when a kept-alive connection the server had closed
 * died under the request. The body is in memory, so any offset can be had.
 */
static int
seek_cb(void *arg, curl_off_t offset, int origin)
{
	XferState  *st = (XferState *) arg;

	if (origin != SEEK_SET || offset < 0 || (uint64) offset > st->call->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	st->body_pos = (size_t) offset;
	return CURL_SEEKFUNC_OK;
}

/* Copy a header value (trimmed, quotes kept) into dst. */
static void
header_value(char *dst, size_t dstlen, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* A Content-Length value: decimal digits only, no overflow; -1 otherwise. */
static int64
parse_content_length(const char *s)
{
	int64		v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++)
	{
		if (*s < '0' || *s > '9' || v > (PG_INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static size_t
header_cb(char *line, size_t size, size_t nitems, void *arg)
{
	XferState  *st = (XferState *) arg;
	size_t		n = size * nitems;
	const char *colon = memchr(line, ':', n);
	size_t		nlen;

	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0)
	{
		/* a new response (e.g. after 100 Continue): forget the last one */
		const char *sp = memchr(line, ' ', n);

		st->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		st->content_length = -1;
		st->content_length_bad = st->sse_customer = false;
		st->etag[0] = st->last_modified[0] = st->request_id[0] = '\0';
		st->content_range[0] = st->sse[0] = '\0';
		return n;
	}
	if (colon == NULL)
		return n;
	nlen = colon - line;
	colon++;
#define HDR_IS(name) (nlen == strlen(name) && pg_strncasecmp(line, name, nlen) == 0)
	if (HDR_IS("etag"))
	{
		char		tmp[sizeof(st->etag)];
		size_t		l;

		header_value(tmp, sizeof(tmp), colon, n - nlen - 1);
		l = strlen(tmp);
		if (l >= 2 && tmp[0] == '"' && tmp[l - 1] == '"')
		{
			memcpy(st->etag, tmp + 1, l - 2);
			st->etag[l - 2] = '\0';
		}
		else
			strlcpy(st->etag, tmp, sizeof(st->etag));
	}
	else if (HDR_IS("last-modified"))
		header_value(st->last_modified, sizeof(st->last_modified), colon, n - nlen - 1);
	else if (HDR_IS("x-amz-request-id"))
		header_value(st->request_id, sizeof(st->request_id), colon, n - nlen - 1);
	else if (HDR_IS("content-length"))
	{
		char		tmp[32];

		header_value(tmp, sizeof(tmp), colon, n - nlen - 1);
		st->content_length = parse_content_length(tmp);
		st->content_length_bad = st->content_length < 0;
		/* size the body buffer once for a successful GET */
		if (st->status >= 200 && st->status < 300 && st->content_length > 0 &&
			strcmp(st->call->method, "GET") == 0)
		{
			if ((uint64) st->content_length > MaxAllocSize - VARHDRSZ)
				st->too_large = true;
			else
				(void) xfer_reserve(st, (size_t) st->content_length);
		}
	}
	else if (HDR_IS("content-range"))
		header_value(st->content_range, sizeof(st->content_range), colon, n - nlen - 1);
	else if (HDR_IS("x-amz-server-side-encryption"))
		header_value(st->sse, sizeof(st->sse), colon, n - nlen - 1);
	else if (HDR_IS("x-amz-server-side-encryption-customer-algorithm"))
		st->sse_customer = true;
#undef HDR_IS
	return n;
}

static int
progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
			curl_off_t ultotal, curl_off_t ulnow)
{
	XferState  *st = (XferState *) arg;

	if (QueryCancelPending || ProcDiePending)
	{
		st->cancelled = true;
		return 1;
	}
	if (st->too_large)
		return 1;
	return 0;
}

/* ---------------------------------------------------------------------
 * building and performing requests
 * ---------------------------------------------------------------------
 */

void
s3_call_init(S3Call *call, const char *op, const char *method,
			 const char *bucket, const char *key)
{
	memset(call, 0, sizeof(*call));
	call->op = op;
	call->method = method;
	call->bucket = bucket;
	call->key = key;
}

void
s3_call_query(S3Call *call, const char *name, const char *value)
{
	Assert(call->nquery < S3_MAX_QUERY);
	call->query[call->nquery].name = name;
	call->query[call->nquery].value = value ? value : "";
	call->nquery++;
}

void
s3_call_header(S3Call *call, const char *name, const char *value)
{
	Assert(call->nextra < S3_MAX_EXTRA);
	call->extra[call->nextra].name = name;
	call->extra[call->nextra].value = value;
	call->nextra++;
}

/* Append s URI-encoded to a StringInfo. */
void
s3_append_encoded(StringInfo out, const char *s, bool keep_slash)
{
	StrBuf		sb;

	sb_init(&sb);
	s3_uri_encode(&sb, s, strlen(s), keep_slash);
	appendBinaryStringInfo(out, sb.data, sb.len);
	sb_free(&sb);
}

/*
 * s3_target
 *		The Host header value and raw path of a call (path or virtual style).
 *		Both palloc'd.
 */
void
s3_target(const S3Endpoint *ep, const char *bucket, const char *key,
		  char **host, char **path)
{
	StringInfoData p;

	initStringInfo(&p);
	if (bucket != NULL && ep->virtual_style)
		*host = psprintf("%s.%s", bucket, ep->host);
	else
	{
		*host = pstrdup(ep->host);
		if (bucket != NULL)
			appendStringInfo(&p, "/%s", bucket);
	}
	if (key != NULL)
		appendStringInfo(&p, "/%s", key);
	else if (p.len == 0 || (bucket != NULL && !ep->virtual_style))
		appendStringInfoChar(&p, '/');
	*path = p.data;
}

/* The request URL: scheme://host + encoded path + encoded query. */
static char *
s3_url(const S3Endpoint *ep, const char *host, const char *path,
	   const S3KeyValue *query, int nquery)
{
	StringInfoData u;

	initStringInfo(&u);
	appendStringInfo(&u, "%s://%s", ep->scheme, host);
	s3_append_encoded(&u, path, true);
	for (int i = 0; i < nquery; i++)
	{
		appendStringInfoChar(&u, i == 0 ? '?' : '&');
		s3_append_encoded(&u, query[i].name, false);
		appendStringInfoChar(&u, '=');
		s3_append_encoded(&u, query[i].value, false);
	}
	return u.data;
}

/* curl_slist_append that reports failure instead of losing the list. */
static bool
slist_add(struct curl_slist **list, const char *line)
{
	struct curl_slist *n = curl_slist_append(*list, line);

	if (n == NULL)
		return false;
	*list = n;
	return true;
}

/*
 * s3_header_value_ok
 *		False when value[0..len) holds a CR, LF or NUL: in an HTTP header
 *		such a byte ends the header and lets the rest pass for headers of its
 *		own (header injection). Never throws.
 */
bool
s3_header_value_ok(const char *value, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (value[i] == '\r' || value[i] == '\n' || value[i] == '\0')
			return false;
	return true;
}

/*
 * s3_check_header_value
 *		Throw ERRCODE_INVALID_PARAMETER_VALUE when value (a C string) cannot
 *		be sent in an HTTP header. what names the value in the message
 *		("content type", "option \"session_token\""); the value itself is
 *		never printed, since it may be a secret.
 */
void
s3_check_header_value(const char *what, const char *value)
{
	if (value != NULL && !s3_header_value_ok(value, strlen(value)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not contain carriage return, line feed or NUL characters",
						what),
				 errdetail("The value is sent in an HTTP header, which such a character "
						   "would end.")));
}

/* Where the value of a request header comes from, for the message. */
static const char *
header_origin(const S3Endpoint *ep, const char *name)
{
	if (pg_strcasecmp(name, "content-type") == 0)
		return "content type";
	if (pg_strcasecmp(name, "x-amz-security-token") == 0)
		return psprintf("option \"session_token\" of the user mapping for server \"%s\"",
						ep->server_name);
	if (pg_strcasecmp(name, "authorization") == 0)
		return psprintf("option \"access_key_id\" of the user mapping for server \"%s\"",
						ep->server_name);
	if (pg_strcasecmp(name, "host") == 0)
		return "bucket name";
	return psprintf("HTTP header \"%s\"", name);
}

/*
 * s3_perform_once
 *		Sign and perform one attempt. Returns the curl result; fills st and
 *		errbuf. Frees its header list on every path (may throw on OOM).
 */
static CURLcode
s3_perform_once(const S3Endpoint *ep, const S3Call *call, XferState *st,
				char *errbuf)
{
	CURL	   *curl;
	struct curl_slist *volatile headers = NULL;
	S3SignRequest req;
	S3Credentials cred;
	S3SignedHeaders sh;
	char		payload_hash[65];
	char	   *host;
	char	   *path;
	char	   *url;
	volatile CURLcode rc = CURLE_OK;
	bool		ok = true;

	s3_target(ep, call->bucket, call->key, &host, &path);
	url = s3_url(ep, host, path, call->query, call->nquery);

	if (call->body_len > 0 || strcmp(call->method, "PUT") == 0 ||
		strcmp(call->method, "POST") == 0)
		s3_sha256_hex(payload_hash, call->body ? call->body : "", call->body_len);
	else
		strlcpy(payload_hash, S3_EMPTY_SHA256, sizeof(payload_hash));

	memset(&req, 0, sizeof(req));
	req.method = call->method;
	req.host = host;
	req.path = path;
	req.query = call->query;
	req.nquery = call->nquery;
	req.headers = call->extra;
	req.nheaders = call->nextra;
	req.payload_hash = payload_hash;
	req.region = ep->region;
	req.service = "s3";
	req.when = time(NULL);
	cred.access_key_id = ep->access_key_id;
	cred.secret_access_key = ep->secret_access_key;
	cred.session_token = ep->session_token;

	if (cached_curl == NULL)
	{
		cached_curl = curl_easy_init();
		if (cached_curl == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not create a libcurl handle")));
	}
	else
		curl_easy_reset(cached_curl);
	curl = cached_curl;

	PG_TRY();
	{
		S3KeyValue	hdr[1 + S3_MAX_SIGNED_HEADERS + S3_MAX_EXTRA + 1];
		int			nhdr = 0;

		/* every header of the request, collected in palloc'd memory */
		hdr[nhdr].name = "Host";
		hdr[nhdr++].value = host;
		s3_sign_headers(&sh, &req, &cred);
		for (int i = 0; i < sh.n; i++)
		{
			hdr[nhdr].name = pstrdup(sh.name[i].data);
			hdr[nhdr++].value = pstrdup(sh.value[i].data);
		}
		s3_signed_headers_free(&sh);
		for (int i = 0; i < call->nextra; i++)
			hdr[nhdr++] = call->extra[i];
		if (call->content_type)
		{
			hdr[nhdr].name = "Content-Type";
			hdr[nhdr++].value = call->content_type;
		}
		/* the one gate of header values: nothing unchecked reaches the wire */
		for (int i = 0; i < nhdr; i++)
			if (!s3_header_value_ok(hdr[i].value, strlen(hdr[i].value)))
				s3_check_header_value(header_origin(ep, hdr[i].name), hdr[i].value);
		for (int i = 0; ok && i < nhdr; i++)
			ok = slist_add((struct curl_slist **) &headers,
						   psprintf("%s: %s", hdr[i].name, hdr[i].value));
		if (ok)
			ok = slist_add((struct curl_slist **) &headers, "Expect:");
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory building an S3 request")));

		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long) ep->connect_timeout_ms);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long) ep->request_timeout_ms);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, st);
		curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_cb);
		curl_easy_setopt(curl, CURLOPT_HEADERDATA, st);
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress_cb);
		curl_easy_setopt(curl, CURLOPT_XFERINFODATA, st);
		curl_easy_setopt(curl, CURLOPT_USERAGENT, "pg_lakefs/0.1");
		curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 256L * 1024);

		if (strcmp(call->method, "HEAD") == 0)
			curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
		else if (strcmp(call->method, "PUT") == 0 || strcmp(call->method, "POST") == 0)
		{
			curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call->method);
			curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
			curl_easy_setopt(curl, CURLOPT_READDATA, st);
			curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, seek_cb);
			curl_easy_setopt(curl, CURLOPT_SEEKDATA, st);
			curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) call->body_len);
		}
		else if (strcmp(call->method, "GET") != 0)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call->method);

		errbuf[0] = '\0';
		rc = curl_easy_perform(curl);
		if (rc == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &st->status);
	}
	PG_FINALLY();
	{
		/* the handle must not keep pointers to what we free */
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
		curl_slist_free_all(headers);
	}
	PG_END_TRY();

	pfree(url);
	pfree(host);
	pfree(path);
	return rc;
}

/*
 * s3_forget_connections
 *		Drop the cached handle and with it every kept-alive connection: after
 *		a reply that broke the protocol (a body longer or shorter than its
 *		length), whatever is left on the connection cannot be trusted to
 *		start the next reply.
 */
void
s3_forget_connections(void)
{
	if (cached_curl != NULL)
		curl_easy_cleanup(cached_curl);
	cached_curl = NULL;
}

/* Is this curl failure worth another attempt? */
static bool
curl_retryable(CURLcode rc)
{
	switch (rc)
	{
		case CURLE_COULDNT_CONNECT:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_SSL_CONNECT_ERROR:
			return true;
		default:
			return false;
	}
}

/* Sleep before attempt+1: exponential backoff with jitter; interruptible. */
static void
s3_backoff(int attempt)
{
	double		cap = Min((double) S3_BACKOFF_CAP_MS,
						  S3_BACKOFF_BASE_MS * (double) (1 << Min(attempt, 16)));
	long		ms = (long) (cap / 2 + pg_prng_double(&pg_global_prng_state) * cap / 2);
	TimestampTz end = GetCurrentTimestamp() + ms * 1000;

	for (;;)
	{
		long		left = (end - GetCurrentTimestamp()) / 1000;

		CHECK_FOR_INTERRUPTS();
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* errcontext callback: which request on which object. */
void
s3_error_context(void *arg)
{
	const S3Call *call = (const S3Call *) arg;

	if (call->key)
		errcontext("%s s3://%s/%s", call->op, call->bucket, call->key);
	else if (call->bucket)
		errcontext("%s s3://%s", call->op, call->bucket);
	else
		errcontext("%s", call->op);
}

/* Map an S3 error code (or, without one, the HTTP status) to an SQLSTATE. */
static int
s3_errcode(const char *code, long status, const char **what)
{
	*what = "S3 request failed";
	if (code == NULL)
		code = "";
	if (strcmp(code, "NoSuchKey") == 0 || (status == 404 && code[0] == '\0'))
		return (*what = "S3 object does not exist", ERRCODE_UNDEFINED_OBJECT);
	if (strcmp(code, "NoSuchBucket") == 0)
		return (*what = "S3 bucket does not exist", ERRCODE_UNDEFINED_OBJECT);
	if (strcmp(code, "NoSuchUpload") == 0)
		return (*what = "S3 multipart upload does not exist", ERRCODE_UNDEFINED_OBJECT);
	if (strcmp(code, "InvalidAccessKeyId") == 0)
		return (*what = "S3 access key is not known to the server",
				ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION);
	if (strcmp(code, "SignatureDoesNotMatch") == 0)
		return (*what = "S3 request signature does not match",
				ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION);
	if (strcmp(code, "AccessDenied") == 0 || status == 403)
		return (*what = "S3 access denied", ERRCODE_INSUFFICIENT_PRIVILEGE);
	if (strcmp(code, "BucketAlreadyExists") == 0 ||
		strcmp(code, "BucketAlreadyOwnedByYou") == 0)
		return (*what = "S3 bucket already exists", ERRCODE_DUPLICATE_OBJECT);
	if (strcmp(code, "InvalidBucketName") == 0)
		return (*what = "invalid S3 bucket name", ERRCODE_INVALID_PARAMETER_VALUE);
	if (strcmp(code, "XAmzContentSHA256Mismatch") == 0 ||
		strcmp(code, "BadDigest") == 0 || strcmp(code, "InvalidDigest") == 0)
		return (*what = "S3 server received corrupted data", ERRCODE_DATA_CORRUPTED);
	if (strcmp(code, "SlowDown") == 0 || status == 429 || status == 503)
		return (*what = "S3 server keeps asking to slow down",
				ERRCODE_CONFIGURATION_LIMIT_EXCEEDED);
	if (strcmp(code, "InvalidRange") == 0 || status == 416)
		return (*what = "requested range is not satisfiable", ERRCODE_INVALID_PARAMETER_VALUE);
	if (status >= 500)
		return (*what = "S3 server error", ERRCODE_CONNECTION_FAILURE);
	return ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
}

/* Raise the error an S3 reply carries; never returns. */
static void
s3_raise_reply(const S3Endpoint *ep, XferState *st, int attempts)
{
	S3ErrorReply err;
	char	   *code = NULL;
	char	   *message = NULL;
	char	   *request_id = st->request_id[0] ? pstrdup(st->request_id) : NULL;
	const char *what;
	int			sqlstate;

	memset(&err, 0, sizeof(err));
	if (st->len > 0 && s3_parse_error(st->buf + VARHDRSZ, st->len, &err) == 0)
	{
		code = err.code ? pstrdup(err.code) : NULL;
		message = err.message && err.message[0] ? pstrdup(err.message) : NULL;
		if (err.request_id && err.request_id[0])
			request_id = pstrdup(err.request_id);
	}
	s3_error_reply_free(&err);

	sqlstate = s3_errcode(code, st->status, &what);
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("%s", what),
			 errdetail("Server \"%s\" answered HTTP %ld%s%s%s%s%s%s%s.",
					   ep->server_name, st->status,
					   code ? ", code " : "", code ? code : "",
					   message ? ", message \"" : "", message ? message : "",
					   message ? "\"" : "",
					   request_id ? ", request id " : "", request_id ? request_id : ""),
			 attempts > 1 ? errhint("Gave up after %d attempts.", attempts) :
			 (sqlstate == ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION ?
			  errhint("Check access_key_id and secret_access_key in the user mapping for server \"%s\".",
					  ep->server_name) : 0)));
}

/*
 * s3_perform
 *		Perform a call with retries. Returns with st->status in 2xx (or a
 *		416 when call->range_416_empty); otherwise throws the mapped error.
 *		st->buf holds the response body in st->cxt.
 */
void
s3_perform(const S3Endpoint *ep, const S3Call *call, XferState *st)
{
	char		errbuf[CURL_ERROR_SIZE];

	for (int attempt = 0;; attempt++)
	{
		CURLcode	rc;
		bool		retry;

		st->cxt = CurrentMemoryContext;
		st->call = call;
		st->body_pos = 0;
		st->len = 0;
		st->oom = st->too_large = st->cancelled = false;
		st->status = 0;
		st->content_length = -1;
		st->content_length_bad = st->sse_customer = false;
		st->etag[0] = st->last_modified[0] = st->request_id[0] = '\0';
		st->content_range[0] = st->sse[0] = '\0';

		rc = s3_perform_once(ep, call, st, errbuf);

		if (st->cancelled || (rc == CURLE_ABORTED_BY_CALLBACK && !st->too_large))
		{
			CHECK_FOR_INTERRUPTS();
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("canceling S3 request due to user request")));
		}
		if (st->oom)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory receiving an S3 reply")));
		if (st->too_large)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("S3 object is too large to return as one value"),
					 errhint("Read it in ranges of less than 1 GB.")));

		if (rc == CURLE_PARTIAL_FILE && attempt >= ep->max_retries)
		{
			/* the body ended before the length the server announced */
			s3_forget_connections();
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("incomplete reply from S3 server \"%s\"", ep->server_name),
					 st->content_length >= 0 ?
					 errdetail("The reply announced a body of " INT64_FORMAT " bytes but "
							   "ended after %zu, after %d attempt%s.",
							   st->content_length, st->len, attempt + 1,
							   attempt == 0 ? "" : "s") :
					 errdetail("%s, after %d attempt%s.",
							   errbuf[0] ? errbuf : curl_easy_strerror(rc),
							   attempt + 1, attempt == 0 ? "" : "s")));
		}
		if (rc != CURLE_OK)
		{
			if (!curl_retryable(rc) || attempt >= ep->max_retries)
				ereport(ERROR,
						(errcode(ERRCODE_CONNECTION_FAILURE),
						 errmsg("could not reach S3 server \"%s\"", ep->server_name),
						 errdetail("%s (%s), after %d attempt%s.",
								   errbuf[0] ? errbuf : curl_easy_strerror(rc),
								   curl_easy_strerror(rc), attempt + 1,
								   attempt == 0 ? "" : "s"),
						 errhint("Check the endpoint of server \"%s\" and that the S3 server is running.",
								 ep->server_name)));
			retry = true;
		}
		else
		{
			if (st->status >= 200 && st->status < 300 && st->content_length_bad)
			{
				s3_forget_connections();
				ereport(ERROR,
						(errcode(ERRCODE_PROTOCOL_VIOLATION),
						 errmsg("malformed reply from S3 server \"%s\"", ep->server_name),
						 errdetail("The Content-Length header is not a number of bytes.")));
			}
			if ((st->status >= 200 && st->status < 300) ||
				(st->status == 416 && call->range_416_empty))
				return;
			retry = st->status >= 500 || st->status == 429;
			if (!retry || attempt >= ep->max_retries)
				s3_raise_reply(ep, st, attempt + 1);
		}
		if (retry)
			s3_backoff(attempt);
	}
}

/* Body as a NUL-terminated C string (in place; st->buf has room). */
char *
s3_xfer_text(XferState *st)
{
	if (!xfer_reserve(st, st->len + 1))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory receiving an S3 reply")));
	st->buf[VARHDRSZ + st->len] = '\0';
	return st->buf + VARHDRSZ;
}

void
s3_xfer_free(XferState *st)
{
	if (st->buf)
		pfree(st->buf);
	st->buf = NULL;
}

/* Raise a malformed-reply error. */
void
s3_raise_malformed(const S3Endpoint *ep, const char *what, const char *reason)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("malformed reply from S3 server \"%s\"", ep->server_name),
			 errdetail("Could not parse the %s: %s.", what, reason)));
}
