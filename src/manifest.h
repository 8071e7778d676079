/*-------------------------------------------------------------------------
 *
 * manifest.h
 *		Writing and reading trees: ranges chunked by content, metaranges,
 *		and an entry iterator over a whole tree.
 *
 * The manifests layer turns sorted entries into stored ranges (through the
 * catalog) and a tree of index nodes under a metarange (its root), and
 * reads them back. It knows nothing about
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

/* One level of a MetarangeBuilder: the children of the node being filled. */
typedef struct BuilderLevel
{
	RangeDesc  *descs;
	uint32		n;
	uint32		cap;
	int64		added;			/* descriptors ever added at this level */
} BuilderLevel;

/*
 * Builds a tree from ranges, new or reused, and from whole index nodes
 * reused by id. levels[0] holds the ranges of the level-1 node being
 * filled, levels[L] the level-L nodes of the level-(L+1) node being filled;
 * what is left at the top when the build finishes becomes the root.
 */
#define STORE_BATCH 64			/* new ranges (or index nodes) stored by one statement */

/* New ranges or index nodes of a build, not stored yet (manifest.c) */
typedef struct PendingObjects
{
	int			n;
	Size		bytes;
	uint8		ids[STORE_BATCH][LK_ID_LEN];
	bytea	   *data[STORE_BATCH];
	int32		levels[STORE_BATCH];	/* index nodes: their level */
	int64		entries[STORE_BATCH];
} PendingObjects;

typedef struct MetarangeBuilder
{
	int32		repo_id;
	int			format;			/* 1 or 2: pg_lakefs.metarange_format at init */
	BuilderLevel levels[LK_TREE_MAX_LEVEL];
	int64		entries;
	int64		ranges;			/* ranges in the tree */
	int64		ranges_written; /* new ranges stored by this build */
	int64		ranges_reused;
	int64		nodes_written;	/* index nodes encoded and stored */
	int64		nodes_reused;	/* nodes taken whole, by id */
	PendingObjects new_ranges;	/* stored in batches, all before the root */
	PendingObjects new_nodes;
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

/*
 * One node of a tree in memory: the root, or an index node as its parent
 * describes it. Its children are read (kids; sub for a node above level 1,
 * one TreeNode per child) only on first use. Keys point into the parent's
 * bytes.
 */
typedef struct TreeNode
{
	RangeDesc	desc;			/* id, bounds, entries, bytes, leaves */
	uint32		level;			/* 1: its children are ranges */
	uint32		first;			/* tree-wide index of its first range */
	bool		loaded;
	uint32		nkids;
	RangeDesc  *kids;			/* its children, once loaded */
	struct TreeNode *sub;		/* level > 1: a TreeNode per child */
	bytea	   *raw;			/* the bytes kids point into */
} TreeNode;

/*
 * A whole tree. Ranges are numbered 0..n-1 tree-wide in key order. Only the
 * root is read at open; an index node is read when something below it is
 * first needed (a range's descriptor, a seek, a node below it), so a diff
 * or a commit reads the nodes on the paths to what changed and nothing
 * else. ranges by tree_load_range.
 */
typedef struct TreeReader
{
	int32		repo_id;
	uint8		id[LK_ID_LEN];
	LkNodeKind	kind;			/* of the root: version 1 or 2 */
	uint32		height;			/* the root's level: 1 for one level */
	bytea	   *raw;			/* the root's bytes */
	uint32		n;				/* ranges in the tree */
	int64		entries;
	TreeNode	root;
	TreeNode   *last;			/* the level-1 node tree_desc used last */
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
extern bool metarange_builder_can_add_node(const MetarangeBuilder *mb, uint32 level);
extern void metarange_builder_add_node(MetarangeBuilder *mb, const TreeNode *node);
extern void metarange_builder_finish(MetarangeBuilder *mb, uint8 *id_out);

extern void range_writer_init(RangeWriter *rw, MetarangeBuilder *mb);
extern void range_writer_add(RangeWriter *rw, const LakefsEntry *e);
extern void range_writer_flush(RangeWriter *rw);

extern TreeReader *tree_open(int32 repo_id, const uint8 *metarange_id);
extern const RangeDesc *tree_desc(TreeReader *t, uint32 i);
extern const TreeNode *tree_node_at(TreeReader *t, uint32 i, uint32 level);
extern void tree_index_node_ids(TreeReader *t, void (*fn) (void *arg, const uint8 *id),
								void *arg);
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
