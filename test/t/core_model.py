"""test/t/core_model.py — randomized model test of the versioning core.

Random histories (stage, delete, reset, commit, branch) over thousands of
paths, with small ranges (pg_lakefs.range_size_bits = 4, about 16 entries a
range) and tiny index nodes (pg_lakefs.index_node_size_bits = 1, about two
children a node: trees many levels deep), so that every commit touches,
reuses and re-chunks many ranges and nodes at every level; each commit is
written in metarange format 1 or 2 at random (LAKEFS_MODEL_FORMATS, default
"1,2"), so trees of both formats are read, changed and rewritten in the other
(LAKEFS_MODEL_NODE_BITS changes the node size). After
every commit the branch's listing must equal a Python model of the tree; at
the end every commit ever made is listed again and compared with the model's
snapshot of it. Then, with the default range size, a one-object commit on a
100k-entry tree must share all but at most two ranges with its parent and
write at most two index nodes per level of the tree.

Entries are compared as lakeFS's entry identity (size and checksum here; the
content type and metadata are never set): re-uploads stage present entries
again at new addresses, and a commit keeps the committed entry of a path whose
staged entry has its content; a commit that changes no content is refused.

Reproduce a failure with LAKEFS_TEST_SEED=<seed printed below>.
"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from lakefs_test import (ok, note, done, fresh_database, connect, seed_from_env,  # noqa: E402
                         expect_error)

seed = seed_from_env(random.randrange(1 << 30))
note("seed %d" % seed)
rng = random.Random(seed)
conninfo = fresh_database("lakefs_core_model")
conn = connect(conninfo)
conn.execute("SET pg_lakefs.range_size_bits = 4")
conn.execute("SET pg_lakefs.index_node_size_bits = %d"
             % int(os.environ.get("LAKEFS_MODEL_NODE_BITS", "1")))
FORMATS = os.environ.get("LAKEFS_MODEL_FORMATS", "1,2").split(",")
REPO = "model"
conn.execute("SELECT lakefs_create_repository(%s, 's3://bucket/model')", (REPO,))

dirs = ["a", "a/b", "a/b/c", "b", "data/x", "data/y", "z", "zz/top"]
paths = sorted({"%s/%s-%04d" % (rng.choice(dirs), rng.choice("pqrs"), rng.randrange(3000))
                for _ in range(6000)})


def ls(ref):
    rows = conn.execute(
        "SELECT path, physical_address, size, checksum FROM lakefs_ls(%s, %s)", (REPO, ref)).fetchall()
    return {p: (a.rsplit("/", 1)[-1], s, c) for p, a, s, c in rows}


committed = {"main": {}}       # branch -> committed model
staged = {"main": {}}          # branch -> {path: entry or None (tombstone)}
snapshots = {}                 # commit id -> model
gen = 0


def view(branch):
    t = dict(committed[branch])
    for p, e in staged[branch].items():
        if e is None:
            t.pop(p, None)
        else:
            t[p] = e
    return t


def stage_bulk(branch, entries):
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS batch (path text, physical_address text, "
                    "size bigint, checksum text)")
        cur.execute("TRUNCATE batch")
        with cur.copy("COPY batch FROM STDIN") as cp:
            for p, (a, s, c) in entries.items():
                cp.write_row((p, "data/" + a, s, c))
        cur.execute("SELECT lakefs_stage_objects(%s, %s, 'SELECT * FROM batch')", (REPO, branch))


mismatches = 0
commits = 0
reuploads = 0
empty_refused = 0
steps = int(os.environ.get("LAKEFS_MODEL_STEPS", "1000"))
branch = "main"
for step in range(steps):
    op = rng.random()
    if op < 0.35:
        # bulk upserts of a random slice
        n = rng.choice([1, 3, 20, 200, 1500])
        entries = {}
        for p in rng.sample(paths, n):
            gen += 1
            entries[p] = ("g%d" % gen, rng.randrange(10**6), "c%d" % gen)
        stage_bulk(branch, entries)
        staged[branch].update(entries)
    elif op < 0.50:
        # deletes of visible paths
        vis = sorted(view(branch))
        for p in rng.sample(vis, min(len(vis), rng.choice([1, 5, 50]))):
            conn.execute("SELECT lakefs_delete_object(%s, %s, %s)", (REPO, branch, p))
            staged[branch][p] = None
    elif op < 0.53:
        prefix = rng.choice(dirs) + "/"
        conn.execute("SELECT lakefs_reset(%s, %s, %s)", (REPO, branch, prefix))
        staged[branch] = {p: e for p, e in staged[branch].items() if not p.startswith(prefix)}
    elif op < 0.56:
        # the same content uploaded again at new addresses: no content change
        vis = view(branch)
        entries = {}
        for p in rng.sample(sorted(vis), min(len(vis), rng.choice([1, 5, 100]))):
            gen += 1
            entries[p] = ("re%d" % gen, vis[p][1], vis[p][2])
        clean = not staged[branch]
        stage_bulk(branch, entries)
        staged[branch].update(entries)
        reuploads += len(entries)
        if clean:
            # nothing else staged: committing it is refused as empty
            e = expect_error(conn, "SELECT lakefs_commit(%s, %s, 'same bytes')", (REPO, branch))
            if e is None or e.sqlstate != "55000":
                mismatches += 1
                ok(False, "a commit of re-uploads alone at step %d is refused" % step, str(e))
            else:
                empty_refused += 1
    elif op < 0.80:
        base = committed[branch]
        # a staged entry with the committed content keeps the committed entry
        want = {p: base[p] if p in base and base[p][1:] == e[1:] else e
                for p, e in view(branch).items()}
        if want == base:
            e = expect_error(conn, "SELECT lakefs_commit(%s, %s, %s)",
                             (REPO, branch, "step %d" % step))
            if staged[branch] and (e is None or e.sqlstate != "55000"):
                mismatches += 1
                ok(False, "a commit of no content change at step %d is refused" % step,
                   str(e))
            empty_refused += bool(staged[branch]) and e is not None and e.sqlstate == "55000"
            continue
        conn.execute("SELECT set_config('pg_lakefs.metarange_format', %s, false)",
                     (rng.choice(FORMATS),))
        cid = conn.execute("SELECT lakefs_commit(%s, %s, %s)",
                           (REPO, branch, "step %d" % step)).fetchone()[0]
        commits += 1
        committed[branch] = want
        staged[branch] = {}
        snapshots[cid] = want
        got = ls(branch)
        if got != want:
            mismatches += 1
            missing = set(want) - set(got)
            extra = set(got) - set(want)
            ok(False, "listing after commit at step %d equals the model" % step,
               "missing %s\nextra %s" % (sorted(missing)[:5], sorted(extra)[:5]))
    elif op < 0.88:
        name = "b%d" % step
        src = rng.choice(sorted(committed))
        conn.execute("SELECT lakefs_create_branch(%s, %s, %s)", (REPO, name, src))
        committed[name] = dict(committed[src])
        staged[name] = {}
        branch = name
    else:
        branch = rng.choice(sorted(committed))
    if step % 50 == 0:
        got = ls(branch)
        if got != view(branch):
            mismatches += 1
            ok(False, "branch listing with staging at step %d equals the model" % step)

ok(mismatches == 0, "%d commits over %d steps: every listing equals the model" % (commits, steps))
ok(reuploads > 0 and empty_refused > 0,
   "%d same-content re-uploads staged; %d commits of no content change refused (55000)"
   % (reuploads, empty_refused))

bad = [cid for cid, want in snapshots.items() if ls(cid) != want]
ok(not bad, "all %d commits still list as they were committed" % len(snapshots),
   "differing: %s" % bad[:3])

# prefix listings at a random commit equal the model filtered by prefix
if snapshots:
    cid = rng.choice(sorted(snapshots))
    bad_prefix = []
    for d in dirs:
        rows = conn.execute("SELECT path FROM lakefs_ls(%s, %s, %s)", (REPO, cid, d + "/")).fetchall()
        want = sorted(p for p in snapshots[cid] if p.startswith(d + "/"))
        if [r[0] for r in rows] != want:
            bad_prefix.append(d)
    ok(not bad_prefix, "prefix listings equal the model", "bad prefixes %s" % bad_prefix)

# delimiter listings of a branch with staged changes (rows and runs) equal
# the model's objects and common prefixes
def folded(tree, prefix):
    out = []
    for p in sorted(p for p in tree if p.startswith(prefix)):
        rest = p[len(prefix):]
        cp = prefix + rest.split("/", 1)[0] + "/" if "/" in rest else None
        item = (cp, "common_prefix") if cp else (p, "object")
        if not out or out[-1] != item:
            out.append(item)
    return out


late = {p: ("late%d" % i, i, "c") for i, p in enumerate(rng.sample(paths, 300))}
stage_bulk(branch, late)
staged[branch].update(late)
for p in rng.sample(sorted(view(branch)), 20):
    conn.execute("SELECT lakefs_delete_object(%s, %s, %s)", (REPO, branch, p))
    staged[branch][p] = None
bad_delim = []
want_tree = view(branch)
for prefix in [""] + [d + "/" for d in dirs] + ["a/b/", "data/"]:
    rows = conn.execute("SELECT path, path_type FROM lakefs_ls(%s, %s, %s, '/')", (REPO, branch, prefix)).fetchall()
    if [tuple(r) for r in rows] != folded(want_tree, prefix):
        bad_delim.append(prefix)
ok(not bad_delim, "delimiter listings with staged rows and runs equal the model", "bad prefixes %s" % bad_delim)

# stat agrees with the model at random points
cid = rng.choice(sorted(snapshots)) if snapshots else None
if cid:
    bad_stat = 0
    for p in rng.sample(paths, 200):
        row = conn.execute("SELECT size FROM lakefs_ls(%s, %s, %s) WHERE path = %s",
                           (REPO, cid, p, p)).fetchone()
        want = snapshots[cid].get(p)
        if (row is None) != (want is None) or (row and row[0] != want[1]):
            bad_stat += 1
    ok(bad_stat == 0, "point lookups agree with the model")

# paths after (and before) every path of deep trees: the rightmost nodes of
# such trees may have one child, so whole nodes are reused several levels
# above the ones the new ranges go to (a tree of 5,000 entries lost all but
# 147 of them this way once)
conn.execute("SET pg_lakefs.range_size_bits = 3")
conn.execute("SET pg_lakefs.index_node_size_bits = 1")
edge_bad = []
for n in (700, 2000, 5000, 7777):
    r = "edge-%d" % n
    conn.execute("SELECT lakefs_create_repository(%s, %s)", (r, "s3://bucket/" + r))
    conn.execute("""SELECT lakefs_stage_objects(%s, 'main', $$SELECT 'data/' || lpad(i::text, 6, '0')
        AS path, 'a-' || i AS physical_address, i AS size, 'c' AS checksum
        FROM generate_series(1, """ + str(n) + ")i$$)", (r,))
    conn.execute("SELECT lakefs_commit(%s, 'main', 'n')", (r,))
    want = n
    for k, p in enumerate(["zzz/%d" % j for j in range(3)] + ["aaa", "data/000001x", "zzz/9/last"]):
        conn.execute("SELECT lakefs_stage_object(%s, 'main', %s, 'x', 1, 'c')", (r, p))
        conn.execute("SELECT lakefs_commit(%s, 'main', %s)", (r, "edge %d" % k))
        want += 1
        got = conn.execute("SELECT count(*) FROM lakefs_ls(%s, 'main')", (r,)).fetchone()[0]
        if got != want:
            edge_bad.append("%s after %s: %d entries, want %d" % (r, p, got, want))
    problems = conn.execute("SELECT count(*) FROM lakefs_fsck(%s)", (r,)).fetchone()[0]
    if problems:
        edge_bad.append("%s: lakefs_fsck reports %d problems" % (r, problems))
ok(not edge_bad, "commits after the last and before the first path of deep trees keep every entry",
   edge_bad[:5])

# range reuse at the default range size, in a tree of small index nodes
conn.execute("RESET pg_lakefs.range_size_bits")
conn.execute("RESET pg_lakefs.metarange_format")
conn.execute("SET pg_lakefs.index_node_size_bits = 2")
conn.execute("SELECT lakefs_create_repository('reuse', 's3://bucket/reuse')")
conn.execute("""SELECT lakefs_stage_objects('reuse', 'main', $$
    SELECT format('images/%s/%s.jpg', g % 97, g) AS path, 'data/' || g AS physical_address,
           g AS size, md5(g::text) AS checksum FROM generate_series(1, 100000) g$$)""")
conn.execute("SELECT lakefs_commit('reuse', 'main', 'load 100k')")
total_bad = 0
nodes_bad = 0


def index_nodes():
    return conn.execute("""SELECT count(*), coalesce(max(level), 0) FROM lakefs.index_nodes n
        JOIN lakefs.repositories r ON r.id = n.repo_id WHERE r.name = 'reuse'""").fetchone()


for trial in range(5):
    nodes_before, top = index_nodes()
    g = rng.randrange(1, 100001)
    p = "images/%d/%d.jpg" % (g % 97, g)
    kind = trial % 3
    if kind == 0:
        conn.execute("SELECT lakefs_stage_object('reuse', 'main', %s, 'data/new', 1, 'x')", (p,))
    elif kind == 1:
        conn.execute("SELECT lakefs_delete_object('reuse', 'main', %s)", (p,))
    else:
        conn.execute("SELECT lakefs_stage_object('reuse', 'main', %s, 'data/new', 1, 'x')", (p + ".new",))
    conn.execute("SELECT lakefs_commit('reuse', 'main', 'one change')")
    n, new = conn.execute("""SELECT count(*), count(*) FILTER (WHERE p.id IS NULL)
        FROM lakefs_ranges('reuse', 'main') h LEFT JOIN lakefs_ranges('reuse', 'main~1') p USING (id)""").fetchone()
    new_nodes = index_nodes()[0] - nodes_before
    note("one-object commit (%s): %d ranges, %d new; %d new index nodes below a root of level %d"
         % (["update", "delete", "insert"][kind], n, new, new_nodes, top + 1))
    if new > 2 or n < 20:
        total_bad += 1
    if new_nodes > 2 * top or top < 2:
        nodes_bad += 1
ok(total_bad == 0, "one-object commits on a 100k tree share all but at most two ranges")
ok(nodes_bad == 0, "one-object commits on a 100k tree write at most two index nodes a level")

# appends (paths above every path of the tree): the parent's last range is
# reused when it holds at least the average range size (16 entries here),
# rewritten with the appended paths otherwise; every other range is shared.
# (Index nodes follow the same rule a level up, checked by fsck and the
# listings of the edge test above.)
conn.execute("SET pg_lakefs.range_size_bits = 4")
append_bad = []
sealed_seen = [0, 0]
for k in range(40):
    last = conn.execute("""SELECT id, entries FROM lakefs_ranges('reuse', 'main')
        ORDER BY max_path DESC LIMIT 1""").fetchone()
    conn.execute("""SELECT lakefs_stage_objects('reuse', 'main', $$SELECT
        format('zzz/run-%%s/step-%%s', lpad(%d::text, 3, '0'), lpad(j::text, 2, '0')) AS path,
        'data/run' AS physical_address, 1 AS size, 'r' AS checksum
        FROM generate_series(1, %d) j$$)""" % (k, rng.choice([1, 3, 9])))
    conn.execute("SELECT lakefs_commit('reuse', 'main', 'append')")
    kept, lost = conn.execute("""SELECT count(*) FILTER (WHERE h.id = %s),
        count(*) FILTER (WHERE h.id IS NULL) FROM lakefs_ranges('reuse', 'main~1') p
        LEFT JOIN lakefs_ranges('reuse', 'main') h USING (id)""", (last[0],)).fetchone()
    sealed = last[1] >= 16
    sealed_seen[sealed] += 1
    # (a smaller one is rewritten, which gives it back unchanged when it
    # ends at a boundary path)
    if (sealed and kept != 1) or lost > (0 if sealed else 1):
        append_bad.append("append %d: last range of %d entries kept %d, parent ranges lost %d"
                          % (k, last[1], kept, lost))
conn.execute("RESET pg_lakefs.range_size_bits")
problems = conn.execute("SELECT count(*) FROM lakefs_fsck('reuse')").fetchone()[0]
ok(not append_bad and problems == 0 and min(sealed_seen) > 0,
   "appends reuse a last range of at least the average size (%d times) and rewrite a smaller "
   "one (%d times); fsck finds %d problems" % (sealed_seen[1], sealed_seen[0], problems),
   append_bad[:5])

conn.close()
done()
