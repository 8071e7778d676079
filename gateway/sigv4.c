/*-------------------------------------------------------------------------
 *
 * sigv4.c
 *		Verifying a request's AWS Signature Version 4: header auth
 *		(Authorization) and query auth (presigned URLs), and the signatures
 *		of aws-chunked chunks.
 *
 * The gateway rebuilds the canonical request and the string to sign with
 * the project's own signer (src/s3_sign.c, the code the extension signs its
 * store requests with), then asks the database whether the signature is
 * right (lakefs_verify_signature): the secret never leaves the database.
 * The answer is the key's role and the day's signing key, kept for the
 * chunk signatures of an aws-chunked body, and for --key-cache seconds in
 * keycache.c, which then checks the same key's next signatures itself.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gw.h"
#include "lakefs_hash.h"
#include "s3_sign.h"

#define MAX_ITEMS 64

typedef struct KvList
{
	S3KeyValue	items[MAX_ITEMS];
	int			n;
	bool		overflow;
} KvList;

/* the parsed credential of either mode */
typedef struct SigInput
{
	char		akid[128];
	char		date[16];		/* of the credential scope */
	char		region[64];
	char		service[32];
	char		signed_headers[1024];
	char		signature[80];
	const char *amz_date;
	const char *token;
	int			expires;		/* query auth */
} SigInput;

static bool
copy_field(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

/* "AKID/20130524/us-east-1/s3/aws4_request" */
static bool
parse_credential(SigInput *in, const char *cred, size_t len)
{
	const char *parts[5];
	size_t		plen[5];
	int			n = 0;
	const char *p = cred;
	const char *end = cred + len;

	while (n < 5)
	{
		const char *slash = memchr(p, '/', end - p);

		parts[n] = p;
		plen[n] = (slash ? slash : end) - p;
		n++;
		if (!slash)
			break;
		p = slash + 1;
	}
	if (n != 5 || plen[4] != 12 || memcmp(parts[4], "aws4_request", 12) != 0)
		return false;
	return copy_field(in->akid, sizeof(in->akid), parts[0], plen[0]) &&
		copy_field(in->date, sizeof(in->date), parts[1], plen[1]) && plen[1] == 8 &&
		copy_field(in->region, sizeof(in->region), parts[2], plen[2]) &&
		copy_field(in->service, sizeof(in->service), parts[3], plen[3]);
}

/* Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=... */
static bool
parse_authorization(SigInput *in, const char *h)
{
	const char *p;
	bool		have_cred = false,
				have_sh = false,
				have_sig = false;

	if (strncmp(h, "AWS4-HMAC-SHA256 ", 17) != 0)
		return false;
	p = h + 17;
	while (*p)
	{
		const char *eq,
				   *end;

		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		eq = strchr(p, '=');
		if (!eq)
			return false;
		end = strchr(eq, ',');
		if (!end)
			end = eq + strlen(eq);
		if (eq - p == 10 && strncmp(p, "Credential", 10) == 0)
			have_cred = parse_credential(in, eq + 1, end - eq - 1);
		else if (eq - p == 13 && strncmp(p, "SignedHeaders", 13) == 0)
			have_sh = copy_field(in->signed_headers, sizeof(in->signed_headers),
								 eq + 1, end - eq - 1);
		else if (eq - p == 9 && strncmp(p, "Signature", 9) == 0)
			have_sig = copy_field(in->signature, sizeof(in->signature),
								  eq + 1, end - eq - 1);
		p = end;
	}
	return have_cred && have_sh && have_sig;
}

/* "20130524T000000Z" -> time_t, or -1 */
static time_t
parse_amz_date(const char *s)
{
	struct tm	tm;
	const char *end;

	if (s == NULL || strlen(s) != 16)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
	if (end == NULL || *end)
		return -1;
	return timegm(&tm);
}

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	KvList	   *l = cls;

	(void) kind;
	if (l->n == MAX_ITEMS)
	{
		l->overflow = true;
		return MHD_NO;
	}
	l->items[l->n].name = key;
	l->items[l->n].value = value ? value : "";
	l->n++;
	return MHD_YES;
}

static bool
in_list(const char *list, const char *name)
{
	size_t		n = strlen(name);
	const char *p = list;

	while ((p = strstr(p, name)) != NULL)
	{
		if ((p == list || p[-1] == ';') && (p[n] == ';' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

/*
 * the request's signed headers (those the signer does not add itself); list
 * is split in place and the names point into it
 */
static bool
signed_headers(GwRequest *r, char *list, KvList *out)
{
	char	   *save = NULL;

	for (char *h = strtok_r(list, ";", &save); h; h = strtok_r(NULL, ";", &save))
	{
		const char *v;

		if (strcmp(h, "host") == 0 || strcmp(h, "x-amz-date") == 0 ||
			strcmp(h, "x-amz-content-sha256") == 0 ||
			strcmp(h, "x-amz-security-token") == 0 || strcmp(h, "authorization") == 0)
			continue;
		if (out->n == MAX_ITEMS)
			return false;
		v = gw_header(r, h);
		out->items[out->n].name = h;
		out->items[out->n].value = v ? v : "";
		out->n++;
	}
	return true;
}

static bool
is_presign_param(const char *name)
{
	return strcmp(name, "X-Amz-Algorithm") == 0 || strcmp(name, "X-Amz-Credential") == 0 ||
		strcmp(name, "X-Amz-Date") == 0 || strcmp(name, "X-Amz-Expires") == 0 ||
		strcmp(name, "X-Amz-SignedHeaders") == 0 || strcmp(name, "X-Amz-Signature") == 0 ||
		strcmp(name, "X-Amz-Security-Token") == 0;
}

/* does HMAC-SHA256(key, sts) equal the hex signature given? (constant time) */
static bool
signature_matches(const unsigned char key[32], const char *sts, const char *given)
{
	unsigned char mac[32];
	unsigned int maclen = 0;
	char		hex[65];
	static const char digits[] = "0123456789abcdef";

	if (HMAC(EVP_sha256(), key, 32, (const unsigned char *) sts, strlen(sts),
			 mac, &maclen) == NULL || maclen != 32)
		return false;
	for (int i = 0; i < 32; i++)
	{
		hex[2 * i] = digits[mac[i] >> 4];
		hex[2 * i + 1] = digits[mac[i] & 15];
	}
	hex[64] = '\0';
	return strlen(given) == 64 && CRYPTO_memcmp(given, hex, 64) == 0;
}

/*
 * ask the signing-key cache (keycache.c), then the database; fills
 * r->auth.role and signing key, or *err
 */
static bool
verify_in_database(GwRequest *r, const SigInput *in, const char *sts, GwError *err)
{
	const char *params[6] = {in->akid, in->date, in->region, in->service, sts, in->signature};
	PGresult   *res;
	const char *hex;
	char		scope[200];
	uint64_t	gen = 0;

	snprintf(scope, sizeof(scope), "%s/%s/%s", in->date, in->region, in->service);
	if (gw_key_cache_get(in->akid, scope, r->auth.role, r->auth.signing_key, &gen))
	{
		if (signature_matches(r->auth.signing_key, sts, in->signature))
			return true;
		/* a mismatch is for the database to judge */
		memset(r->auth.role, 0, sizeof(r->auth.role));
		memset(r->auth.signing_key, 0, sizeof(r->auth.signing_key));
	}
	res = gw_sql(NULL, err,
				 "SELECT found, role, signing_key FROM "
				 "lakefs_verify_signature($1, $2, $3, $4, $5, $6)", 6, params);

	if (res == NULL)
	{
		char		why[sizeof(err->message)];

		if (err->status == 503)
			return false;
		memcpy(why, err->message, sizeof(why));
		gw_error_set(err, 500, "InternalError", "the signature could not be checked: %s", why);
		gw_log(GW_LOG_ERROR, "lakefs_verify_signature failed: %s (is EXECUTE granted to the "
			   "gateway's role?)", why);
		return false;
	}
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0)
	{
		gw_error_set(err, 403, "InvalidAccessKeyId",
					 "The AWS Access Key Id you provided does not exist in our records.");
		PQclear(res);
		return false;
	}
	if (PQgetisnull(res, 0, 1))
	{
		gw_error_set(err, 403, "SignatureDoesNotMatch",
					 "The request signature we calculated does not match the signature you "
					 "provided. Check your key and signing method.");
		PQclear(res);
		return false;
	}
	snprintf(r->auth.role, sizeof(r->auth.role), "%s", PQgetvalue(res, 0, 1));
	hex = PQgetvalue(res, 0, 2);
	if (strncmp(hex, "\\x", 2) == 0 && strlen(hex) == 66)
		for (int i = 0; i < 32; i++)
	{
		for (int i = 0; i < 32; i++)
			r->auth.signing_key[i] = (unsigned char) (lk_hex_value(hex[2 + 2 * i]) * 16 +
													  lk_hex_value(hex[3 + 2 * i]));
		gw_key_cache_put(in->akid, scope, r->auth.role, r->auth.signing_key, gen);
	}
	PQclear(res);
	return true;
}

/* build the string to sign of r and check it; header or query mode */
static bool
check(GwRequest *r, SigInput *in, bool query_mode, time_t when, GwError *err)
{
	KvList		query = {0};
	KvList		headers = {0};
	S3SignRequest req;
	S3Credentials cred = {in->akid, NULL, in->token};
	StrBuf		creq,
				sts;
	char	   *sh_copy = strdup(in->signed_headers);
	bool		ok;
	const char *host = gw_header(r, "Host");
	KvList		all = {0};

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &all);
	for (int i = 0; i < all.n; i++)
		if (!query_mode || !is_presign_param(all.items[i].name))
			query.items[query.n++] = all.items[i];
	if (all.overflow || !signed_headers(r, sh_copy, &headers))
	{
		free(sh_copy);
		gw_error_set(err, 400, "InvalidArgument", "too many query parameters or signed headers");
		return false;
	}
	memset(&req, 0, sizeof(req));
	req.method = r->method;
	req.host = host ? host : "";
	req.path = r->path;
	req.query = query.items;
	req.nquery = query.n;
	req.headers = headers.items;
	req.nheaders = headers.n;
	req.region = in->region;
	req.service = in->service;
	req.when = when;
	if (query_mode)
		req.payload_hash = S3_UNSIGNED_PAYLOAD;
	else
	{
		const char *ph = gw_header(r, "x-amz-content-sha256");

		req.payload_hash = ph ? ph : S3_UNSIGNED_PAYLOAD;
		req.omit_content_sha256 = !in_list(in->signed_headers, "x-amz-content-sha256");
		req.omit_amz_date = !in_list(in->signed_headers, "x-amz-date");
		req.unsigned_session_token = in->token && !in_list(in->signed_headers, "x-amz-security-token");
	}
	sb_init(&creq);
	sb_init(&sts);
	if (query_mode)
		s3_presign_canonical_request(&creq, &req, &cred, in->expires);
	else
		s3_canonical_request(&creq, &req, &cred);
	s3_string_to_sign(&sts, &req, creq.data);
	gw_log(GW_LOG_DEBUG, "canonical request:\n%s\nstring to sign:\n%s", creq.data, sts.data);
	ok = verify_in_database(r, in, sts.data, err);
	sb_free(&creq);
	sb_free(&sts);
	free(sh_copy);
	return ok;
}

static void
remember(GwRequest *r, const SigInput *in, time_t when)
{
	struct tm	tm;

	gmtime_r(&when, &tm);
	strftime(r->auth.amz_date, sizeof(r->auth.amz_date), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(r->auth.scope, sizeof(r->auth.scope), "%s/%s/%s/aws4_request",
			 in->date, in->region, in->service);
	snprintf(r->auth.seed_signature, sizeof(r->auth.seed_signature), "%s", in->signature);
	snprintf(r->auth.access_key_id, sizeof(r->auth.access_key_id), "%s", in->akid);
}

/*
 * gw_authenticate: verify r's signature. true with r->auth filled, or false
 * with *err set (AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch,
 * RequestTimeTooSkewed, ...).
 */
bool
gw_authenticate(GwRequest *r, GwError *err)
{
	const char *authz = gw_header(r, "Authorization");
	const char *algo = gw_query(r, "X-Amz-Algorithm");
	SigInput	in;
	time_t		when;
	time_t		now = time(NULL);

	memset(&in, 0, sizeof(in));
	if (authz)
	{
		const char *ph = gw_header(r, "x-amz-content-sha256");
		const char *date = gw_header(r, "x-amz-date");

		if (strncmp(authz, "AWS ", 4) == 0)
		{
			gw_error_set(err, 400, "InvalidRequest",
						 "Signature Version 2 is not supported: use AWS4-HMAC-SHA256.");
			return false;
		}
		if (!parse_authorization(&in, authz))
		{
			gw_error_set(err, 400, "AuthorizationHeaderMalformed",
						 "The authorization header is malformed.");
			return false;
		}
		when = parse_amz_date(date);
		if (when < 0)
		{
			gw_error_set(err, 403, "AccessDenied",
						 "AWS authentication requires a valid X-Amz-Date header.");
			return false;
		}
		if (when > now + gw_config.max_skew_seconds || when < now - gw_config.max_skew_seconds)
		{
			gw_error_set(err, 403, "RequestTimeTooSkewed",
						 "The difference between the request time and the current time is too large.");
			return false;
		}
		snprintf(r->auth.content_sha256, sizeof(r->auth.content_sha256), "%s", ph ? ph : "");
		if (!check(r, &in, false, when, err))
			return false;
		remember(r, &in, when);
		return true;
	}
	if (algo)
	{
		const char *cred = gw_query(r, "X-Amz-Credential");
		const char *sh = gw_query(r, "X-Amz-SignedHeaders");
		const char *sig = gw_query(r, "X-Amz-Signature");
		const char *exp = gw_query(r, "X-Amz-Expires");
		char	   *end = NULL;
		long		expires = exp ? strtol(exp, &end, 10) : -1;

		if (strcmp(algo, "AWS4-HMAC-SHA256") != 0 || !cred || !sh || !sig ||
			!parse_credential(&in, cred, strlen(cred)) ||
			!copy_field(in.signed_headers, sizeof(in.signed_headers), sh, strlen(sh)) ||
			!copy_field(in.signature, sizeof(in.signature), sig, strlen(sig)) ||
			!exp || *end || expires < 1 || expires > 604800)
		{
			gw_error_set(err, 400, "AuthorizationQueryParametersError",
						 "The presigned URL's X-Amz-* query parameters are malformed.");
			return false;
		}
		in.expires = (int) expires;
		in.token = gw_query(r, "X-Amz-Security-Token");
		when = parse_amz_date(gw_query(r, "X-Amz-Date"));
		if (when < 0)
		{
			gw_error_set(err, 400, "AuthorizationQueryParametersError",
						 "X-Amz-Date must be in the ISO 8601 basic format.");
			return false;
		}
		if (when > now + gw_config.max_skew_seconds)
		{
			gw_error_set(err, 403, "RequestTimeTooSkewed",
						 "The presigned URL was signed in the future.");
			return false;
		}
		if (now > when + expires)
		{
			gw_error_set(err, 403, "AccessDenied", "Request has expired");
			return false;
		}
		if (!check(r, &in, true, when, err))
			return false;
		remember(r, &in, when);
		snprintf(r->auth.content_sha256, sizeof(r->auth.content_sha256), "%s", S3_UNSIGNED_PAYLOAD);
		return true;
	}
	if (gw_query(r, "AWSAccessKeyId"))
	{
		gw_error_set(err, 400, "InvalidRequest",
					 "Signature Version 2 is not supported: presign with AWS4-HMAC-SHA256 "
					 "(boto3: Config(signature_version='s3v4')).");
		return false;
	}
	gw_error_set(err, 403, "AccessDenied",
				 "Anonymous access is not allowed: sign requests with an access key "
				 "from lakefs_create_access_key().");
	return false;
}

/* HMAC-SHA256 of sts with the request's signing key, as hex, compared with given */
static bool
signature_of(const GwAuth *a, const char *sts, int n, const char *given, char out_sig[65])
{
	unsigned char mac[32];
	unsigned int maclen = 0;
	static const char hex[] = "0123456789abcdef";

	if (HMAC(EVP_sha256(), a->signing_key, 32, (const unsigned char *) sts, n,
			 mac, &maclen) == NULL || maclen != 32)
		return false;
	for (int i = 0; i < 32; i++)
	{
		out_sig[2 * i] = hex[mac[i] >> 4];
		out_sig[2 * i + 1] = hex[mac[i] & 15];
	}
	out_sig[64] = '\0';
	return strlen(given) == 64 && CRYPTO_memcmp(given, out_sig, 64) == 0;
}

/*
 * gw_chunk_signature_ok: the signature of one aws-chunked chunk whose data
 * hashes to chunk_sha256_hex, chained from prev_sig; writes the expected
 * signature into out_sig and compares it with given in constant time.
 */
bool
gw_chunk_signature_ok(const GwAuth *a, const char *prev_sig, const char *chunk_sha256_hex,
					  const char *given, char out_sig[65])
{
	char		sts[512];
	int			n;

	n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n%s\n%s",
				 a->amz_date, a->scope, prev_sig, S3_EMPTY_SHA256, chunk_sha256_hex);
	if (n < 0 || (size_t) n >= sizeof(sts))
		return false;
	return signature_of(a, sts, n, given, out_sig);
}

/*
 * gw_trailer_signature_ok: the x-amz-trailer-signature of an aws-chunked
 * body's trailer whose canonical form ("name:value\n" per header) hashes to
 * trailer_sha256_hex, chained from the final chunk's signature prev_sig (the
 * string to sign "AWS4-HMAC-SHA256-TRAILER", as AWS documents it); compared
 * with given in constant time.
 */
bool
gw_trailer_signature_ok(const GwAuth *a, const char *prev_sig, const char *trailer_sha256_hex,
						const char *given)
{
	char		sts[512];
	char		out[65];
	int			n;

	n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256-TRAILER\n%s\n%s\n%s\n%s",
				 a->amz_date, a->scope, prev_sig, trailer_sha256_hex);
	if (n < 0 || (size_t) n >= sizeof(sts))
		return false;
	return signature_of(a, sts, n, given, out);
}
