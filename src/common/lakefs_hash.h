/*-------------------------------------------------------------------------
 *
 * lakefs_hash.h
 *		Hashing for the codec: SHA-256 content addresses and the fast 64-bit
 *		key hash behind content-defined range boundaries.
 *
 * Plain C on OpenSSL's libcrypto; no server headers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_HASH_H
#define LAKEFS_HASH_H

#include <stddef.h>
#include <stdint.h>

#define LK_ID_LEN 32			/* bytes of a SHA-256 content address */
#define LK_ID_HEX_LEN 64

/* lakefs_hash.c */
extern void lk_sha256(const void *data, size_t len, uint8_t out[LK_ID_LEN]);
extern void lk_hex(const uint8_t *bytes, size_t len, char *out);	/* writes 2*len+1 */
extern int	lk_hex_value(int c);	/* a hex digit's value (either case), -1 if none */
extern uint64_t lk_key_hash(const char *key, size_t len);

#endif							/* LAKEFS_HASH_H */
