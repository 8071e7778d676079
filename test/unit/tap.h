/*-------------------------------------------------------------------------
 *
 * tap.h
 *		A minimal TAP producer for the C unit tests: ok(), is_str(), done().
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_TAP_H
#define LAKEFS_TAP_H

#include <stdio.h>
#include <string.h>

static int	tap_n = 0;
static int	tap_failed = 0;

static inline int
ok(int cond, const char *desc)
{
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, desc);
	return cond;
}

static inline int
is_str(const char *got, const char *want, const char *desc)
{
	int			cond = got != NULL && want != NULL && strcmp(got, want) == 0;

	ok(cond, desc);
	if (!cond)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
			   want ? want : "(null)");
	return cond;
}

static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif							/* LAKEFS_TAP_H */
