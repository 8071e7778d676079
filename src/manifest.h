/*-------------------------------------------------------------------------
 *
 * manifest.h
 *		Writing and reading trees: ranges chunked by content, metaranges,
 *		and an entry iterator over a whole tree.
 *
 * The manifests layer turns sorted entries into stored ranges (through the
 * catalog) and a metarange, and reads them back. It knows nothing about
 * branches or commits.
 *
 * Memory: every object here is palloc'd in the context current when it was
 * created (keys copied), and dies with it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_MANIFEST_H
#define LAKEFS_MANIFEST_H

#include "postgres.h"

#include "range_codec.h"

/* Builds a metarange from ranges, new or reused. */
typedef struct MetarangeBuilder
{
	int32		repo_id;
	RangeDesc  *descs;
	uint32		n;
	uint32		cap;
	int64		entries;
	int64		ranges_written; /* new ranges stored by this build */
	int64		ranges_reused;
} MetarangeBuilder;

/* Chunks a sorted stream of entries into ranges. */
typedef struct RangeWriter
{
	MetarangeBuilder *mb;
	RangeEncoder enc;
	StrBuf		buf;
	uint32		count;
	char	   *min_key;
	uint32		min_len;
	char		last_key[LK_PATH_MAX];
	uint32		last_len;
} RangeWriter;

/* A whole tree: its metarange decoded, ranges loaded on demand. */
typedef struct TreeReader
{
	int32		repo_id;
	uint8		id[LK_ID_LEN];
	bytea	   *raw;			/* the metarange bytes the descs point into */
	RangeDesc  *descs;
	uint32		n;
} TreeReader;

/* Entry-by-entry iteration over a tree, with seek. */
typedef struct TreeIter
{
	TreeReader *tree;
	uint32		next_range;		/* index of the range to load next */
	bool		in_range;
	bytea	   *range_data;		/* the last range fetched, kept for re-seeks */
	uint32		loaded;			/* its index */
	RangeReader reader;
	bool		has_pending;	/* seek decoded the next entry already */
	LakefsEntry pending;
} TreeIter;

/* manifest.c */
extern void manifest_init(void);	/* defines pg_lakefs.range_size_bits */
extern void metarange_builder_init(MetarangeBuilder *mb, int32 repo_id);
extern void metarange_builder_add(MetarangeBuilder *mb, const RangeDesc *d);
extern void metarange_builder_finish(MetarangeBuilder *mb, uint8 *id_out);

extern void range_writer_init(RangeWriter *rw, MetarangeBuilder *mb);
extern void range_writer_add(RangeWriter *rw, const LakefsEntry *e);
extern void range_writer_flush(RangeWriter *rw);

extern TreeReader *tree_open(int32 repo_id, const uint8 *metarange_id);
extern bytea *tree_load_range(TreeReader *t, uint32 i);
extern void tree_range_reader(bytea *data, RangeReader *r);
extern void tree_empty_metarange(int32 repo_id, uint8 *id_out);

extern void tree_iter_init(TreeIter *it, TreeReader *t);
extern void tree_iter_seek(TreeIter *it, const char *key, uint32 len);
extern bool tree_iter_next(TreeIter *it, LakefsEntry *e);
extern uint32 tree_find_range(TreeReader *t, const char *key, uint32 len);

extern void lakefs_codec_error(int rc, const char *what, const uint8 *id);

extern int64 lakefs_ranges_loaded;	/* ranges fetched and decoded so far */

#endif							/* LAKEFS_MANIFEST_H */
