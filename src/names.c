/*-------------------------------------------------------------------------
 *
 * names.c
 *		Validation of repository, branch and tag names and of paths.
 *
 * Repositories are named like S3 buckets (lakeFS's rule); branches and tags
 * match ^\w[-\w]*$; paths are 1 to 1024 bytes (text cannot hold NUL).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "names.h"

static bool
is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_';
}

void
check_repository_name(const char *name)
{
	size_t		len = strlen(name);
	bool		ok = len >= 3 && len <= 63;

	for (size_t i = 0; ok && i < len; i++)
	{
		char		c = name[i];
		bool		alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && !(c == '-' && i > 0 && i < len - 1))
			ok = false;
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid repository name \"%s\"", name),
				 errdetail("A repository name has 3 to 63 characters: lower-case letters, "
						   "digits and inner hyphens, like an S3 bucket name."),
				 errhint("For example: \"lakefs-minio-demo\".")));
}

void
check_ref_name(const char *kind, const char *name)
{
	size_t		len = strlen(name);
	bool		ok = len >= 1 && len <= LK_MAX_REF_NAME && is_word(name[0]);

	for (size_t i = 1; ok && i < len; i++)
		if (!is_word(name[i]) && name[i] != '-')
			ok = false;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid %s name \"%s\"", kind, name),
				 errdetail("A %s name starts with a letter, digit or underscore and "
						   "continues with those or hyphens (at most %d characters).",
						   kind, LK_MAX_REF_NAME),
				 errhint("For example: \"experiment-1\".")));
}

void
check_path(const char *path)
{
	size_t		len = strlen(path);

	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("object path must not be empty")));
	if (len > LK_MAX_PATH_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("object path is too long"),
				 errdetail("The path has %zu bytes; the limit is %d.", len,
						   LK_MAX_PATH_BYTES)));
}

bool
lk_has_dot_segment(const char *s)
{
	for (const char *p = s; *p; p++)
	{
		size_t		n = strcspn(p, "/");

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return true;
		p += n;
		if (*p == '\0')
			break;
	}
	return false;
}

/*
 * lk_prefix_successor: the smallest string greater than every string that
 * starts with s[0..len), or NULL when there is none (all bytes 0xff).
 */
char *
lk_prefix_successor(const char *s, size_t len)
{
	char	   *succ = pnstrdup(s, len);

	while (len > 0 && (unsigned char) succ[len - 1] == 0xff)
		len--;
	if (len == 0)
		return NULL;
	succ[len - 1]++;
	succ[len] = '\0';
	return succ;
}
