/*-------------------------------------------------------------------------
 *
 * listing.h
 *		The entries of a ref: a tree, overlaid with a branch's staging.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_LISTING_H
#define LAKEFS_LISTING_H

#include "catalog.h"
#include "manifest.h"
#include "refs.h"
#include "staging.h"

typedef struct RefListing
{
	LkRepo	   *repo;
	TreeReader *tree;
	TreeIter	it;
	bool		have_tree;
	LakefsEntry tree_e;
	char	   *branch;			/* staging overlay, or NULL */
	StagingCursor *staging;
	const LkStagedEntry *staged;
	LakefsEntry staged_e;
	bool		advance_tree;	/* the last entry returned came from there */
	bool		advance_staging;
} RefListing;

/* listing.c */
extern RefListing *listing_open(LkRepo *repo, const LkRef *ref, const char *from);
extern bool listing_next(RefListing *l, LakefsEntry *e);
extern void listing_seek(RefListing *l, const char *from);
extern void listing_close(RefListing *l);
extern bool listing_lookup(LkRepo *repo, const LkRef *ref, const char *path,
						   LakefsEntry *e);
extern char *entry_full_address(LkRepo *repo, const LakefsEntry *e);

#endif							/* LAKEFS_LISTING_H */
