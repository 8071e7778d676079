/*-------------------------------------------------------------------------
 *
 * s3_client.c
 *		The S3 HTTP layer: signed requests on libcurl, retries, errors.
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

#include <ctype.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <time.h>

#include "common/base64.h"
#include "common/md5.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "lk_alloc.h"
#include "s3_client.h"
#include "s3_sign.h"
#include "s3_xml.h"

/* GUC defaults of the server options. */
int			lakefs_connect_timeout_ms = 10000;
int			lakefs_request_timeout_ms = 300000;
int			lakefs_max_retries = 3;

#define S3_BACKOFF_BASE_MS	100
#define S3_BACKOFF_CAP_MS	5000
#define S3_ERROR_BODY_MAX	(64 * 1024)
#define S3_MAX_QUERY		8
#define S3_MAX_EXTRA		4

/* The cached easy handle (malloc'd by libcurl; lives as long as the backend). */
static CURL *cached_curl = NULL;

/* One logical request. */
typedef struct S3Call
{
	const char *method;			/* GET, HEAD, PUT, POST, DELETE */
	const char *bucket;			/* NULL: service level */
	const char *key;			/* NULL: bucket level */
	S3KeyValue	query[S3_MAX_QUERY];
	int			nquery;
	S3KeyValue	extra[S3_MAX_EXTRA];	/* signed and sent: range, content-md5 */
	int			nextra;
	const char *content_type;	/* sent, not signed; NULL for none */
	const char *body;			/* PUT/POST body (may be NULL with len 0) */
	size_t		body_len;
	const char *op;				/* words for errcontext, e.g. "GET object" */
	bool		range_416_empty;	/* a 416 reply means "empty range" */
} S3Call;

/* State shared with the curl callbacks; they never throw. */
typedef struct XferState
{
	MemoryContext cxt;
	size_t		body_pos;		/* upload cursor */
	const S3Call *call;
	char	   *buf;			/* response body, VARHDRSZ reserved in front */
	size_t		len;			/* bytes of body, excluding the reserve */
	size_t		cap;			/* bytes allocated, including the reserve */
	bool		oom;
	bool		too_large;
	bool		cancelled;
	long		status;
	int64		content_length; /* -1 when not sent */
	bool		content_length_bad; /* sent, but not a decimal number */
	char		content_range[128];
	char		sse[64];		/* x-amz-server-side-encryption */
	bool		sse_customer;	/* SSE-C: the ETag is no MD5 */
	char		etag[256];
	char		last_modified[64];
	char		request_id[128];
} XferState;

static void s3_call_init(S3Call *call, const char *op, const char *method,
						 const char *bucket, const char *key);
static void s3_perform(const S3Endpoint *ep, const S3Call *call, XferState *st);

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

static void
s3_call_init(S3Call *call, const char *op, const char *method,
			 const char *bucket, const char *key)
{
	memset(call, 0, sizeof(*call));
	call->op = op;
	call->method = method;
	call->bucket = bucket;
	call->key = key;
}

static void
s3_call_query(S3Call *call, const char *name, const char *value)
{
	Assert(call->nquery < S3_MAX_QUERY);
	call->query[call->nquery].name = name;
	call->query[call->nquery].value = value ? value : "";
	call->nquery++;
}

static void
s3_call_header(S3Call *call, const char *name, const char *value)
{
	Assert(call->nextra < S3_MAX_EXTRA);
	call->extra[call->nextra].name = name;
	call->extra[call->nextra].value = value;
	call->nextra++;
}

/* Append s URI-encoded to a StringInfo. */
static void
append_encoded(StringInfo out, const char *s, bool keep_slash)
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
static void
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
	append_encoded(&u, path, true);
	for (int i = 0; i < nquery; i++)
	{
		appendStringInfoChar(&u, i == 0 ? '?' : '&');
		append_encoded(&u, query[i].name, false);
		appendStringInfoChar(&u, '=');
		append_encoded(&u, query[i].value, false);
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
static void
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
static void
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
static void
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
static char *
xfer_text(XferState *st)
{
	if (!xfer_reserve(st, st->len + 1))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory receiving an S3 reply")));
	st->buf[VARHDRSZ + st->len] = '\0';
	return st->buf + VARHDRSZ;
}

static void
xfer_free(XferState *st)
{
	if (st->buf)
		pfree(st->buf);
	st->buf = NULL;
}

/* Raise a malformed-reply error. */
static void
s3_raise_malformed(const S3Endpoint *ep, const char *what, const char *reason)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("malformed reply from S3 server \"%s\"", ep->server_name),
			 errdetail("Could not parse the %s: %s.", what, reason)));
}

/* ---------------------------------------------------------------------
 * operations
 * ---------------------------------------------------------------------
 */

#define S3_PUSH_CONTEXT(errcb, call) \
	do { \
		(errcb).callback = s3_error_context; \
		(errcb).arg = (void *) &(call); \
		(errcb).previous = error_context_stack; \
		error_context_stack = &(errcb); \
	} while (0)
#define S3_POP_CONTEXT(errcb) (error_context_stack = (errcb).previous)

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
	if (a < 0 || b < a || (t >= 0 && b >= t))
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
		if (length > 0)
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
	xfer_free(&st);

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
	xfer_free(&st);
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
	xfer_free(&st);
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
	if (s3_parse_delete_result(xfer_text(&st), st.len, &nerrors,
							   reason, sizeof(reason)) != 0)
		s3_raise_malformed(ep, "DeleteResult", reason);
	if (nerrors > 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("S3 server could not delete %d of %d objects", nerrors, nkeys),
				 errdetail("First failure: %s.", reason)));
	S3_POP_CONTEXT(errcb);
	xfer_free(&st);
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
	xfer_free(&st);
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
	if (s3_parse_list_page(xfer_text(&st), st.len, page, reason, sizeof(reason)) != 0)
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
	xfer_free(&st);
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
	append_encoded(&url, path, true);
	appendStringInfo(&url, "?%s", query.data);
	sb_free(&query);
	return url.data;
}

/* ---------------------------------------------------------------------
 * multipart upload
 * ---------------------------------------------------------------------
 */

static char *
s3_multipart_initiate(const S3Endpoint *ep, const char *bucket, const char *key,
					  const char *content_type)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;
	char	   *upload_id = NULL;
	char	   *result;
	char		reason[256];

	s3_call_init(&call, "INITIATE multipart upload of", "POST", bucket, key);
	s3_call_query(&call, "uploads", "");
	call.content_type = content_type;
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);
	if (s3_parse_upload_id(xfer_text(&st), st.len, &upload_id, reason, sizeof(reason)) != 0)
		s3_raise_malformed(ep, "InitiateMultipartUploadResult", reason);
	S3_POP_CONTEXT(errcb);
	xfer_free(&st);
	result = pstrdup(upload_id);
	lk_free(upload_id);
	return result;
}

static char *
s3_multipart_part(const S3Endpoint *ep, const char *bucket, const char *key,
				  const char *upload_id, int partno, const char *data, size_t len)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;
	char		num[16];

	snprintf(num, sizeof(num), "%d", partno);
	s3_call_init(&call, "UPLOAD part of", "PUT", bucket, key);
	s3_call_query(&call, "partNumber", num);
	s3_call_query(&call, "uploadId", upload_id);
	call.body = data;
	call.body_len = len;
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);
	S3_POP_CONTEXT(errcb);
	xfer_free(&st);
	if (st.etag[0] == '\0')
		s3_raise_malformed(ep, "UploadPart reply", "no ETag header");
	return pstrdup(st.etag);
}

static void
s3_multipart_complete(const S3Endpoint *ep, const char *bucket, const char *key,
					  const char *upload_id, char **etags, int nparts)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;
	StrBuf		body;
	char	   *pbody;
	char	   *etag = NULL;
	char		reason[256];

	sb_init(&body);
	s3_build_complete_multipart(&body, etags, nparts);
	pbody = pnstrdup(body.data, body.len);
	sb_free(&body);

	s3_call_init(&call, "COMPLETE multipart upload of", "POST", bucket, key);
	s3_call_query(&call, "uploadId", upload_id);
	call.body = pbody;
	call.body_len = strlen(pbody);
	call.content_type = "application/xml";
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);

	/*
	 * S3 may answer 200 with an Error document after a long completion; the
	 * parser reports that as a malformed CompleteMultipartUploadResult.
	 */
	if (s3_parse_complete_multipart(xfer_text(&st), st.len, &etag, reason, sizeof(reason)) != 0)
		s3_raise_malformed(ep, "CompleteMultipartUploadResult", reason);
	lk_free(etag);
	S3_POP_CONTEXT(errcb);
	xfer_free(&st);
	pfree(pbody);
}

static void
s3_multipart_abort(const S3Endpoint *ep, const char *bucket, const char *key,
				   const char *upload_id)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;

	s3_call_init(&call, "ABORT multipart upload of", "DELETE", bucket, key);
	s3_call_query(&call, "uploadId", upload_id);
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);
	S3_POP_CONTEXT(errcb);
	xfer_free(&st);
}

/*
 * s3_put_object_multipart
 *		Upload len bytes in parts of part_size (the last may be smaller) and
 *		complete. On any error the upload is aborted (best effort, the abort's
 *		own failure is swallowed) and the original error re-thrown. Returns
 *		the object's ETag from a HEAD after completion (RGW sends an empty
 *		one in the completion reply), palloc'd.
 */
char *
s3_put_object_multipart(const S3Endpoint *ep, const char *bucket, const char *key,
						const char *data, size_t len, size_t part_size,
						const char *content_type)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	S3Endpoint	abort_ep = *ep;
	char	   *upload_id;
	int			nparts = (int) ((len + part_size - 1) / part_size);
	char	  **etags;
	S3ObjectInfo info;

	if (nparts < 1)
		nparts = 1;
	if (nparts > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("object of %zu bytes needs more than 10000 parts", len),
				 errhint("Raise pg_lakefs.multipart_part_size.")));
	upload_id = s3_multipart_initiate(ep, bucket, key, content_type);
	etags = palloc0(sizeof(char *) * nparts);

	PG_TRY();
	{
		for (int i = 0; i < nparts; i++)
		{
			size_t		off = (size_t) i * part_size;
			size_t		n = Min(part_size, len - off);

			etags[i] = s3_multipart_part(ep, bucket, key, upload_id, i + 1,
										 data + off, n);
		}
		s3_multipart_complete(ep, bucket, key, upload_id, etags, nparts);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();

		/*
		 * The abort is best effort, and after a cancel it is skipped: a user
		 * who cancels wants control back now, and the store that failed may
		 * be frozen. Leaving the upload incomplete is safe: its parts never
		 * become a visible object, nothing in the catalog points at it, and
		 * the store reclaims it (an AbortIncompleteMultipartUpload lifecycle
		 * rule; RGW's and MinIO's multipart garbage collection). After any
		 * other error the abort gets one attempt bounded to a second.
		 */
		if (edata->sqlerrcode != ERRCODE_QUERY_CANCELED)
		{
			/* a cancel must not be eaten by the abort's own progress check */
			HOLD_INTERRUPTS();
			abort_ep.max_retries = 0;
			abort_ep.connect_timeout_ms = Min(ep->connect_timeout_ms, 1000);
			abort_ep.request_timeout_ms = 1000;
			PG_TRY();
			{
				s3_multipart_abort(&abort_ep, bucket, key, upload_id);
			}
			PG_CATCH();
			{
				MemoryContextSwitchTo(oldcxt);
				FlushErrorState();
			}
			PG_END_TRY();
			RESUME_INTERRUPTS();
		}
		ReThrowError(edata);
	}
	PG_END_TRY();

	s3_head_object(ep, bucket, key, &info);
	return info.etag;
}
