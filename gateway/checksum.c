/*-------------------------------------------------------------------------
 *
 * checksum.c
 *		The integrity checks of a request body that S3 makes on PutObject and
 *		UploadPart: Content-MD5 and one x-amz-checksum-<algorithm> header (or
 *		trailer, for aws-chunked bodies with a trailing checksum).
 *
 * The body is hashed as it streams (OpenSSL's MD5, SHA-1 and SHA-256,
 * zlib's crc32 for CRC32) and compared at its end with the base64 value the
 * client sent: a mismatch is S3's 400 BadDigest, a malformed Content-MD5
 * 400 InvalidDigest, a malformed checksum value or more than one checksum
 * 400 InvalidRequest. CRC32C and CRC64NVME are not computed (no well-kept
 * library for them in Debian): a request naming them is 501
 * NotImplemented.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "gw.h"

typedef enum
{
	CK_NONE = 0,
	CK_CRC32,
	CK_SHA1,
	CK_SHA256
} CkAlgo;

struct GwChecksum
{
	EVP_MD_CTX *md5;			/* when Content-MD5 was given */
	char		md5_expected[32];
	CkAlgo		algo;
	EVP_MD_CTX *sha;			/* SHA-1 or SHA-256 */
	uLong		crc;
	char		name[16];		/* "crc32", "sha1", "sha256" */
	char		expected[64];	/* base64; "" until known (a trailer) */
};

/* the base64 length of an algorithm's digest */
static size_t
b64_len(CkAlgo a)
{
	return a == CK_CRC32 ? 8 : a == CK_SHA1 ? 28 : 44;
}

/* s is len characters of padded base64 */
static bool
is_base64(const char *s, size_t len)
{
	size_t		n = strlen(s);
	size_t		pad = 0;

	if (n != len)
		return false;
	while (pad < 2 && n > 0 && s[n - 1 - pad] == '=')
		pad++;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
		== n - pad;
}

/*
 * gw_checksum_algorithm: set the additional checksum's algorithm from a
 * header name ("x-amz-checksum-crc32") or a bare name ("CRC32"); false with
 * *err set for an algorithm the gateway does not compute (501) or knows not
 * (400 InvalidRequest), or a second algorithm.
 */
bool
gw_checksum_algorithm(GwChecksum *c, const char *name, GwError *err)
{
	CkAlgo		a;

	if (strncasecmp(name, "x-amz-checksum-", 15) == 0)
		name += 15;
	if (strcasecmp(name, "crc32") == 0)
		a = CK_CRC32;
	else if (strcasecmp(name, "sha1") == 0)
		a = CK_SHA1;
	else if (strcasecmp(name, "sha256") == 0)
		a = CK_SHA256;
	else if (strcasecmp(name, "crc32c") == 0 || strcasecmp(name, "crc64nvme") == 0)
	{
		gw_error_set(err, 501, "NotImplemented",
					 "The gateway does not compute %s checksums: use CRC32, SHA1 or SHA256.", name);
		return false;
	}
	else
	{
		gw_error_set(err, 400, "InvalidRequest", "Unknown checksum algorithm %s.", name);
		return false;
	}
	if (c->algo != CK_NONE)
	{
		gw_error_set(err, 400, "InvalidRequest",
					 "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
		return false;
	}
	c->algo = a;
	snprintf(c->name, sizeof(c->name), "%s", a == CK_CRC32 ? "crc32" : a == CK_SHA1 ? "sha1" : "sha256");
	if (a == CK_CRC32)
		c->crc = crc32(0L, Z_NULL, 0);
	else
	{
		c->sha = EVP_MD_CTX_new();
		EVP_DigestInit_ex(c->sha, a == CK_SHA1 ? EVP_sha1() : EVP_sha256(), NULL);
	}
	return true;
}

/*
 * gw_checksum_expect: the base64 value the body must hash to with the
 * algorithm set before; false (400 InvalidRequest) when malformed.
 */
bool
gw_checksum_expect(GwChecksum *c, const char *value, GwError *err)
{
	if (c->algo == CK_NONE || !is_base64(value, b64_len(c->algo)))
	{
		gw_error_set(err, 400, "InvalidRequest", "Value for x-amz-checksum-%s header is invalid.",
					 c->algo == CK_NONE ? "?" : c->name);
		return false;
	}
	snprintf(c->expected, sizeof(c->expected), "%s", value);
	return true;
}

typedef struct HeaderScan
{
	GwChecksum *c;
	GwError    *err;
	bool		failed;
} HeaderScan;

static enum MHD_Result
scan_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	HeaderScan *hs = cls;

	(void) kind;
	if (hs->failed || strncasecmp(key, "x-amz-checksum-", 15) != 0 ||
		strcasecmp(key + 15, "mode") == 0 || strcasecmp(key + 15, "type") == 0 ||
		strcasecmp(key + 15, "algorithm") == 0)
		return MHD_YES;
	if (!gw_checksum_algorithm(hs->c, key, hs->err) ||
		!gw_checksum_expect(hs->c, value ? value : "", hs->err))
		hs->failed = true;
	return MHD_YES;
}

/*
 * gw_checksum_from_headers: a checker for the request's Content-MD5 and
 * x-amz-checksum-* headers (malloc'd; free with gw_checksum_free), one that
 * checks nothing when there are none; NULL with *err set when a header is
 * malformed or names an algorithm the gateway does not compute.
 */
GwChecksum *
gw_checksum_from_headers(GwRequest *r, GwError *err)
{
	GwChecksum *c = calloc(1, sizeof(GwChecksum));
	const char *md5 = gw_header(r, "Content-MD5");
	HeaderScan	hs = {c, err, false};

	if (c == NULL)
	{
		gw_error_set(err, 500, "InternalError", "out of memory");
		return NULL;
	}
	if (md5)
	{
		if (!is_base64(md5, 24) || md5[22] != '=' || md5[23] != '=')
		{
			gw_error_set(err, 400, "InvalidDigest", "The Content-MD5 you specified was invalid.");
			gw_checksum_free(c);
			return NULL;
		}
		snprintf(c->md5_expected, sizeof(c->md5_expected), "%s", md5);
		c->md5 = EVP_MD_CTX_new();
		EVP_DigestInit_ex(c->md5, EVP_md5(), NULL);
	}
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, scan_header, &hs);
	if (hs.failed)
	{
		gw_checksum_free(c);
		return NULL;
	}
	return c;
}

/* gw_checksum_update: hash len more bytes of the body */
void
gw_checksum_update(GwChecksum *c, const char *data, size_t len)
{
	if (c->md5)
		EVP_DigestUpdate(c->md5, data, len);
	if (c->algo == CK_CRC32)
	{
		while (len > 0)
		{
			uInt		n = len > (1u << 30) ? (1u << 30) : (uInt) len;

			c->crc = crc32(c->crc, (const Bytef *) data, n);
			data += n;
			len -= n;
		}
	}
	else if (c->sha)
		EVP_DigestUpdate(c->sha, data, len);
}

/* base64 of an EVP digest (finalizes ctx) */
static void
digest_b64(EVP_MD_CTX *ctx, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;

	EVP_DigestFinal_ex(ctx, d, &dl);
	EVP_EncodeBlock((unsigned char *) out, d, (int) dl);
}

/*
 * gw_checksum_check: at the body's end, true when every given value matches
 * what the body hashes to; false with *err set (400 BadDigest, as S3) when
 * one does not, or when the algorithm's value never came (400
 * InvalidRequest). Call once.
 */
bool
gw_checksum_check(GwChecksum *c, GwError *err)
{
	char		got[100];

	if (c->md5)
	{
		digest_b64(c->md5, got);
		if (strcmp(got, c->md5_expected) != 0)
		{
			gw_error_set(err, 400, "BadDigest",
						 "The Content-MD5 you specified did not match what we received.");
			return false;
		}
	}
	if (c->algo == CK_NONE)
		return true;
	if (c->expected[0] == '\0')
	{
		gw_error_set(err, 400, "InvalidRequest", "The x-amz-checksum-%s value is missing.", c->name);
		return false;
	}
	if (c->algo == CK_CRC32)
	{
		unsigned char be[4] = {(unsigned char) (c->crc >> 24), (unsigned char) (c->crc >> 16),
		(unsigned char) (c->crc >> 8), (unsigned char) c->crc};

		EVP_EncodeBlock((unsigned char *) got, be, 4);
	}
	else
		digest_b64(c->sha, got);
	if (strcmp(got, c->expected) != 0)
	{
		gw_error_set(err, 400, "BadDigest",
					 "The %s you specified did not match the calculated checksum.", c->name);
		return false;
	}
	return true;
}

/* gw_checksum_name: the algorithm's name in x-amz-checksum-<name>, "" when none */
const char *
gw_checksum_name(const GwChecksum *c)
{
	return c->name;
}

/* gw_checksum_free: NULL is fine */
void
gw_checksum_free(GwChecksum *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md5);
	EVP_MD_CTX_free(c->sha);
	free(c);
}
