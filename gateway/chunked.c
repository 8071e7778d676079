/*-------------------------------------------------------------------------
 *
 * chunked.c
 *		A streaming decoder of aws-chunked bodies
 *		(x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD) that checks
 *		every chunk's signature.
 *
 * The body is a sequence of "<hex size>;chunk-signature=<sig>\r\n<data>\r\n"
 * ending with a chunk of size 0. Each signature chains from the previous
 * one (the first from the request's seed signature) and signs the SHA-256 of
 * the chunk's data with the day's signing key (sigv4.c). Data goes to the
 * sink as it arrives, so memory stays bounded whatever the chunk size; the
 * chunk's signature is checked when its data is complete, and a failure
 * makes the whole upload fail (the caller then stages nothing).
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
};

GwChunked *
gw_chunked_new(const GwAuth *auth, GwChunkSink sink, void *arg)
{
	GwChunked  *c = calloc(1, sizeof(GwChunked));

	if (c == NULL)
		return NULL;
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
						c->state = CH_DONE;
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
