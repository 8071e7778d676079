/*-------------------------------------------------------------------------
 *
 * pg_lakefs.h
 *		Module-wide declarations: version, GUC variables.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LAKEFS_H
#define PG_LAKEFS_H

/* PG_LAKEFS_VERSION comes from EXTVERSION in the Makefile, its one source. */
#ifndef PG_LAKEFS_VERSION
#error "build with the Makefile: it defines PG_LAKEFS_VERSION from EXTVERSION"
#endif

/* import.c: defines pg_lakefs.import_progress_interval */
extern void import_init(void);

/* pg_lakefs.c */
extern void _PG_init(void);

#endif							/* PG_LAKEFS_H */
