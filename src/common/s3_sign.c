/*-------------------------------------------------------------------------
 *
 * s3_sign.c
 *		AWS Signature Version 4 (header and query auth) on OpenSSL 3.
 *
 * The signer builds the canonical request, hashes it into the string to
 * sign, derives the signing key (HMAC chain over date, region, service and
 * "aws4_request") and signs. Two modes share one canonicaliser:
 *
 *	header	x-amz-date, x-amz-content-sha256 (unless omitted) and
 *			x-amz-security-token are canonical headers; the result is an
 *			Authorization header.
 *	query	the X-Amz-* parameters are canonical query parameters and only
 *			Host plus the caller's headers are signed; the result is the
 *			query string of a presigned URL.
 *
 * Nothing is kept between calls. Every temporary is lk_malloc'd and freed
 * before return; results go into the caller's StrBufs. The functions never
 * fail: OpenSSL's one-shot HMAC/digest calls cannot fail for SHA-256 short of
 * out-of-memory, which aborts (see lk_alloc.h).
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lk_alloc.h"
#include "s3_sign.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/* One canonical header or query parameter. */
typedef struct CanonPair
{
	StrBuf		name;
	StrBuf		value;
	int			order;			/* position given, for a stable sort */
} CanonPair;

typedef struct CanonList
{
	CanonPair  *items;
	int			n;
	int			cap;
} CanonList;

/* Everything the two modes need besides the request itself. */
typedef struct SignContext
{
	char		amz_date[17];	/* 20130524T000000Z */
	char		date[9];		/* 20130524 */
	StrBuf		scope;			/* date/region/service/aws4_request */
	StrBuf		signed_headers; /* host;range;... */
} SignContext;

static const char hexdigits[] = "0123456789abcdef";

/* ---------------------------------------------------------------- lists */

/* Append an empty pair to *l and return it (its StrBufs initialised). */
static CanonPair *
list_add(CanonList *l)
{
	CanonPair  *p;

	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 16;
		l->items = lk_realloc(l->items, sizeof(CanonPair) * l->cap);
	}
	p = &l->items[l->n];
	sb_init(&p->name);
	sb_init(&p->value);
	p->order = l->n;
	l->n++;
	return p;
}

static void
list_free(CanonList *l)
{
	for (int i = 0; i < l->n; i++)
	{
		sb_free(&l->items[i].name);
		sb_free(&l->items[i].value);
	}
	lk_free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

/* Sort by name, then value, bytewise (query parameters). */
static int
cmp_name_value(const void *a, const void *b)
{
	const CanonPair *x = a;
	const CanonPair *y = b;
	int			c = strcmp(x->name.data, y->name.data);

	if (c == 0)
		c = strcmp(x->value.data, y->value.data);
	return c;
}

/* Sort by name, keeping the given order among equal names (headers). */
static int
cmp_name_order(const void *a, const void *b)
{
	const CanonPair *x = a;
	const CanonPair *y = b;
	int			c = strcmp(x->name.data, y->name.data);

	if (c == 0)
		c = (x->order > y->order) - (x->order < y->order);
	return c;
}

/* ------------------------------------------------------------- encoding */

void
s3_uri_encode(StrBuf *out, const char *s, size_t len, bool keep_slash)
{
	sb_reserve(out, len);
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
			c == '~' || (c == '/' && keep_slash))
			sb_appendc(out, (char) c);
		else
			sb_appendf(out, "%%%02X", c);
	}
}

static void
hex_encode(char *out, const unsigned char *bin, size_t len)
{
	for (size_t i = 0; i < len; i++)
	{
		out[2 * i] = hexdigits[bin[i] >> 4];
		out[2 * i + 1] = hexdigits[bin[i] & 15];
	}
	out[2 * len] = '\0';
}

void
s3_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		abort();				/* cannot happen for SHA-256 */
	hex_encode(out, md, 32);
}

/* out (32 bytes) = HMAC-SHA256(key, msg) */
static void
hmac_sha256(unsigned char out[32], const void *key, size_t keylen,
			const char *msg)
{
	unsigned int outlen = 0;

	if (HMAC(EVP_sha256(), key, (int) keylen, (const unsigned char *) msg,
			 strlen(msg), out, &outlen) == NULL || outlen != 32)
		abort();				/* cannot happen for SHA-256 */
}

/* ----------------------------------------------------------------- path */

/*
 * Remove dot segments and empty segments from an absolute path (the generic
 * services' rule; S3 never does this). A trailing slash is kept when the
 * input had one; the result is at least "/". Appends to out.
 */
static void
normalize_path(StrBuf *out, const char *path)
{
	size_t		len = strlen(path);
	const char **seg = lk_malloc(sizeof(char *) * (len / 2 + 2));
	size_t	   *seglen = lk_malloc(sizeof(size_t) * (len / 2 + 2));
	int			nseg = 0;
	bool		trailing = len > 0 && path[len - 1] == '/';
	const char *p = path;

	while (*p)
	{
		const char *start;
		size_t		n;

		while (*p == '/')
			p++;
		start = p;
		while (*p && *p != '/')
			p++;
		n = p - start;
		if (n == 0 || (n == 1 && start[0] == '.'))
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.')
		{
			if (nseg > 0)
				nseg--;
			continue;
		}
		seg[nseg] = start;
		seglen[nseg] = n;
		nseg++;
	}
	/* a final "." or ".." names a directory */
	if (len >= 2 && path[len - 1] == '.' &&
		(path[len - 2] == '/' || (path[len - 2] == '.' &&
								  (len == 2 || path[len - 3] == '/'))))
		trailing = true;
	for (int i = 0; i < nseg; i++)
	{
		sb_appendc(out, '/');
		sb_append(out, seg[i], seglen[i]);
	}
	if (nseg == 0 || trailing)
		sb_appendc(out, '/');
	lk_free(seg);
	lk_free(seglen);
}

/* Append the canonical URI of req. */
static void
canonical_uri(StrBuf *out, const S3SignRequest *req)
{
	const char *path = (req->path && req->path[0]) ? req->path : "/";

	if (req->normalize_path)
	{
		StrBuf		norm;

		sb_init(&norm);
		normalize_path(&norm, path);
		s3_uri_encode(out, norm.data, norm.len, true);
		sb_free(&norm);
	}
	else
		s3_uri_encode(out, path, strlen(path), true);
}

/* ------------------------------------------------------------ headers */

/* Append s lower-cased. */
static void
append_lower(StrBuf *out, const char *s)
{
	for (; *s; s++)
		sb_appendc(out, (char) tolower((unsigned char) *s));
}

/* Append v trimmed, with every inner whitespace run collapsed to a space. */
static void
append_trimmed(StrBuf *out, const char *v)
{
	bool		pending_space = false;
	bool		any = false;

	for (; *v; v++)
	{
		unsigned char c = (unsigned char) *v;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
			c == '\f')
		{
			pending_space = any;
			continue;
		}
		if (pending_space)
			sb_appendc(out, ' ');
		pending_space = false;
		any = true;
		sb_appendc(out, (char) c);
	}
}

/* Headers the signer itself adds: a caller's copy is ignored. */
static bool
signer_owned_header(const char *lname)
{
	return strcmp(lname, "host") == 0 ||
		strcmp(lname, "x-amz-date") == 0 ||
		strcmp(lname, "x-amz-content-sha256") == 0 ||
		strcmp(lname, "x-amz-security-token") == 0 ||
		strcmp(lname, "authorization") == 0;
}

static void
add_header(CanonList *l, const char *lname, const char *value)
{
	CanonPair  *p = list_add(l);

	sb_appends(&p->name, lname);
	append_trimmed(&p->value, value);
}

/*
 * Append the canonical headers block (each "name:value\n") to out and the
 * signed-headers list to ctx->signed_headers. In header mode the signer's
 * x-amz-* headers are included; in query mode only Host and the caller's.
 */
static void
canonical_headers(StrBuf *out, const S3SignRequest *req,
				  const S3Credentials *cred, bool query_mode,
				  SignContext *ctx)
{
	CanonList	l = {0};
	StrBuf		lname;

	sb_init(&lname);
	add_header(&l, "host", req->host ? req->host : "");
	for (int i = 0; i < req->nheaders; i++)
	{
		sb_reset(&lname);
		append_lower(&lname, req->headers[i].name);
		if (signer_owned_header(lname.data))
			continue;
		add_header(&l, lname.data, req->headers[i].value ? req->headers[i].value : "");
	}
	sb_free(&lname);
	if (!query_mode)
	{
		if (!req->omit_amz_date)
			add_header(&l, "x-amz-date", ctx->amz_date);
		if (!req->omit_content_sha256)
			add_header(&l, "x-amz-content-sha256",
					   req->payload_hash ? req->payload_hash : S3_UNSIGNED_PAYLOAD);
		if (cred && cred->session_token && !req->unsigned_session_token)
			add_header(&l, "x-amz-security-token", cred->session_token);
	}
	/* qsort() must not get a NULL base, even with no items (C11 7.22.5) */
	if (l.n > 1)
		qsort(l.items, l.n, sizeof(CanonPair), cmp_name_order);

	sb_reset(&ctx->signed_headers);
	for (int i = 0; i < l.n; i++)
	{
		/* equal names: one line, values joined by commas in given order */
		if (i > 0 && strcmp(l.items[i].name.data, l.items[i - 1].name.data) == 0)
		{
			sb_appendc(out, ',');
			sb_append(out, l.items[i].value.data, l.items[i].value.len);
			continue;
		}
		if (i > 0)
		{
			sb_appendc(out, '\n');
			sb_appendc(&ctx->signed_headers, ';');
		}
		sb_append(out, l.items[i].name.data, l.items[i].name.len);
		sb_appendc(out, ':');
		sb_append(out, l.items[i].value.data, l.items[i].value.len);
		sb_append(&ctx->signed_headers, l.items[i].name.data, l.items[i].name.len);
	}
	sb_appendc(out, '\n');
	list_free(&l);
}

/* ---------------------------------------------------------------- query */

static void
add_param(CanonList *l, const char *name, const char *value)
{
	CanonPair  *p = list_add(l);

	s3_uri_encode(&p->name, name, strlen(name), false);
	if (value)
		s3_uri_encode(&p->value, value, strlen(value), false);
}

/*
 * Append the canonical query string. In query mode the X-Amz-* parameters
 * (all but X-Amz-Signature) are added; ctx->signed_headers must already be
 * known then.
 */
static void
canonical_query(StrBuf *out, const S3SignRequest *req,
				const S3Credentials *cred, int expires, bool query_mode,
				const SignContext *ctx)
{
	CanonList	l = {0};

	for (int i = 0; i < req->nquery; i++)
		add_param(&l, req->query[i].name, req->query[i].value);
	if (query_mode)
	{
		StrBuf		credential;
		char		exp[32];

		sb_init(&credential);
		sb_appendf(&credential, "%s/%s", cred->access_key_id, ctx->scope.data);
		snprintf(exp, sizeof(exp), "%d", expires);
		add_param(&l, "X-Amz-Algorithm", ALGORITHM);
		add_param(&l, "X-Amz-Credential", credential.data);
		add_param(&l, "X-Amz-Date", ctx->amz_date);
		add_param(&l, "X-Amz-Expires", exp);
		add_param(&l, "X-Amz-SignedHeaders", ctx->signed_headers.data);
		if (cred->session_token && !req->unsigned_session_token)
			add_param(&l, "X-Amz-Security-Token", cred->session_token);
		sb_free(&credential);
	}
	/* no query parameters leaves l.items NULL: skip qsort() (NULL base is UB) */
	if (l.n > 1)
		qsort(l.items, l.n, sizeof(CanonPair), cmp_name_value);
	for (int i = 0; i < l.n; i++)
	{
		if (i > 0)
			sb_appendc(out, '&');
		sb_append(out, l.items[i].name.data, l.items[i].name.len);
		sb_appendc(out, '=');
		sb_append(out, l.items[i].value.data, l.items[i].value.len);
	}
	list_free(&l);
}

/* ------------------------------------------------------------ assembly */

static void
context_init(SignContext *ctx, const S3SignRequest *req)
{
	struct tm	tm;
	time_t		when = req->when;

	gmtime_r(&when, &tm);
	strftime(ctx->amz_date, sizeof(ctx->amz_date), "%Y%m%dT%H%M%SZ", &tm);
	memcpy(ctx->date, ctx->amz_date, 8);
	ctx->date[8] = '\0';
	sb_init(&ctx->scope);
	sb_appendf(&ctx->scope, "%s/%s/%s/aws4_request", ctx->date,
			   req->region ? req->region : "", req->service ? req->service : "");
	sb_init(&ctx->signed_headers);
}

static void
context_free(SignContext *ctx)
{
	sb_free(&ctx->scope);
	sb_free(&ctx->signed_headers);
}

/*
 * Append the canonical request of req in either mode; fills
 * ctx->signed_headers as a side effect.
 */
static void
build_canonical(StrBuf *out, const S3SignRequest *req,
				const S3Credentials *cred, bool query_mode, int expires,
				SignContext *ctx)
{
	StrBuf		headers;

	/* the headers come first: the query needs their names in query mode */
	sb_init(&headers);
	canonical_headers(&headers, req, cred, query_mode, ctx);

	sb_appends(out, req->method ? req->method : "GET");
	sb_appendc(out, '\n');
	canonical_uri(out, req);
	sb_appendc(out, '\n');
	canonical_query(out, req, cred, expires, query_mode, ctx);
	sb_appendc(out, '\n');
	sb_append(out, headers.data, headers.len);
	sb_appendc(out, '\n');
	sb_append(out, ctx->signed_headers.data, ctx->signed_headers.len);
	sb_appendc(out, '\n');
	sb_appends(out, req->payload_hash ? req->payload_hash : S3_UNSIGNED_PAYLOAD);
	sb_free(&headers);
}

static void
string_to_sign(StrBuf *out, const SignContext *ctx, const char *creq)
{
	char		hash[65];

	s3_sha256_hex(hash, creq, strlen(creq));
	sb_appendf(out, ALGORITHM "\n%s\n%s\n%s", ctx->amz_date, ctx->scope.data, hash);
}

/* sig (65 bytes) = hex HMAC of sts under the key derived for ctx's scope */
static void
compute_signature(char sig[65], const S3SignRequest *req,
				  const S3Credentials *cred, const SignContext *ctx,
				  const char *sts)
{
	StrBuf		k;
	unsigned char a[32];
	unsigned char b[32];

	sb_init(&k);
	sb_appendf(&k, "AWS4%s", cred->secret_access_key);
	hmac_sha256(a, k.data, k.len, ctx->date);
	hmac_sha256(b, a, 32, req->region ? req->region : "");
	hmac_sha256(a, b, 32, req->service ? req->service : "");
	hmac_sha256(b, a, 32, "aws4_request");
	hmac_sha256(a, b, 32, sts);
	hex_encode(sig, a, 32);
	/* don't leave key material lying around in freed memory */
	memset(k.data, 0, k.len);
	memset(b, 0, sizeof(b));
	sb_free(&k);
}

/* ------------------------------------------------------------- exported */

void
s3_canonical_request(StrBuf *out, const S3SignRequest *req,
					 const S3Credentials *cred)
{
	SignContext ctx;

	context_init(&ctx, req);
	build_canonical(out, req, cred, false, 0, &ctx);
	context_free(&ctx);
}

void
s3_presign_canonical_request(StrBuf *out, const S3SignRequest *req,
							 const S3Credentials *cred, int expires_seconds)
{
	SignContext ctx;

	context_init(&ctx, req);
	build_canonical(out, req, cred, true, expires_seconds, &ctx);
	context_free(&ctx);
}

void
s3_string_to_sign(StrBuf *out, const S3SignRequest *req,
				  const char *canonical_request)
{
	SignContext ctx;

	context_init(&ctx, req);
	string_to_sign(out, &ctx, canonical_request);
	context_free(&ctx);
}

static void
set_header(S3SignedHeaders *out, const char *name, const char *value)
{
	int			i = out->n++;

	sb_init(&out->name[i]);
	sb_init(&out->value[i]);
	sb_appends(&out->name[i], name);
	sb_appends(&out->value[i], value);
}

void
s3_sign_headers(S3SignedHeaders *out, const S3SignRequest *req,
				const S3Credentials *cred)
{
	SignContext ctx;
	StrBuf		creq;
	StrBuf		sts;
	StrBuf		auth;
	char		sig[65];

	context_init(&ctx, req);
	sb_init(&creq);
	sb_init(&sts);
	sb_init(&auth);
	build_canonical(&creq, req, cred, false, 0, &ctx);
	string_to_sign(&sts, &ctx, creq.data);
	compute_signature(sig, req, cred, &ctx, sts.data);
	sb_appendf(&auth, ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
			   cred->access_key_id, ctx.scope.data, ctx.signed_headers.data, sig);

	out->n = 0;
	if (!req->omit_amz_date)
		set_header(out, "x-amz-date", ctx.amz_date);
	if (!req->omit_content_sha256)
		set_header(out, "x-amz-content-sha256",
				   req->payload_hash ? req->payload_hash : S3_UNSIGNED_PAYLOAD);
	if (cred->session_token)
		set_header(out, "x-amz-security-token", cred->session_token);
	set_header(out, "Authorization", auth.data);

	sb_free(&creq);
	sb_free(&sts);
	sb_free(&auth);
	context_free(&ctx);
}

void
s3_signed_headers_free(S3SignedHeaders *h)
{
	for (int i = 0; i < h->n; i++)
	{
		sb_free(&h->name[i]);
		sb_free(&h->value[i]);
	}
	h->n = 0;
}

void
s3_presign_query(StrBuf *query, const S3SignRequest *req,
				 const S3Credentials *cred, int expires_seconds)
{
	SignContext ctx;
	StrBuf		creq;
	StrBuf		sts;
	char		sig[65];
	const char *q;

	context_init(&ctx, req);
	sb_init(&creq);
	sb_init(&sts);
	build_canonical(&creq, req, cred, true, expires_seconds, &ctx);
	string_to_sign(&sts, &ctx, creq.data);
	compute_signature(sig, req, cred, &ctx, sts.data);

	/* the canonical query is the third line of the canonical request */
	q = strchr(creq.data, '\n') + 1;
	q = strchr(q, '\n') + 1;
	sb_append(query, q, strchr(q, '\n') - q);
	if (cred->session_token && req->unsigned_session_token)
	{
		sb_appends(query, "&X-Amz-Security-Token=");
		s3_uri_encode(query, cred->session_token, strlen(cred->session_token), false);
	}
	sb_appendf(query, "&X-Amz-Signature=%s", sig);

	sb_free(&creq);
	sb_free(&sts);
	context_free(&ctx);
}
