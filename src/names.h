/*-------------------------------------------------------------------------
 *
 * names.h
 *		Validation of repository, branch and tag names and of paths.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_NAMES_H
#define LAKEFS_NAMES_H

#define LK_MAX_PATH_BYTES 1024
#define LK_MAX_REF_NAME 256

/* names.c: each raises ERRCODE_INVALID_NAME / INVALID_PARAMETER_VALUE */
extern void check_repository_name(const char *name);
extern void check_ref_name(const char *kind, const char *name);
extern void check_path(const char *path);
extern void check_entry_header(const char *what, const char *path, const char *value,
							   size_t len);
extern char *lk_prefix_successor(const char *s, size_t len);

/* lk_has_dot_segment: s has a "." or ".." segment between slashes */
extern bool lk_has_dot_segment(const char *s);

#endif							/* LAKEFS_NAMES_H */
