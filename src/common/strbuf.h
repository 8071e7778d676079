/*-------------------------------------------------------------------------
 *
 * strbuf.h
 *		A growable byte string for the plain-C layers (like StringInfo,
 *		without the server).
 *
 * Memory comes from lk_alloc.h. data is always NUL-terminated; len excludes
 * the terminator. sb_free releases it; a zeroed StrBuf is a valid empty one.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STRBUF_H
#define STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct StrBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} StrBuf;

/* strbuf.c */
extern void sb_init(StrBuf *sb);
extern void sb_reset(StrBuf *sb);
extern void sb_free(StrBuf *sb);
extern void sb_reserve(StrBuf *sb, size_t extra);
extern void sb_append(StrBuf *sb, const void *data, size_t len);
extern void sb_appends(StrBuf *sb, const char *s);
extern void sb_appendc(StrBuf *sb, char c);
extern void sb_appendf(StrBuf *sb, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

#endif							/* STRBUF_H */
