/*-------------------------------------------------------------------------
 *
 * gc.h
 *		Garbage collection of a repository's objects, as lakeFS's GC:
 *		retention rules, the mark (gc.c), the sweep (gc.c), and the catalog
 *		statements behind them (gc_catalog.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_GC_H
#define LAKEFS_GC_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "range_codec.h"

/* What one run did; the row lakefs_gc returns. */
typedef struct GcStats
{
	int64		active_commits;
	int64		ranges_read;
	int64		candidates;
	int64		candidate_bytes;
	int64		deleted;
} GcStats;

/* gc.c */
extern PGDLLIMPORT int lakefs_gc_grace_minutes;
extern void gc_init(void);		/* defines pg_lakefs.gc_grace */
extern void gc_check_retention(Interval *iv, const char *what);
extern void gc_run(LkRepo *repo, bool dry_run, GcStats *st);
extern void gc_check_collected(LkRepo *repo, const char *path, const LakefsEntry *e);
extern void gc_purge_namespace(LkRepo *repo);

/* gc_catalog.c: the statements on lakefs.gc_* and the mark's temp tables */
extern void gc_catalog_set_rules(int32 repo_id, Interval *dflt, Jsonb *branches);
extern bool gc_catalog_get_rules(int32 repo_id, Interval *dflt, Jsonb **branches);
extern bool gc_catalog_try_lock(int32 repo_id);
extern int	gc_catalog_tagged(int32 repo_id, LkCommitId **commits);
extern int	gc_catalog_range_ids(int32 repo_id, uint8 **ids);
extern int	gc_catalog_metarange_ids(int32 repo_id, uint8 **ids);
extern void gc_catalog_writer_lock(int32 repo_id);
extern void gc_catalog_lock_writers(int32 repo_id);
extern void gc_catalog_delete_commits(int32 repo_id, TimestampTz cutoff, int64 *commits,
									  int64 *metaranges);
extern void gc_catalog_delete_ranges(int32 repo_id, const uint8 *ids, int n);
extern int	gc_catalog_index_node_ids(int32 repo_id, uint8 **ids);
extern void gc_catalog_delete_index_nodes(int32 repo_id, const uint8 *ids, int n);
extern void gc_catalog_begin_mark(void);
extern void gc_catalog_add_live(char **addresses, int n);
extern void gc_catalog_add_dead(char **addresses, int64 *sizes, int n);
extern void gc_catalog_add_listed(char **addresses, int64 *sizes, int n);
extern void gc_catalog_finish_mark(int32 repo_id, GcStats *st);
extern int	gc_catalog_unswept(int32 repo_id, const char *after, int limit,
							   char ***addresses);
extern void gc_catalog_mark_swept(int32 repo_id, char **addresses, int n);
extern bool gc_catalog_swept_at(int32 repo_id, const char *address, TimestampTz *at);
extern void gc_catalog_candidates(int32 repo_id, Tuplestorestate *ts, TupleDesc desc);

#endif							/* LAKEFS_GC_H */
