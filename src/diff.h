/*-------------------------------------------------------------------------
 *
 * diff.h
 *		Streaming differences between two trees, and between a branch's
 *		staging area and its committed tree.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_DIFF_H
#define LAKEFS_DIFF_H

#include "catalog.h"
#include "manifest.h"
#include "refs.h"
#include "staging.h"

typedef enum DiffType
{
	DIFF_ADDED,					/* only on the right */
	DIFF_REMOVED,				/* only on the left */
	DIFF_CHANGED,				/* on both sides, different */
	DIFF_PREFIX_CHANGED,		/* changes below a common prefix (a delimiter) */
	DIFF_CONFLICT				/* three-dot: changed differently on both sides */
} DiffType;

/*
 * One difference. left/right are NULL for the side where the path is
 * absent; they point into the iterator and stay valid until its next call.
 */
typedef struct DiffRecord
{
	DiffType	type;
	const LakefsEntry *left;
	const LakefsEntry *right;
} DiffRecord;

/* One side of a tree diff: a range descriptor head, or an open range. */
typedef struct DiffSide
{
	TreeReader *tree;
	uint32		next;			/* index of the next range to open */
	bool		open;			/* a range is open and e is its current entry */
	bytea	   *data;
	RangeReader reader;
	LakefsEntry e;
} DiffSide;

typedef struct TreeDiff
{
	DiffSide	l;
	DiffSide	r;
	char	   *prefix;
	uint32		prefix_len;
	bool		advance_l;		/* the last record used l.e: step it first */
	bool		advance_r;
	int64		ranges_skipped; /* equal range pairs passed unread */
} TreeDiff;

/* Point lookups of ascending paths in one tree, one range open at a time. */
typedef struct TreeProbe
{
	TreeReader *tree;
	int64		cur;			/* index of the open range, -1 for none */
	bytea	   *data;
	RangeReader reader;
	LakefsEntry e;
	bool		have_e;
} TreeProbe;

/* The staged changes of one side of a RefDiff, read in ascending order. */
typedef struct OverlaySide
{
	StagingCursor *cursor;		/* NULL when the side is not a branch */
	const LkStagedEntry *s;		/* the current change, NULL past the end */
	bool		advance;		/* step past s at the next call */
} OverlaySide;

typedef enum RefDiffMode
{
	REF_DIFF_TWO_DOT,			/* left_ref -> right_ref */
	REF_DIFF_THREE_DOT			/* merge base -> right_ref, conflicts with left */
} RefDiffMode;

/*
 * The diff of two refs as lakefs_diff shows it: trees diffed range by range,
 * each branch side overlaid with its staged changes, optionally collapsed by
 * a delimiter and started after a path.
 */
typedef struct RefDiff
{
	LkRepo	   *repo;
	TreeDiff	tree;			/* left tree -> right tree */
	bool		tree_live;		/* the trees differ: the tree diff runs */
	bool		have_t;
	DiffRecord	t;				/* the tree diff's current record */
	bool		advance_t;
	OverlaySide ls;
	OverlaySide rs;
	TreeProbe	base;			/* the left tree, for paths only staging changed */
	LakefsEntry base_e;
	char	   *prefix;
	uint32		prefix_len;
	char	   *start;			/* paths before start (or equal to it, unless
								 * start_incl) are skipped; NULL for none */
	uint32		start_len;
	bool		start_incl;
	char	   *delimiter;		/* NULL for none */
	uint32		delimiter_len;
	char	   *common;			/* the path of the last prefix_changed row */
	/* three-dot: the left ref (the merge's destination), looked up per row */
	bool		three_dot;
	TreeProbe	dest;
	OverlaySide ds;
	LakefsEntry dest_e;
} RefDiff;

/* One record of a RefDiff: path is set for every type (prefix_changed too). */
typedef struct RefDiffRecord
{
	DiffType	type;
	const char *path;
	uint32		path_len;
	const LakefsEntry *left;
	const LakefsEntry *right;
} RefDiffRecord;

/* diff.c */
extern bool entries_equal(const LakefsEntry *a, const LakefsEntry *b);
extern void tree_diff_init(TreeDiff *d, TreeReader *left, TreeReader *right,
						   const char *prefix);
extern bool tree_diff_next(TreeDiff *d, DiffRecord *rec);
extern void tree_diff_seek(TreeDiff *d, const char *key, uint32 len);
extern void tree_diff_end(TreeDiff *d);

extern void tree_probe_init(TreeProbe *p, TreeReader *tree);
extern bool tree_probe(TreeProbe *p, const char *path, uint32 len, LakefsEntry *out);
extern void tree_probe_end(TreeProbe *p);


extern const char *diff_type_name(DiffType t);

/* ref_diff.c */
extern void ref_diff_init(RefDiff *d, LkRepo *repo, const char *left_ref,
						  const char *right_ref, RefDiffMode mode, const char *prefix,
						  const char *delimiter, const char *after);
extern void ref_diff_init_uncommitted(RefDiff *d, LkRepo *repo, const char *branch,
									  const char *prefix, const char *after);
extern void ref_diff_init_trees(RefDiff *d, LkRepo *repo, const uint8 *left,
								const uint8 *right);
extern bool ref_diff_next(RefDiff *d, RefDiffRecord *rec);
extern void ref_diff_end(RefDiff *d);

#endif							/* LAKEFS_DIFF_H */
