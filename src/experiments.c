/*-------------------------------------------------------------------------
 *
 * experiments.c
 *		Experiments as rows (lakefs_experiments' engine) and the report of
 *		what a merge did.
 *
 * An experiment is a branch. Its row shows the newest commit on the
 * branch's first-parent history whose metadata is not empty (a later
 * commit without metrics, such as "add notes", does not hide them), the
 * commit it forked from (its merge base with the default branch) and how
 * many first-parent commits it has since. Rows sort by one top-level
 * metadata key in jsonb's own order (numbers numerically, strings by text,
 * numbers before strings), missing keys and JSON nulls last whatever the
 * direction, ties by branch name.
 *
 * All memory is palloc'd in the caller's context; errors are ereport'ed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/jsonb.h"

#include "diff.h"
#include "experiments.h"
#include "manifest.h"
#include "metrics.h"
#include "refs.h"

/* a character of a metadata key in order_by */
static bool
key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '_' || c == '-' || c == '.' || c == ':' || c == '/';
}

static void order_error(const char *clause) pg_attribute_noreturn();

static void
order_error(const char *clause)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid order_by \"%s\"", clause),
			 errdetail("order_by is a metadata key, optionally followed by asc or desc."),
			 errhint("For example order_by => 'accuracy desc'; a key consists of letters, "
					 "digits and _ - . : /.")));
}

/*
 * experiment_order_parse: parse "<key> [asc|desc]" (case-insensitive
 * direction, any blanks around); NULL gives branch-name order. 22023 for
 * anything else. The key is never spliced into SQL: rows sort in C.
 */
void
experiment_order_parse(const char *clause, ExperimentOrder *out)
{
	const char *p = clause;
	const char *k;

	out->key = NULL;
	out->descending = false;
	if (clause == NULL)
		return;
	while (*p == ' ' || *p == '\t')
		p++;
	k = p;
	while (key_char(*p))
		p++;
	if (p == k || (*p != '\0' && *p != ' ' && *p != '\t'))
		order_error(clause);
	out->key = pnstrdup(k, p - k);
	while (*p == ' ' || *p == '\t')
		p++;
	if (pg_strncasecmp(p, "desc", 4) == 0)
	{
		out->descending = true;
		p += 4;
	}
	else if (pg_strncasecmp(p, "asc", 3) == 0)
		p += 3;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		order_error(clause);
}

/* the newest commit on head's first-parent history with metadata, or NULL */
static LkCommit *
newest_with_metadata(LkRepo *repo, const char *head)
{
	LkCommit   *c = refs_get_commit(repo, head);

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (JB_ROOT_COUNT(c->metadata) > 0)
			return c;
		if (c->nparents == 0)
			return NULL;
		c = refs_get_commit(repo, c->parents[0]);
	}
}

/* first-parent commits from head down to base (exclusive) */
static int32
commits_since(LkRepo *repo, const char *head, const char *base)
{
	LkCommit   *b = refs_get_commit(repo, base);
	LkCommit   *c = refs_get_commit(repo, head);
	int32		n = 0;

	while (strcmp(c->id, base) != 0 && c->generation > b->generation)
	{
		CHECK_FOR_INTERRUPTS();
		n++;
		if (c->nparents == 0)
			break;
		c = refs_get_commit(repo, c->parents[0]);
	}
	return n;
}

/* the sort key of an experiment: its value of the key, NULL when absent */
static Jsonb *
sort_value(const Experiment *e, const char *key)
{
	JsonbValue *v;

	if (e->commit == NULL || !JB_ROOT_IS_OBJECT(e->commit->metadata))
		return NULL;
	v = getKeyJsonValueFromContainer(&e->commit->metadata->root, key, strlen(key), NULL);
	if (v == NULL || v->type == jbvNull)
		return NULL;
	return JsonbValueToJsonb(v);
}

typedef struct SortItem
{
	Experiment *e;
	Jsonb	   *v;
} SortItem;

/* qsort_arg comparator; arg points to the bool "descending" */
static int
sort_cmp(const void *a, const void *b, void *arg)
{
	const SortItem *x = a;
	const SortItem *y = b;
	int			c;

	if (x->v == NULL || y->v == NULL)
		c = (x->v == NULL) - (y->v == NULL);	/* nulls last either way */
	else
	{
		c = compareJsonbContainers(&x->v->root, &y->v->root);
		if (*(const bool *) arg)
			c = -c;
	}
	return c != 0 ? c : strcmp(x->e->branch, y->e->branch);
}

/*
 * experiments_collect: the experiments of the branches matching the LIKE
 * pattern, sorted by order; *n gets their number. Reads commits through
 * refs_get_commit (cached: the rows are read-only).
 */
Experiment *
experiments_collect(LkRepo *repo, const char *pattern, const ExperimentOrder *order, int *n)
{
	char	  **names;
	LkCommitId *heads;
	LkCommitId	main_head;
	bool		have_main;
	Experiment *out;
	int			count;

	count = catalog_list_branches(repo->id, pattern, &names, &heads);
	have_main = catalog_get_branch(repo->id, repo->default_branch, BRANCH_LOCK_NONE,
								   main_head);
	out = palloc0(sizeof(Experiment) * (count + 1));
	for (int i = 0; i < count; i++)
	{
		Experiment *e = &out[i];

		e->branch = names[i];
		e->commit = newest_with_metadata(repo, heads[i]);
		e->has_base = have_main && refs_merge_base(repo, heads[i], main_head, e->base);
		if (e->has_base)
			e->commits_since = commits_since(repo, heads[i], e->base);
	}
	if (order->key != NULL && count > 1)
	{
		SortItem   *items = palloc(sizeof(SortItem) * count);
		Experiment *sorted = palloc0(sizeof(Experiment) * (count + 1));

		for (int i = 0; i < count; i++)
		{
			items[i].e = &out[i];
			items[i].v = sort_value(&out[i], order->key);
		}
		qsort_arg(items, count, sizeof(SortItem), sort_cmp, (void *) &order->descending);
		for (int i = 0; i < count; i++)
			sorted[i] = *items[i].e;
		out = sorted;
	}
	*n = count;
	return out;
}

/*
 * merge_changed_paths: how many paths differ between the committed trees of
 * two commits (as lakefs_diff counts them).
 */
int64
merge_changed_paths(LkRepo *repo, const char *from, const char *to)
{
	TreeDiff	d;
	DiffRecord	rec;
	int64		n = 0;

	if (strcmp(from, to) == 0)
		return 0;
	tree_diff_init(&d, tree_open(repo->id, refs_get_commit(repo, from)->metarange_id),
				   tree_open(repo->id, refs_get_commit(repo, to)->metarange_id), NULL);
	while (tree_diff_next(&d, &rec))
	{
		CHECK_FOR_INTERRUPTS();
		n++;
	}
	tree_diff_end(&d);
	return n;
}

/* merge_outcome_name: the outcome as lakefs_merge_result's outcome column */
const char *
merge_outcome_name(MergeOutcome o)
{
	switch (o)
	{
		case MERGE_FAST_FORWARD:
			return "fast-forward";
		case MERGE_COMMIT:
			return "merge commit";
		case MERGE_UP_TO_DATE:
			break;
	}
	return "already up to date";
}

/*
 * merge_report: raise the NOTICE that says what a merge did and return the
 * number of changed paths: for a merge commit the changes it took from the
 * source (counted by the merge itself: nothing more is read), for a
 * fast-forward the paths that differ between the old and the new head.
 */
int64
merge_report(LkRepo *repo, const char *source_ref, const char *dest,
			 const MergeResult *r, const char *new_head)
{
	int64		n = r->outcome == MERGE_COMMIT ? r->changes :
		merge_changed_paths(repo, r->old_head, new_head);

	if (r->outcome == MERGE_UP_TO_DATE)
		ereport(NOTICE,
				(errmsg("merge of \"%s\" into \"%s\": already up to date", source_ref, dest)));
	else
		ereport(NOTICE,
				(errmsg_plural("merge of \"%s\" into \"%s\": %s, " INT64_FORMAT " changed path",
							   "merge of \"%s\" into \"%s\": %s, " INT64_FORMAT " changed paths",
							   n, source_ref, dest, merge_outcome_name(r->outcome), n)));
	return n;
}
