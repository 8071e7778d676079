/*-------------------------------------------------------------------------
 *
 * chunked.c
 *		A streaming decoder of aws-chunked bodies that checks every chunk's
 *		signature and the trailer's: x-amz-content-sha256
 *		STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-
 *		TRAILER and STREAMING-UNSIGNED-PAYLOAD-TRAILER.
 *
 * A signed body is a sequence of "<hex size>;chunk-signature=<sig>\r\n<data>\r\n"
 * ending with a chunk of size 0. Each signature chains from the previous
 * one (the first from the request's seed signature) and signs the SHA-256 of
 * the chunk's data with the day's signing key (sigv4.c). Data goes to the
 * sink as it arrives, so memory stays bounded whatever the chunk size; the
 * chunk's signature is checked when its data is complete, and a failure
 * makes the whole upload fail (the caller then stages nothing).
 * An unsigned body's chunk headers are the bare "<hex size>". With a
 * trailer (x-amz-trailer names it), the final chunk's header line is
 * followed by trailer lines "name:value\r\n" and an empty line: the
 * x-amz-checksum-* value named goes to the request's checksum (checksum.c
 * compares it with the body at its end) and, for the signed variant,
 * x-amz-trailer-signature signs the trailer ("AWS4-HMAC-SHA256-TRAILER",
 * chained from the final chunk's signature).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gw.h"

typedef enum
{
	CH_HEADER,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER,
	CH_DONE
} ChState;

struct GwChunked
{
	const GwAuth *auth;
	GwChunkSink sink;
	void	   *arg;
	ChState		state;
	char		line[512];
	size_t		line_len;
	uint64_t	remaining;
	uint64_t	chunk_size;
	char		chunk_sig[80];
	char		prev_sig[80];
	EVP_MD_CTX *md;
	uint64_t	decoded;
	bool		signed_chunks;
	GwChecksum *trailer;		/* NULL: no trailer */
	char		canon[1024];	/* the trailer's "name:value\n" lines */
	size_t		canon_len;
	char		trailer_sig[80];
	bool		got_value;		/* the named checksum came */
};

/*
 * gw_chunked_new: a decoder feeding sink; signed_chunks for the
 * STREAMING-AWS4-HMAC-SHA256-* bodies, trailer (not owned) the checksum
 * whose value the trailer carries, NULL for a body without one. NULL when
 * out of memory; free with gw_chunked_free.
 */
GwChunked *
gw_chunked_new(const GwAuth *auth, bool signed_chunks, GwChecksum *trailer,
			   GwChunkSink sink, void *arg)
{
	GwChunked  *c = calloc(1, sizeof(GwChunked));

	if (c == NULL)
		return NULL;
	c->signed_chunks = signed_chunks;
	c->trailer = trailer;
	c->auth = auth;
	c->sink = sink;
	c->arg = arg;
	c->md = EVP_MD_CTX_new();
	snprintf(c->prev_sig, sizeof(c->prev_sig), "%s", auth->seed_signature);
	return c;
}

void
gw_chunked_free(GwChunked *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

/* "<hex>;chunk-signature=<64 hex>" */
static bool
parse_header(GwChunked *c, GwError *err)
{
	char	   *end;
	const char *sig;

	c->line[c->line_len] = '\0';
	c->chunk_size = strtoull(c->line, &end, 16);
	if (!c->signed_chunks)
	{
		if (end == c->line || (*end != '\0' && *end != ';') ||
			c->chunk_size > (uint64_t) 5 * 1024 * 1024 * 1024)
		{
			gw_error_set(err, 400, "IncompleteBody", "The aws-chunked body is malformed.");
			return false;
		}
		c->remaining = c->chunk_size;
		return true;
	}
	sig = strstr(c->line, ";chunk-signature=");
	if (end == c->line || sig != end || strlen(sig + 17) != 64 ||
		c->chunk_size > (uint64_t) 5 * 1024 * 1024 * 1024)
	{
		gw_error_set(err, 400, "IncompleteBody", "The aws-chunked body is malformed.");
		return false;
	}
	snprintf(c->chunk_sig, sizeof(c->chunk_sig), "%s", sig + 17);
	c->remaining = c->chunk_size;
	EVP_DigestInit_ex(c->md, EVP_sha256(), NULL);
	return true;
}

static bool
check_chunk(GwChunked *c, GwError *err)
{
	unsigned char digest[32];
	unsigned int dlen = 0;
	char		hex[65];
	char		expected[65];
	static const char digits[] = "0123456789abcdef";

	if (!c->signed_chunks)
		return true;
	EVP_DigestFinal_ex(c->md, digest, &dlen);
	for (int i = 0; i < 32; i++)
	{
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[64] = '\0';
	if (!gw_chunk_signature_ok(c->auth, c->prev_sig, hex, c->chunk_sig, expected))
	{
		gw_error_set(err, 403, "SignatureDoesNotMatch",
					 "The signature of an aws-chunked chunk does not match.");
		return false;
	}
	memcpy(c->prev_sig, expected, sizeof(expected));
	return true;
}

/* one trailer line (without its CRLF); the empty line ends the trailer */
static bool
trailer_line(GwChunked *c, GwError *err)
{
	char	   *colon;
	char	   *value;
	char		want[40];

	c->line[c->line_len] = '\0';
	if (c->line_len == 0)
	{
		if (!c->got_value)
		{
			gw_error_set(err, 400, "IncompleteBody",
						 "The aws-chunked trailer lacks the x-amz-checksum-%s that x-amz-trailer named.",
						 gw_checksum_name(c->trailer));
			return false;
		}
		if (c->signed_chunks)
		{
			unsigned char d[32];
			unsigned int dl = 0;
			char		hex[65];

			EVP_Digest(c->canon, c->canon_len, d, &dl, EVP_sha256(), NULL);
			for (int i = 0; i < 32; i++)
				snprintf(hex + 2 * i, 3, "%02x", d[i]);
			if (!gw_trailer_signature_ok(c->auth, c->prev_sig, hex, c->trailer_sig))
			{
				gw_error_set(err, 403, "SignatureDoesNotMatch",
							 "The signature of the aws-chunked trailer does not match.");
				return false;
			}
		}
		c->state = CH_DONE;
		return true;
	}
	colon = strchr(c->line, ':');
	if (colon == NULL || colon == c->line)
	{
		gw_error_set(err, 400, "IncompleteBody", "An aws-chunked trailer line is malformed.");
		return false;
	}
	*colon = '\0';
	for (char *p = c->line; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char) (*p - 'A' + 'a');
	value = colon + 1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (strcmp(c->line, "x-amz-trailer-signature") == 0)
	{
		snprintf(c->trailer_sig, sizeof(c->trailer_sig), "%s", value);
		return true;
	}
	{
		int			n = snprintf(c->canon + c->canon_len, sizeof(c->canon) - c->canon_len,
								 "%s:%s\n", c->line, value);

		if (n < 0 || (size_t) n >= sizeof(c->canon) - c->canon_len)
		{
			gw_error_set(err, 400, "IncompleteBody", "The aws-chunked trailer is too long.");
			return false;
		}
		c->canon_len += (size_t) n;
	}
	snprintf(want, sizeof(want), "x-amz-checksum-%s", gw_checksum_name(c->trailer));
	if (strcmp(c->line, want) == 0)
	{
		if (c->got_value || !gw_checksum_expect(c->trailer, value, err))
		{
			if (c->got_value)
				gw_error_set(err, 400, "InvalidRequest", "The trailer gives %s twice.", want);
			return false;
		}
		c->got_value = true;
	}
	return true;
}

/*
 * gw_chunked_feed: decode len more bytes; 0 on success, -1 with *err set on
 * a malformed body, a wrong chunk signature or a failing sink.
 */
int
gw_chunked_feed(GwChunked *c, const char *data, size_t len, GwError *err)
{
	size_t		i = 0;

	while (i < len)
	{
		switch (c->state)
		{
			case CH_HEADER:
				if (data[i] == '\n' && c->line_len > 0 && c->line[c->line_len - 1] == '\r')
				{
					c->line_len--;
					if (!parse_header(c, err))
						return -1;
					c->line_len = 0;
					c->state = c->chunk_size ? CH_DATA : CH_DATA_CR;
					if (c->chunk_size == 0 && !check_chunk(c, err))
						return -1;
					if (c->chunk_size == 0)
						c->state = c->trailer ? CH_TRAILER : CH_DONE;
				}
				else if (c->line_len + 1 >= sizeof(c->line))
				{
					gw_error_set(err, 400, "IncompleteBody", "An aws-chunked chunk header is too long.");
					return -1;
				}
				else
					c->line[c->line_len++] = data[i];
				i++;
				break;
			case CH_DATA:
				{
					size_t		n = len - i;

					if (n > c->remaining)
						n = (size_t) c->remaining;
					if (c->signed_chunks)
						EVP_DigestUpdate(c->md, data + i, n);
					if (c->sink(c->arg, data + i, n) != 0)
					{
						gw_error_set(err, 500, "InternalError", "The object store refused the data.");
						return -1;
					}
					c->decoded += n;
					c->remaining -= n;
					i += n;
					if (c->remaining == 0)
					{
						if (!check_chunk(c, err))
							return -1;
						c->state = CH_DATA_CR;
					}
				}
				break;
			case CH_DATA_CR:
			case CH_DATA_LF:
				if (data[i] != (c->state == CH_DATA_CR ? '\r' : '\n'))
				{
					gw_error_set(err, 400, "IncompleteBody", "The aws-chunked body is malformed.");
					return -1;
				}
				c->state = c->state == CH_DATA_CR ? CH_DATA_LF : CH_HEADER;
				i++;
				break;
			case CH_TRAILER:
				if (data[i] == '\n' && c->line_len > 0 && c->line[c->line_len - 1] == '\r')
				{
					c->line_len--;
					if (!trailer_line(c, err))
						return -1;
					c->line_len = 0;
				}
				else if (c->line_len + 1 >= sizeof(c->line))
				{
					gw_error_set(err, 400, "IncompleteBody", "An aws-chunked trailer line is too long.");
					return -1;
				}
				else
					c->line[c->line_len++] = data[i];
				i++;
				break;
			case CH_DONE:
				/* the final chunk may be followed by one CRLF */
				if (data[i] != '\r' && data[i] != '\n')
				{
					gw_error_set(err, 400, "IncompleteBody", "Data follows the final aws-chunked chunk.");
					return -1;
				}
				i++;
				break;
		}
	}
	return 0;
}

/* gw_chunked_done: true when the body ended with its final chunk */
bool
gw_chunked_done(GwChunked *c, GwError *err)
{
	if (c->state != CH_DONE)
	{
		gw_error_set(err, 400, "IncompleteBody", "The aws-chunked body ended before its final chunk.");
		return false;
	}
	return true;
}

/* gw_chunked_decoded: the data bytes decoded so far */
uint64_t
gw_chunked_decoded(GwChunked *c)
{
	return c->decoded;
}
