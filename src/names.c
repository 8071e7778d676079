/*-------------------------------------------------------------------------
 *
 * names.c
 *		Validation of repository, branch and tag names and of paths.
 *
 * Repositories are named like S3 buckets (lakeFS's rule); branches and tags
 * follow git's ref-name rules (check_ref_name); paths are 1 to 1024 bytes
 * (text cannot hold NUL).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "names.h"
#include "s3_client.h"

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

/*
 * check_ref_name: branch and tag names follow git's ref-name rules
 * (git check-ref-format, one component): no control characters, space,
 * ~ ^ : ? * [ \, no "..", no "@{", not starting with "." or "-", not ending
 * with "." or ".lock", not "@". pg_lakefs adds what its ref expressions and
 * the S3 gateway need: no "/" (a gateway key is <ref>/<path>), no "$" and no
 * final "@" (modifiers). So "v2.3" and "release-2026.11" are valid names.
 */
void
check_ref_name(const char *kind, const char *name)
{
	size_t		len = strlen(name);
	const char *why = NULL;

	if (len == 0 || len > LK_MAX_REF_NAME)
		why = psprintf("it has 1 to %d bytes", LK_MAX_REF_NAME);
	else if (strcmp(name, "@") == 0)
		why = "\"@\" alone is not a name";
	else if (name[0] == '.' || name[0] == '-')
		why = "it does not start with \".\" or \"-\"";
	else if (name[len - 1] == '.' || name[len - 1] == '@' ||
			 (len >= 5 && strcmp(name + len - 5, ".lock") == 0))
		why = "it does not end with \".\", \"@\" or \".lock\"";
	else if (strstr(name, "..") || strstr(name, "@{"))
		why = "it has no \"..\" and no \"@{\"";
	for (size_t i = 0; why == NULL && i < len; i++)
	{
		unsigned char c = (unsigned char) name[i];

		if (c < 0x20 || c == 0x7f || strchr(" ~^:?*[\\/$", c) != NULL)
			why = "it has no control character, space or any of ~ ^ : ? * [ \\ / $";
	}
	if (why)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid %s name \"%s\"", kind, name),
				 errdetail("A %s name follows git's ref-name rules: %s.", kind, why),
				 errhint("For example: \"experiment-1\" or \"v2.3\".")));
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

/*
 * check_entry_header: an entry's checksum or content type is sent as an HTTP
 * header (ETag, Content-Type) by the S3 gateway and by presigned reads, so
 * value[0..len) may hold no CR, LF or NUL (ERRCODE_INVALID_PARAMETER_VALUE,
 * naming what and the entry's path, never the value).
 */
void
check_entry_header(const char *what, const char *path, const char *value, size_t len)
{
	if (value != NULL && !s3_header_value_ok(value, len))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of \"%s\" must not contain carriage return, line feed or NUL "
						"characters", what, path),
				 errdetail("It is sent in an HTTP header, which such a character would end.")));
}
