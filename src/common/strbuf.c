/*-------------------------------------------------------------------------
 *
 * strbuf.c
 *		Growable byte strings for the plain-C layers. See strbuf.h.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "lk_alloc.h"
#include "strbuf.h"

void
sb_init(StrBuf *sb)
{
	sb->data = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb_reserve(sb, 64);
}

void
sb_reset(StrBuf *sb)
{
	sb->len = 0;
	if (sb->data)
		sb->data[0] = '\0';
}

void
sb_free(StrBuf *sb)
{
	lk_free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

/* Make room for extra more bytes plus the terminator. */
void
sb_reserve(StrBuf *sb, size_t extra)
{
	size_t		need = sb->len + extra + 1;

	if (need <= sb->cap)
		return;
	if (sb->cap == 0)
		sb->cap = 64;
	while (sb->cap < need)
		sb->cap *= 2;
	sb->data = lk_realloc(sb->data, sb->cap);
	sb->data[sb->len] = '\0';
}

void
sb_append(StrBuf *sb, const void *data, size_t len)
{
	sb_reserve(sb, len);
	memcpy(sb->data + sb->len, data, len);
	sb->len += len;
	sb->data[sb->len] = '\0';
}

void
sb_appends(StrBuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

void
sb_appendc(StrBuf *sb, char c)
{
	sb_reserve(sb, 1);
	sb->data[sb->len++] = c;
	sb->data[sb->len] = '\0';
}

void
sb_appendf(StrBuf *sb, const char *fmt,...)
{
	for (;;)
	{
		va_list		ap;
		size_t		avail;
		int			n;

		sb_reserve(sb, 32);
		avail = sb->cap - sb->len;
		va_start(ap, fmt);
		n = vsnprintf(sb->data + sb->len, avail, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t) n < avail)
		{
			sb->len += n;
			return;
		}
		sb_reserve(sb, n);
	}
}
