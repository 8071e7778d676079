# test/t/diff_merge_model.py — randomized model test of diff, merge, revert and
# cherry-pick.
#
# Builds random histories (branches, commits of sparse and dense changes,
# merges with every strategy, reverts, cherry-picks) over thousands of paths
# and checks every result against a model that shares no code with the C:
#
#   - lakefs_diff(a, b) equals a plain-SQL FULL OUTER JOIN of lakefs_ls(a) and
#     lakefs_ls(b) (same rows, same order), with and without a prefix; a
#     branch side may hold staged changes (lakefs_ls reads them too);
#   - lakefs_diff with a delimiter equals the full diff collapsed in Python
#     (one prefix_changed row per common prefix);
#   - paging: the pages of lakefs_diff(after, amount) concatenated equal the
#     full diff, and the page after every row (or a sample of 60 rows of a
#     long diff, and after paths not in the diff) is the model's slice; also
#     with a delimiter;
#   - lakefs_diff(mode => 'three-dot') equals a Python diff of the merge
#     base's tree (the model's own walk) and the right tree, a path being a
#     conflict when the left tree changed it to something else;
#   - lakefs_diff_uncommitted(branch) equals the FULL OUTER JOIN of
#     lakefs_ls('branch@') and lakefs_ls('branch');
#   - a merge's outcome (no-op, fast-forward, merge commit, conflict error) and
#     resulting tree equal a Python three-way model over the trees of the merge
#     base (found by its own walk of the commit graph), the source and the
#     destination; lakefs_merge_conflicts lists exactly the model's conflicts;
#   - revert and cherry-pick equal the same model over their trees;
#   - a squash merge (squash => true) makes one commit whose only parent is
#     the destination head and whose tree is the model's merge tree and the
#     tree a real merge commit of the same refs gets; its diff against the
#     head is the source's changes (the model's diff of the two trees);
#   - a commit's tree is the model's: the staged view, except that a staged
#     entry with the committed entry's content keeps the committed entry; a
#     commit whose staged entries change no content is refused (55000);
#
# Entries are compared by content, as lakeFS's entry identity (size, checksum,
# content type, user metadata; no content type = '', no metadata = {}), never by
# physical address or last-modified time: random changes re-upload present
# entries at new addresses and times, and change only content types or
# metadata at the same address.
#   - lakefs_log's filters (paths, prefixes, first_parent, exclude, max_count)
#     equal a Python walk of the commit graph that compares every reachable
#     commit's entries under the path with its first parent's (read with
#     lakefs_ls, not from the history index).
#
# TAP output; the seed is printed first and on failure (LAKEFS_MODEL_SEED sets
# it, LAKEFS_MODEL_STEPS the number of random operations). The tree shape:
# LAKEFS_MODEL_RANGE_BITS and LAKEFS_MODEL_NODE_BITS set pg_lakefs.range_size_bits
# and pg_lakefs.index_node_size_bits (tiny values make trees of many levels:
# test/t/tree_levels.sh), LAKEFS_MODEL_FORMATS ("1,2") writes each commit and
# merge in a metarange format picked at random from the list, so trees of
# format 1 and 2 are diffed and merged with each other.
import os
import random
import sys
import time

import psycopg

SEED = int(os.environ.get("LAKEFS_MODEL_SEED", str(random.randrange(1 << 30))))
STEPS = int(os.environ.get("LAKEFS_MODEL_STEPS", "300"))
REPO = "model"
UNIVERSE = 10000          # paths that may exist
INITIAL = 6000            # paths in the first commit
MTIME = "2026-01-01 00:00:00+00"
RANGE_BITS = os.environ.get("LAKEFS_MODEL_RANGE_BITS")
NODE_BITS = os.environ.get("LAKEFS_MODEL_NODE_BITS")
FORMATS = os.environ.get("LAKEFS_MODEL_FORMATS", "").split(",") if os.environ.get(
    "LAKEFS_MODEL_FORMATS") else []

rng = random.Random(SEED)
counts = {"diff": 0, "diff_prefix": 0, "uncommitted": 0, "merge": 0, "squash": 0,
          "commit": 0, "empty_commit": 0, "reupload": 0,
          "conflict": 0, "revert": 0, "cherry_pick": 0, "staged_side": 0,
          "delimiter": 0, "paging": 0, "page_boundaries": 0, "three_dot": 0,
          "three_dot_conflict": 0, "log_filter": 0, "log_filter_rows": 0,
          "history_index": 0}


class Failure(Exception):
    pass


def path_of(i):
    return "d%02d/f%05d" % (i % 40, i)


def fail(what, detail):
    raise Failure("%s: %s" % (what, detail))


def ident(f):
    """an entry's content identity (lakeFS's: size, checksum, content type,
    user metadata) from tree() fields; None for an absent entry"""
    if f is None:
        return None
    return (f[1], f[2], "" if f[4] in ("-", "") else f[4], "" if f[5] in ("-", "{}") else f[5])


def idents(tree):
    return {p: ident(f) for p, f in tree.items()}


class Model:
    def __init__(self, conn):
        self.conn = conn
        self.cur = conn.cursor()
        self.branches = ["main"]

    def q(self, sql, *args):
        self.cur.execute(sql, args)
        return self.cur.fetchall()

    def q1(self, sql, *args):
        return self.q(sql, *args)[0][0]

    def head(self, branch):
        return self.q1("SELECT head_commit FROM lakefs_branches WHERE repository = %s "
                       "AND branch = %s", REPO, branch)

    def tree(self, ref):
        """ref's entries as {path: fields} (fetched as one text value: fast)"""
        text = self.q1("SELECT string_agg(concat_ws(E'\\t', path, physical_address, size, "
                       "checksum, extract(epoch FROM last_modified), "
                       "coalesce(content_type, '-'), coalesce(metadata::text, '-')), "
                       "E'\\n' ORDER BY path) FROM lakefs_ls(%s, %s)", REPO, ref)
        if not text:
            return {}
        tree = {}
        for line in text.split("\n"):
            fields = line.split("\t")
            tree[fields[0]] = tuple(fields[1:])
        return tree

    # ---- writing ----

    def stage(self, branch, upserts, deletes):
        if upserts:
            self.cur.execute("TRUNCATE stage_in")
            with self.cur.copy("COPY stage_in (path, physical_address, size, checksum, "
                               "last_modified, content_type, metadata) FROM STDIN") as cp:
                for u in upserts:
                    cp.write_row(tuple(u) + (MTIME, None, None)[len(u) - 4:])
            self.q("SELECT lakefs_stage_objects(%s, %s, 'SELECT * FROM stage_in')",
                   REPO, branch)
        for p in deletes:
            self.q("SELECT lakefs_delete_object(%s, %s, %s)", REPO, branch, p)

    def random_change(self, branch, reupload_only=False):
        committed = self.tree(branch + "@")
        present = sorted(committed)
        kind = 1.0 if reupload_only else rng.random()
        k = rng.choice([1, 2, 5, 20, 150])
        upserts, deletes = [], []
        if kind < 0.15:
            # a dense block rewrite: a contiguous run of paths
            start = rng.randrange(UNIVERSE)
            n = rng.choice([300, 1500])
            ids = [(start + j) % UNIVERSE for j in range(n)]
            tag = rng.randrange(1 << 20)
            upserts = [(path_of(i), "blk-%d-%d" % (tag, i), i, "b%d" % tag) for i in ids]
        else:
            for _ in range(k):
                r = 0.35 if reupload_only else rng.random()
                if r < 0.3 and present:
                    deletes.append(rng.choice(present))
                elif r < 0.42 and present:
                    # the same content uploaded again: a new address and time
                    p = rng.choice(present)
                    f = committed[p]
                    md = None if f[5] == "-" else f[5]
                    if md is None and rng.random() < 0.3:
                        md = "{}"           # an empty map is no metadata
                    upserts.append((p, "re-%d-%s" % (rng.randrange(1 << 30), p), int(f[1]), f[2],
                                    "2026-0%d-0%d 00:00:00+00" % (rng.randrange(1, 10),
                                                                  rng.randrange(1, 10)),
                                    None if f[4] == "-" else f[4], md))
                    counts["reupload"] += 1
                elif r < 0.47 and present:
                    # the same bytes with another content type or metadata
                    p = rng.choice(present)
                    f = committed[p]
                    upserts.append((p, "ct-%d-%s" % (rng.randrange(1 << 30), p), int(f[1]), f[2],
                                    MTIME, rng.choice([None, "text/csv"]),
                                    rng.choice([None, '{"k": "%d"}' % rng.randrange(3)])))
                elif r < 0.55:
                    # a value another branch may pick too: identical changes
                    i = rng.randrange(UNIVERSE)
                    upserts.append((path_of(i), "same-%d" % i, 7, "s"))
                else:
                    i = rng.randrange(UNIVERSE)
                    upserts.append((path_of(i), "v%d-%d" % (rng.randrange(1 << 30), i),
                                    rng.randrange(1000), "c"))
        up_paths = {u[0] for u in upserts}
        deletes = sorted(set(deletes) - up_paths)
        dedup = {}
        for u in upserts:
            dedup[u[0]] = u
        self.stage(branch, list(dedup.values()), deletes)

    def commit(self, branch):
        self.check_uncommitted(branch)
        head, staged = self.tree(branch + "@"), self.tree(branch)
        # a staged entry with the committed content keeps the committed entry
        want = {p: head[p] if ident(head.get(p)) == ident(f) else f for p, f in staged.items()}
        empty = idents(want) == idents(head)
        what = "commit on %s" % branch
        try:
            self.q("SELECT lakefs_commit(%s, %s, 'random change')", REPO, branch)
        except psycopg.errors.ObjectNotInPrerequisiteState:
            if not empty:
                fail(what, "refused as empty, but the model changes content")
            self.q("SELECT lakefs_reset(%s, %s)", REPO, branch)
            counts["empty_commit"] += 1
            return
        if empty:
            fail(what, "committed, but the model has no content change")
        self.check_tree(branch, want, what)
        counts["commit"] += 1

    # ---- checks ----

    JOIN_MODEL = """
        SELECT CASE WHEN l.path IS NULL THEN 'added' WHEN r.path IS NULL
                    THEN 'removed' ELSE 'changed' END,
               coalesce(l.path, r.path), l.physical_address, r.physical_address,
               l.size, r.size, l.checksum, r.checksum
        FROM (SELECT * FROM lakefs_ls(%(repo)s, %(left)s, %(prefix)s)) l
        FULL OUTER JOIN (SELECT * FROM lakefs_ls(%(repo)s, %(right)s, %(prefix)s)) r
            ON l.path = r.path
        WHERE (l.path IS NULL) <> (r.path IS NULL)
           OR (l.size, l.checksum, coalesce(l.content_type, ''),
               coalesce(nullif(l.metadata::text, '{}'), ''))
              IS DISTINCT FROM
              (r.size, r.checksum, coalesce(r.content_type, ''),
               coalesce(nullif(r.metadata::text, '{}'), ''))"""

    def compare(self, got_sql, args, what):
        """got_sql's rows, in their order, against JOIN_MODEL ordered by path"""
        cols = "n, change, path, la, ra, ls, rs, lc, rc"
        sql = """WITH g AS (SELECT %s FROM %s WITH ORDINALITY
                            AS x(change, path, la, ra, ls, rs, lc, rc, n)),
                      w AS (SELECT row_number() OVER (ORDER BY path COLLATE "C") AS n,
                                   change, path, la, ra, ls, rs, lc, rc
                            FROM (%s) AS x(change, path, la, ra, ls, rs, lc, rc))
                 SELECT count(g.n), count(w.n),
                        min(coalesce(g.path, w.path)) FILTER (WHERE g IS DISTINCT FROM w)
                 FROM g FULL JOIN w ON g.n = w.n""" % (cols, got_sql, self.JOIN_MODEL)
        ngot, nwant, bad = self.qd(sql, args)[0]
        if bad is not None or ngot != nwant:
            fail(what, "%d rows, model %d; first difference at %r" % (ngot, nwant, bad))

    def qd(self, sql, args):
        self.cur.execute(sql, args)
        return self.cur.fetchall()

    def check_diff(self, left, right, prefix=""):
        args = {"repo": REPO, "l": left, "r": right, "prefix": prefix,
                "left": left, "right": right}
        self.compare("lakefs_diff(%(repo)s, %(l)s, %(r)s, %(prefix)s)", args,
                     "diff %s..%s prefix %r" % (left, right, prefix))
        counts["diff_prefix" if prefix else "diff"] += 1

    # ---- delimiter, paging, three-dot against Python ----

    def diff_rows(self, left, right, prefix="", **kw):
        """lakefs_diff's (change, path) rows, in their order"""
        extra = "".join(", %s => %%(%s)s" % (k, k) for k in kw)
        args = dict(kw, repo=REPO, l=left, r=right, prefix=prefix)
        return [tuple(r) for r in self.qd(
            "SELECT change, path FROM lakefs_diff(%%(repo)s, %%(l)s, %%(r)s, %%(prefix)s%s)"
            % extra, args)]

    @staticmethod
    def two_trees(ltree, rtree, prefix=""):
        rows = []
        for p in sorted(set(ltree) | set(rtree), key=lambda x: x.encode()):
            if not p.startswith(prefix) or ident(ltree.get(p)) == ident(rtree.get(p)):
                continue
            rows.append(("added" if p not in ltree else "removed" if p not in rtree
                         else "changed", p))
        return rows

    @staticmethod
    def collapse(rows, prefix, delimiter):
        out = []
        for change, p in rows:
            rest = p[len(prefix):]
            i = rest.find(delimiter)
            if i < 0:
                out.append((change, p))
                continue
            cp = prefix + rest[:i + len(delimiter)]
            if not out or out[-1] != ("prefix_changed", cp):
                out.append(("prefix_changed", cp))
        return out

    def check_delimiter(self, left, right):
        prefix = rng.choice(["", "", "d0", "d%02d/" % rng.randrange(40)])
        delimiter = rng.choice(["/", "/", "0", "f0"])
        want = self.collapse(self.two_trees(self.tree(left), self.tree(right), prefix),
                             prefix, delimiter)
        got = self.diff_rows(left, right, prefix, delimiter=delimiter)
        if got != want:
            fail("diff %s..%s delimiter %r prefix %r" % (left, right, delimiter, prefix),
                 "%r, model %r" % (got[:5], want[:5]))
        counts["delimiter"] += 1
        return prefix, delimiter

    def check_pages(self, left, right, raw, prefix="", delimiter=None):
        """pages concatenated = the full diff; the page after sampled rows and
        paths (raw: the diff without a delimiter; with one, rows after a path
        under a common prefix collapse into that prefix again, as S3's
        StartAfter)"""
        full = self.collapse(raw, prefix, delimiter) if delimiter else raw
        what = "pages of %s..%s prefix %r delimiter %r" % (left, right, prefix, delimiter)
        k = rng.choice([1, 2, 7, 50])
        kw = {"delimiter": delimiter} if delimiter else {}
        pages, after = [], None
        while True:
            page = self.diff_rows(left, right, prefix, after=after, amount=k, **kw)
            if len(page) > k:
                fail(what, "a page of %d rows for amount %d" % (len(page), k))
            pages += page
            if len(page) < k or len(pages) > len(full):
                break
            after = page[-1][1]
        if pages != full:
            fail(what, "pages (amount %d) %r, model %r" % (k, pages[:5], full[:5]))
        counts["paging"] += 1
        idx = range(len(full)) if len(full) <= 150 else rng.sample(range(len(full)), 60)
        for i in idx:
            if self.diff_rows(left, right, prefix, after=full[i][1], amount=k,
                              **kw) != full[i + 1:i + 1 + k]:
                fail(what, "the page after %r (amount %d)" % (full[i][1], k))
            counts["page_boundaries"] += 1
        for _ in range(5):
            x = path_of(rng.randrange(UNIVERSE))[:rng.randrange(1, 11)]
            want = [r for r in raw if r[1].encode() > x.encode() and r[1].startswith(prefix)
                    and not (delimiter and x.endswith(delimiter) and r[1].startswith(x))]
            want = (self.collapse(want, prefix, delimiter) if delimiter else want)[:k]
            if self.diff_rows(left, right, prefix, after=x, amount=k, **kw) != want:
                fail(what, "the page after %r (amount %d)" % (x, k))
            counts["page_boundaries"] += 1

    def check_three_dot(self, left, right):
        g_l = self.q1("SELECT lakefs_resolve_ref(%s, %s)", REPO, left)
        g_r = self.q1("SELECT lakefs_resolve_ref(%s, %s)", REPO, right)
        base = self.merge_base(g_l, g_r)
        btree, rtree, ltree = self.tree(base), self.tree(right), self.tree(left)
        want = []
        for change, p in self.two_trees(btree, rtree):
            if ident(ltree.get(p)) not in (ident(btree.get(p)), ident(rtree.get(p))):
                change = "conflict"
                counts["three_dot_conflict"] += 1
            want.append((change, p))
        got = self.diff_rows(left, right, mode="three-dot")
        if got != want:
            fail("three-dot diff %s...%s" % (left, right), "%r, model %r" % (got[:5], want[:5]))
        counts["three_dot"] += 1

    def reachable(self, g, head, first_parent):
        seen, stack = set(), [head]
        while stack:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            stack.extend(g[x][1][:1] if first_parent else g[x][1])
        return seen

    def entries_under(self, commit, prefix, exact):
        rows = self.q("SELECT path, size, checksum, coalesce(content_type, ''), "
                      "coalesce(nullif(metadata::text, '{}'), '') "
                      "FROM lakefs_ls(%s, %s, %s)", REPO, commit, prefix)
        return [r for r in rows if not exact or r[0] == prefix]

    def check_log(self):
        g = self.graph()
        ref = self.random_ref()
        head = self.q1("SELECT lakefs_resolve_ref(%s, %s)", REPO, ref)
        first_parent = rng.random() < 0.3
        exclude = self.random_ref() if rng.random() < 0.3 else None
        kind = rng.choice(["path", "prefix"])
        i = rng.randrange(UNIVERSE)
        what = path_of(i) if kind == "path" else rng.choice(["d%02d/" % (i % 40), "d%d" % (i % 4)])
        max_count = rng.choice([None, 1, 3, 10])
        commits = self.reachable(g, head, first_parent)
        if exclude:
            commits -= self.reachable(g, self.q1("SELECT lakefs_resolve_ref(%s, %s)", REPO,
                                                 exclude), first_parent)
        want = []
        for c in sorted(commits, key=lambda c: (g[c][3], g[c][2], c), reverse=True):
            parents = g[c][1]
            mine = self.entries_under(c, what, kind == "path")
            theirs = self.entries_under(parents[0], what, kind == "path") if parents else []
            if mine != theirs:
                want.append(c)
        if max_count is not None:
            want = want[:max_count]
        arg = "paths" if kind == "path" else "prefixes"
        got = [r[0] for r in self.q(
            "SELECT id FROM lakefs_log(%%s, %%s, max_count => %%s, %s => ARRAY[%%s], "
            "first_parent => %%s, exclude => %%s)" % arg,
            REPO, ref, max_count, what, first_parent, exclude)]
        if got != want:
            fail("log %s %s=%r first_parent=%s exclude=%s max=%s" % (
                ref, arg, what, first_parent, exclude, max_count),
                "%d commits %r, model %d %r" % (len(got), got[:3], len(want), want[:3]))
        counts["log_filter"] += 1
        counts["log_filter_rows"] += len(got)

    def check_history_index(self):
        """every commit's history index rows are the paths of its diff against
        its first parent (commits, merges, reverts and cherry-picks write them
        from the changes they applied, not from a diff)"""
        for c, row in self.graph().items():
            got = sorted(r[0] for r in self.q(
                "SELECT p.path FROM lakefs.commit_paths p JOIN lakefs.repositories r "
                "ON r.id = p.repo_id WHERE r.name = %s AND p.commit_id = %s", REPO, c))
            want = sorted(r[0] for r in self.q(
                "SELECT path FROM lakefs_diff(%s, %s, %s)", REPO, row[1][0], c)) \
                if row[1] else []
            if got != want:
                fail("history index of %s" % c, "%d paths %r, diff %d %r"
                     % (len(got), got[:3], len(want), want[:3]))
            counts["history_index"] += 1

    def check_extras(self):
        left, right = self.random_ref(), self.random_ref()
        full = self.two_trees(self.tree(left), self.tree(right))
        if rng.random() < 0.3:
            self.check_pages(left, right, full)
        prefix, delimiter = self.check_delimiter(left, right)
        if rng.random() < 0.2:
            self.check_pages(left, right, self.two_trees(self.tree(left), self.tree(right), prefix),
                             prefix, delimiter)
        self.check_three_dot(self.random_ref(), self.random_ref())

    def check_uncommitted(self, branch):
        args = {"repo": REPO, "b": branch, "prefix": "", "left": branch + "@", "right": branch}
        self.compare("lakefs_diff_uncommitted(%(repo)s, %(b)s)", args,
                     "uncommitted diff of %s" % branch)
        counts["uncommitted"] += 1

    def random_ref(self):
        b = rng.choice(self.branches)
        r = rng.random()
        if r < 0.2:
            n = rng.randrange(1, 4)
            try:
                return self.q1("SELECT lakefs_resolve_ref(%s, %s)", REPO, "%s~%d" % (b, n))
            except psycopg.errors.InvalidParameterValue:
                return b
        return b

    # ---- the commit graph model ----

    def graph(self):
        rows = self.q("SELECT id, parents, created_at, generation FROM lakefs_commits "
                      "WHERE repository = %s", REPO)
        return {r[0]: r for r in rows}

    def ancestors(self, g, c):
        seen, stack = set(), [c]
        while stack:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            stack.extend(g[x][1])
        return seen

    def merge_base(self, a, b):
        g = self.graph()
        common = self.ancestors(g, a) & self.ancestors(g, b)
        if not common:
            return None
        return max(common, key=lambda c: (g[c][3], g[c][2], c))

    @staticmethod
    def three_way(base, source, dest, strategy):
        result = dict(dest)
        conflicts = []
        for p in sorted(set(base) | set(source)):
            b, s, d = ident(base.get(p)), ident(source.get(p)), ident(dest.get(p))
            if b == s or d == s:
                continue            # no change, or already there: dest keeps its entry
            if d != b:
                conflicts.append(p)
                if strategy != "source-wins":
                    continue
            if s is None:
                del result[p]
            else:
                result[p] = source[p]
        return result, conflicts

    def check_tree(self, ref, want, what):
        got = self.tree(ref)
        if got != want:
            keys = sorted(set(got) | set(want))
            bad = [k for k in keys if got.get(k) != want.get(k)][:5]
            fail(what, "tree differs from the model at %r" % bad)

    def merge(self):
        src = self.random_ref()
        dest = rng.choice(self.branches)
        strategy = rng.choice([None, None, "source-wins", "dest-wins"])
        ff = rng.random() < 0.7
        squash = rng.random() < 0.3
        head = self.head(dest)
        src_id = self.q1("SELECT lakefs_resolve_ref(%s, %s)", REPO, src)
        base = self.merge_base(head, src_id)
        what = "merge %s into %s (%s, ff=%s, squash=%s)" % (src, dest, strategy, ff, squash)
        if src_id == head or base == src_id:
            got = self.q1("SELECT lakefs_merge(%s, %s, %s, strategy => %s, fast_forward => %s, "
                          "squash => %s)", REPO, src, dest, strategy, ff, squash)
            if got != head or self.head(dest) != head:
                fail(what, "expected a no-op")
            counts["merge"] += 1
            return
        if base == head and ff and not squash:
            self.q("SELECT lakefs_merge(%s, %s, %s, strategy => %s)", REPO, src, dest, strategy)
            if self.head(dest) != src_id:
                fail(what, "expected a fast-forward")
            counts["merge"] += 1
            return
        want, conflicts = self.three_way(self.tree(base), self.tree(src_id), self.tree(head),
                                         strategy)
        listed = [r[0] for r in self.q("SELECT path FROM lakefs_merge_conflicts(%s, %s, %s)",
                                       REPO, src, dest)]
        if listed != conflicts:
            fail(what, "conflicts %r, model %r" % (listed[:5], conflicts[:5]))
        if conflicts and strategy is None:
            try:
                self.q("SELECT lakefs_merge(%s, %s, %s, squash => %s)", REPO, src, dest, squash)
            except psycopg.Error as e:
                if e.sqlstate != "LK001" or ("has %d conflicting" % len(conflicts)) not in str(e):
                    fail(what, "unexpected error %s %s" % (e.sqlstate, e))
                if self.head(dest) != head:
                    fail(what, "a failed merge moved the head")
                counts["conflict"] += 1
                return
            fail(what, "expected a conflict error")
        new = self.q1("SELECT lakefs_merge(%s, %s, %s, strategy => %s, fast_forward => %s, "
                      "squash => %s)", REPO, src, dest, strategy, ff, squash)
        parents = self.q1("SELECT parents FROM lakefs_commits WHERE repository = %s AND id = %s",
                          REPO, new)
        if parents != ([head] if squash else [head, src_id]):
            fail(what, "parents %r are not %s" % (parents, "(dest head)" if squash
                                                  else "(dest head, source)"))
        self.check_tree(new, want, what)
        if squash:
            self.check_squash(src, src_id, head, new, strategy, want, what)
        counts["merge"] += 1

    def check_squash(self, src, src_id, head, new, strategy, want, what):
        """a squash commit: its tree is the one a real merge commit of the
        same refs gets, its diff against the head is the source's changes,
        and the source is not its ancestor"""
        self.q("SELECT lakefs_create_branch(%s, 'squash-check', %s)", REPO, head)
        real = self.q1("SELECT lakefs_merge(%s, %s, 'squash-check', strategy => %s, "
                       "fast_forward => false)", REPO, src, strategy)
        if self.tree(real) != self.tree(new):
            fail(what, "the squash tree differs from the merge commit's tree")
        self.q("SELECT lakefs_delete_branch(%s, 'squash-check')", REPO)
        if self.diff_rows(head, new) != self.two_trees(self.tree(head), want):
            fail(what, "the squash commit's diff is not the model's changes")
        if self.q1("SELECT lakefs_is_ancestor(%s, %s, %s)", REPO, src_id, new):
            fail(what, "the source is an ancestor of the squash commit")
        counts["squash"] += 1

    def pick_or_revert(self, revert):
        branch = rng.choice(self.branches)
        ref = self.random_ref()
        c = self.q1("SELECT lakefs_resolve_ref(%s, %s)", REPO, ref)
        parents = self.q1("SELECT parents FROM lakefs_commits WHERE repository = %s "
                          "AND id = %s", REPO, c)
        if not parents:
            return
        head = self.head(branch)
        ctree, ptree = self.tree(c), self.tree(parents[0])
        base, source = (ctree, ptree) if revert else (ptree, ctree)
        dtree = self.tree(head)
        want, conflicts = self.three_way(base, source, dtree, None)
        fn = "lakefs_revert" if revert else "lakefs_cherry_pick"
        what = "%s %s on %s" % (fn, ref, branch)
        try:
            new = self.q1("SELECT %s(%%s, %%s, %%s, parent_number => 1)" % fn, REPO, branch, c)
        except psycopg.Error as e:
            if conflicts and e.sqlstate == "LK001":
                pass
            elif not conflicts and idents(want) == idents(dtree) and e.sqlstate == "55000":
                pass
            else:
                fail(what, "unexpected error %s %s" % (e.sqlstate, e))
            if self.head(branch) != head:
                fail(what, "a failed %s moved the head" % fn)
            counts["revert" if revert else "cherry_pick"] += 1
            return
        if conflicts or idents(want) == idents(dtree):
            fail(what, "expected an error (conflicts %r)" % conflicts[:5])
        self.check_tree(new, want, what)
        counts["revert" if revert else "cherry_pick"] += 1

    # ---- the random walk ----

    def step(self):
        if FORMATS:
            self.q("SELECT set_config('pg_lakefs.metarange_format', %s, false)",
                   rng.choice(FORMATS))
        r = rng.random()
        if r < 0.08 and len(self.branches) < 8:
            name = "b%d" % len(self.branches)
            self.q("SELECT lakefs_create_branch(%s, %s, %s)", REPO, name, self.random_ref())
            self.branches.append(name)
        elif r < 0.46:
            b = rng.choice(self.branches)
            self.random_change(b)
            self.commit(b)
        elif r < 0.50:
            # only the same bytes uploaded again: no content change to commit
            b = rng.choice(self.branches)
            self.random_change(b, reupload_only=True)
            self.commit(b)
        elif r < 0.75:
            self.merge()
        elif r < 0.82:
            self.pick_or_revert(True)
        elif r < 0.88:
            self.pick_or_revert(False)
        for _ in range(4):
            self.check_diff(self.random_ref(), self.random_ref())
        self.check_diff(self.random_ref(), self.random_ref(), "d%02d/" % rng.randrange(40))
        self.check_diff(self.random_ref(), self.random_ref(), "d1")
        if rng.random() < 0.5:
            self.check_extras()
        if rng.random() < 0.08:
            self.check_log()
        if rng.random() < 0.25:
            # a branch side with staged changes, then the staging dropped again
            b = rng.choice(self.branches)
            self.random_change(b)
            for _ in range(2):
                refs = [b, self.random_ref()]
                rng.shuffle(refs)
                self.check_diff(*refs)
            self.check_extras()
            self.check_three_dot(b, self.random_ref())
            self.check_three_dot(self.random_ref(), b)
            self.check_uncommitted(b)
            self.q("SELECT lakefs_reset(%s, %s)", REPO, b)
            counts["staged_side"] += 1


def setup():
    admin = psycopg.connect(dbname="postgres", autocommit=True)
    admin.execute("DROP DATABASE IF EXISTS lakefs_model")
    admin.execute("CREATE DATABASE lakefs_model")
    if RANGE_BITS:
        admin.execute("ALTER DATABASE lakefs_model SET pg_lakefs.range_size_bits = %d"
                      % int(RANGE_BITS))
    if NODE_BITS:
        admin.execute("ALTER DATABASE lakefs_model SET pg_lakefs.index_node_size_bits = %d"
                      % int(NODE_BITS))
    admin.close()
    conn = psycopg.connect(dbname="lakefs_model", autocommit=True)
    conn.execute("CREATE EXTENSION pg_lakefs")
    conn.execute("CREATE TEMP TABLE stage_in (path text, physical_address text, "
                 "size bigint, checksum text, last_modified timestamptz DEFAULT '%s', "
                 "content_type text, metadata jsonb)" % MTIME)
    conn.execute("SELECT lakefs_create_repository(%s, 's3://bucket/model')", (REPO,))
    m = Model(conn)
    m.stage("main", [(path_of(i), "init-%d" % i, i, "i") for i in range(INITIAL)], [])
    m.commit("main")
    return m


def main():
    print("# seed %d, %d steps" % (SEED, STEPS), flush=True)
    t0 = time.time()
    m = setup()
    n = 0
    try:
        for _ in range(STEPS):
            m.step()
        m.check_history_index()
    except Failure as f:
        print("not ok 1 - model test: %s" % f)
        print("# seed %d (rerun with LAKEFS_MODEL_SEED=%d)" % (SEED, SEED))
        print("1..1")
        return 1
    for name, what in [("diff", "diffs equal the FULL OUTER JOIN of the two trees"),
                       ("diff_prefix", "diffs under a prefix equal the join"),
                       ("uncommitted", "uncommitted diffs equal the join of branch@ and branch"),
                       ("merge", "merges equal the three-way model"),
                       ("squash", "squash merges: one parent, the real merge's tree, the source's changes"),
                       ("commit", "commit trees equal the model (same content keeps the committed entry)"),
                       ("empty_commit", "commits of no content change are refused as the model says"),
                       ("reupload", "same-content re-uploads were staged"),
                       ("conflict", "conflicting merges fail with LK001 and list the model's paths"),
                       ("revert", "reverts equal the model"),
                       ("cherry_pick", "cherry-picks equal the model"),
                       ("staged_side", "diffs with staged changes on a branch side equal the join"),
                       ("delimiter", "delimiter diffs equal the collapsed model"),
                       ("paging", "pages concatenated equal the full diff"),
                       ("page_boundaries", "the page after a row or path is the model's slice"),
                       ("three_dot", "three-dot diffs equal the merge-base model"),
                       ("three_dot_conflict", "three-dot conflict rows matched the model"),
                       ("log_filter", "log filters equal the model that reads every commit"),
                       ("log_filter_rows", "log filter rows were compared"),
                       ("history_index", "history index rows equal each commit's first-parent diff")]:
        n += 1
        ok = counts[name] > 0
        print("%s %d - %d %s" % ("ok" if ok else "not ok", n, counts[name], what))
        if not ok:
            print("# seed %d" % SEED)
    if NODE_BITS or FORMATS:
        # the trees were as deep, and of the formats, the run meant them to be
        levels, v1 = m.q("""SELECT (SELECT coalesce(max(level), 0) FROM lakefs.index_nodes),
            (SELECT count(*) FROM lakefs.metaranges WHERE substr(data, 1, 4) = '\\x4c4b4d01')""")[0]
        n += 1
        ok = levels >= 3 if NODE_BITS else True
        ok = ok and (v1 > 0 if "1" in FORMATS else True)
        print("%s %d - trees had index nodes up to level %d; %d metaranges of format 1"
              % ("ok" if ok else "not ok", n, levels, v1))
    total = sum(counts.values())
    print("# %d cases in %.1f s" % (total, time.time() - t0))
    print("1..%d" % n)
    return 0 if all(counts[k] > 0 for k in counts) and ok else 1


if __name__ == "__main__":
    sys.exit(main())
