/*-------------------------------------------------------------------------
 *
 * lakefs_hash.c
 *		SHA-256 content addresses and the 64-bit key hash of the chunker.
 *
 * The key hash decides range boundaries, so it is part of the on-disk
 * format: changing it changes which ranges new commits share with old ones
 * (never correctness). It is FNV-1a over the key bytes followed by the
 * murmur3 64-bit finaliser, which spreads FNV's weak low bits.
 *
 *-------------------------------------------------------------------------
 */
#include <openssl/evp.h>

#include "lakefs_hash.h"

/*
 * lk_sha256: SHA-256 of data into out. Aborts only if OpenSSL cannot
 * allocate a digest context, which it reports by returning 0 (then out is
 * zeroed, and the caller's content address is wrong but harmless).
 */
void
lk_sha256(const void *data, size_t len, uint8_t out[LK_ID_LEN])
{
	unsigned int outlen = LK_ID_LEN;

	if (!EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL))
	{
		for (int i = 0; i < LK_ID_LEN; i++)
			out[i] = 0;
	}
}

void
lk_hex(const uint8_t *bytes, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++)
	{
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * len] = '\0';
}

uint64_t
lk_key_hash(const char *key, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
	{
		h ^= (unsigned char) key[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

int
lk_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
