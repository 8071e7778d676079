/*-------------------------------------------------------------------------
 *
 * pg_lakefs.h
 *		Module-wide declarations: version, GUC variables.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LAKEFS_H
#define PG_LAKEFS_H

#define PG_LAKEFS_VERSION "0.1.0"

/* import.c */
extern int	lakefs_import_progress_interval;

/* pg_lakefs.c */
extern void _PG_init(void);

#endif							/* PG_LAKEFS_H */
