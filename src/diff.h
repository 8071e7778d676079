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
#include "staging.h"

typedef enum DiffType
{
	DIFF_ADDED,					/* only on the right */
	DIFF_REMOVED,				/* only on the left */
	DIFF_CHANGED				/* on both sides, different */
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

/* Staged changes of a branch against its committed tree. */
typedef struct StagingDiff
{
	StagingCursor *cursor;
	TreeProbe	head;
	char	   *prefix;
	uint32		prefix_len;
	LakefsEntry staged_e;
	LakefsEntry head_e;
} StagingDiff;

/* diff.c */
extern bool entries_equal(const LakefsEntry *a, const LakefsEntry *b);
extern void tree_diff_init(TreeDiff *d, TreeReader *left, TreeReader *right,
						   const char *prefix);
extern bool tree_diff_next(TreeDiff *d, DiffRecord *rec);
extern void tree_diff_end(TreeDiff *d);

extern void tree_probe_init(TreeProbe *p, TreeReader *tree);
extern bool tree_probe(TreeProbe *p, const char *path, uint32 len, LakefsEntry *out);
extern void tree_probe_end(TreeProbe *p);

extern void staging_diff_init(StagingDiff *d, LkRepo *repo, const char *branch,
							  TreeReader *head, const char *prefix);
extern bool staging_diff_next(StagingDiff *d, DiffRecord *rec);
extern void staging_diff_end(StagingDiff *d);

extern const char *diff_type_name(DiffType t);

#endif							/* LAKEFS_DIFF_H */
