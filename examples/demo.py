#!/usr/bin/env python3
"""examples/demo.py — the lakeFS + MinIO parallel-experiments workflow, with
PostgreSQL as the catalog.

1. register the object store (a lakefs_s3 server and a user mapping),
2. fill s3://sample-data/digits/ with an image data set,
3. create repository lakefs-minio-demo on s3://example/lakefs-minio-demo,
4. zero-copy import of the data set into raw/ on branch ingest,
5. train experiments in parallel, one process, session and branch each,
   writing artifacts/model.pkl, config/params.json, metrics/metrics.json,
   logging the training loss per epoch (lakefs_log_metric),
6. rank the experiments with SQL (lakefs_experiments), compare the winner's
   parameters with the runner-up's, merge the winner into main,
7. show the diff the merge brought and prove nothing was copied,
8. reproduce an experiment from its commit id after ingest moved on.

Connection: the usual PG* environment variables. Object store: the
LAKEFS_S3_* variables (test/run and `make demo` set them). With --tap it
prints TAP lines for the test harness; it always exits non-zero when a check
fails.
"""
import json
import multiprocessing
import os
import pickle
import sys
import time

import psycopg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import digits_data  # noqa: E402

REPO = "lakefs-minio-demo"
SERVER = "minio"
SOURCE = "s3://sample-data/digits/"
EXPERIMENTS = [  # branch, optimizer, epochs
    ("experiment-1", "adam", 30),
    ("experiment-2", "sgd", 30),
    ("experiment-3", "adam", 8),
]
TAP = "--tap" in sys.argv
checks = []


def say(msg=""):
    print(("# " + msg) if TAP else msg, flush=True)


def check(cond, desc):
    checks.append(cond)
    if TAP:
        print("%s %d - %s" % ("ok" if cond else "not ok", len(checks), desc), flush=True)
    elif not cond:
        print("CHECK FAILED: " + desc, flush=True)


def connect():
    return psycopg.connect(os.environ.get("LAKEFS_DEMO_DSN", ""), autocommit=True)


def setup(conn):
    """The foreign server, its user mapping and the two buckets."""
    env = os.environ
    if not conn.execute("SELECT 1 FROM pg_foreign_server WHERE srvname = %s", (SERVER,)).fetchone():
        conn.execute("CREATE SERVER %s FOREIGN DATA WRAPPER lakefs_s3 OPTIONS (endpoint '%s', region '%s', url_style 'path')"
                     % (SERVER, env["LAKEFS_S3_ENDPOINT"], env.get("LAKEFS_S3_REGION", "us-east-1")))
        conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER %s OPTIONS (access_key_id '%s', secret_access_key '%s')"
                     % (SERVER, env["LAKEFS_S3_ACCESS_KEY"], env["LAKEFS_S3_SECRET_KEY"]))
    for bucket in ("sample-data", "example"):
        try:
            conn.execute("SELECT lakefs_s3_create_bucket(%s, %s)", (SERVER, bucket))
        except psycopg.Error:
            pass  # exists


def bucket_counts(conn):
    return {b: conn.execute("SELECT count(*) FROM lakefs_list_objects(%s, %s)", (SERVER, "s3://%s/" % b)).fetchone()[0]
            for b in ("sample-data", "example")}


def read_tree(conn, ref, prefix):
    """{path relative to prefix: bytes} of every object under prefix at ref."""
    rows = conn.execute("SELECT path, lakefs_get_object(%s, %s, path) FROM lakefs_ls(%s, %s, %s)",
                        (REPO, ref, REPO, ref, prefix))
    return {p[len(prefix):]: bytes(data) for p, data in rows}


def run_experiment(spec):
    """One experiment: its own process, session and branch."""
    branch, optimizer, epochs = spec
    t0 = time.time()
    with connect() as conn:
        conn.execute("SELECT lakefs_create_branch(%s, %s, 'ingest')", (REPO, branch))
        files = read_tree(conn, branch, "raw/")
        model, params, metrics = digits_data.train(files, optimizer, epochs)
        for path, data, ctype in (("artifacts/model.pkl", model, "application/octet-stream"),
                                  ("config/params.json", digits_data.as_json(params), "application/json"),
                                  ("metrics/metrics.json", digits_data.as_json(metrics), "application/json")):
            conn.execute("SELECT lakefs_put_object(%s, %s, %s, %s, %s)", (REPO, branch, path, data, ctype))
        # the training loss per epoch, staged on the branch: the commit takes it
        for step, loss in enumerate(pickle.loads(model).loss_curve_, start=1):
            conn.execute("SELECT lakefs_log_metric(%s, %s, 'train_loss', %s, step => %s)",
                         (REPO, branch, float(loss), step))
        # numbers stay numbers in the metadata, so they compare as numbers
        meta = {"optimizer": optimizer, "epochs": epochs,
                "accuracy": metrics["accuracy"], "loss": metrics["loss"]}
        commit = conn.execute("SELECT lakefs_commit(%s, %s, %s, %s)",
                              (REPO, branch, "train %s, %d epochs" % (optimizer, epochs), json.dumps(meta))).fetchone()[0]
    return branch, commit, metrics, params["inputs_sha256"], time.time() - t0


def main():
    conn = connect()
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_lakefs")
    setup(conn)
    n = digits_data.upload_sample_data(conn, SERVER, SOURCE)
    say("sample data: %d objects under %s" % (n, SOURCE))
    if conn.execute("SELECT 1 FROM lakefs_repositories WHERE name = %s", (REPO,)).fetchone():
        # a rerun: drop the repository and its namespace marker, which would
        # otherwise keep the namespace taken (one namespace, one repository)
        conn.execute("SELECT lakefs_delete_repository(%s)", (REPO,))
        conn.execute("SELECT lakefs_s3_delete(%s, 's3://example/lakefs-minio-demo/_lakefs/dummy')", (SERVER,))
    conn.execute("SELECT lakefs_create_repository(%s, 's3://example/lakefs-minio-demo', server => %s)", (REPO, SERVER))
    before = bucket_counts(conn)

    # zero-copy import into ingest
    conn.execute("SELECT lakefs_create_branch(%s, 'ingest', 'main')", (REPO,))
    t = time.time()
    conn.execute("SELECT lakefs_import(%s, 'ingest', ARRAY[%s], 'raw/', 'import digits')", (REPO, SOURCE))
    imported = conn.execute("SELECT count(*) FROM lakefs_ls(%s, 'ingest', 'raw/')", (REPO,)).fetchone()[0]
    listed = conn.execute("SELECT count(*) FROM lakefs_list_objects(%s, %s)", (SERVER, SOURCE)).fetchone()[0]
    say("imported %d objects into ingest:raw/ in %.2f s" % (imported, time.time() - t))
    check(imported == listed, "the import count equals the listing count (%d)" % imported)

    # experiments in parallel: separate processes and sessions
    t = time.time()
    with multiprocessing.get_context("spawn").Pool(len(EXPERIMENTS)) as pool:
        results = pool.map(run_experiment, EXPERIMENTS)
    say("trained %d experiments in parallel in %.1f s" % (len(results), time.time() - t))
    for branch, commit, metrics, _, secs in results:
        say("  %-13s %s  accuracy %.4f  loss %.4f  (%.1f s)" % (branch, commit[:12], metrics["accuracy"], metrics["loss"], secs))

    # compare with SQL: one row per experiment, ranked by the accuracy in its
    # newest commit with metrics (numbers compare as numbers, no metrics last)
    ranking = conn.execute("""
        SELECT branch, metadata->>'optimizer', (metadata->'epochs')::int,
               (metadata->'accuracy')::numeric, (metadata->'loss')::numeric
        FROM lakefs_experiments(%s, 'experiment-%%', order_by => 'accuracy desc')""",
                           (REPO,)).fetchall()
    say("ranking (SELECT ... FROM lakefs_experiments(..., order_by => 'accuracy desc')):")
    for r in ranking:
        say("  %-13s optimizer=%-4s epochs=%-3s accuracy=%s loss=%s" % r)
    by_file = conn.execute("""
        SELECT branch FROM lakefs_experiments(%s, 'experiment-%%')
        ORDER BY (lakefs_get_json(%s, branch, 'metrics/metrics.json')->'accuracy')::numeric DESC NULLS LAST, branch
        LIMIT 1""", (REPO, REPO)).fetchone()[0]
    winner = ranking[0][0]
    check(by_file == winner, "ranking by metrics/metrics.json agrees with the commit metadata (%s)" % winner)
    changed = conn.execute("SELECT key, left_value, right_value FROM lakefs_diff_json(%s, %s, %s, 'config/params.json')",
                           (REPO, winner, ranking[1][0])).fetchall()
    say("the winner's config/params.json against the runner-up's (lakefs_diff_json):")
    for key, left, right in changed:
        if key != "inputs_sha256":
            say("  %-10s %s -> %s" % (key, json.dumps(left), json.dumps(right)))
    curves = conn.execute("""SELECT branch, count(*), min(value) FROM lakefs_metrics
        WHERE repository = %s AND key = 'train_loss' AND commit_id IS NOT NULL GROUP BY branch ORDER BY branch""",
                          (REPO,)).fetchall()
    check(len(curves) == len(EXPERIMENTS) and all(n >= 1 for _, n, _ in curves),
          "every experiment's learning curve is in lakefs_metrics, committed with it")

    # promote the winner
    main_before = conn.execute("SELECT lakefs_resolve_ref(%s, 'main')", (REPO,)).fetchone()[0]
    win_meta = conn.execute("SELECT head_metadata FROM lakefs_branches WHERE repository = %s AND branch = %s",
                            (REPO, winner)).fetchone()[0]
    outcome, merged, npaths = conn.execute(
        "SELECT * FROM lakefs_merge_result(%s, %s, 'main', message => %s, metadata => %s, fast_forward => false)",
        (REPO, winner, "promote " + winner, json.dumps(win_meta))).fetchone()
    say("merged %s into main: %s %s, %d changed paths" % (winner, outcome, merged[:12], npaths))
    main_meta, parents = conn.execute("SELECT metadata, parents FROM lakefs_log(%s, 'main', 1)", (REPO,)).fetchone()
    check(main_meta.get("accuracy") == win_meta["accuracy"] and len(parents) == 2,
          "main's head is a merge commit whose metadata holds the winner's metrics")
    diff = conn.execute("""SELECT split_part(path, '/', 1) AS top, change, count(*)
        FROM lakefs_diff(%s, %s, 'main') GROUP BY 1, 2 ORDER BY 1, 2""", (REPO, main_before)).fetchall()
    say("the merge brought to main:")
    for top, change, cnt in diff:
        say("  %-10s %-8s %d" % (top + "/", change, cnt))
    main_files = {r[0] for r in conn.execute("SELECT path FROM lakefs_ls(%s, 'main')", (REPO,))}
    check({"artifacts/model.pkl", "config/params.json", "metrics/metrics.json"} <= main_files
          and sum(1 for p in main_files if p.startswith("raw/")) == imported,
          "main holds the data set, the model, its config and its metrics")
    model = conn.execute("SELECT lakefs_get_object(%s, 'main', 'artifacts/model.pkl')", (REPO,)).fetchone()[0]
    win_model = conn.execute("SELECT lakefs_get_object(%s, %s, 'artifacts/model.pkl')", (REPO, winner)).fetchone()[0]
    check(bytes(model) == bytes(win_model), "main's model is the winner's")

    after = bucket_counts(conn)
    written = len(EXPERIMENTS) * 3
    say("objects: sample-data %d -> %d, example %d -> %d (%d written by experiments)"
        % (before["sample-data"], after["sample-data"], before["example"], after["example"], written))
    check(after["sample-data"] == before["sample-data"], "import, branches and merge copied no object of the data set")
    check(after["example"] - before["example"] == written, "the namespace grew only by what the experiments wrote")

    # months later: ingest and main moved on; reproduce an experiment by commit id
    conn.execute("SELECT lakefs_s3_put(%s, %s, 'not an image')", (SERVER, SOURCE + "images/0/extra.png"))
    conn.execute("SELECT lakefs_import(%s, 'ingest', ARRAY[%s], 'raw/', 're-import')", (REPO, SOURCE))
    conn.execute("SELECT lakefs_delete_object(%s, 'main', 'raw/images/1/0001.png')", (REPO,))
    conn.execute("SELECT lakefs_commit(%s, 'main', 'drop a bad image')", (REPO,))
    branch, commit, metrics, digest, _ = next(r for r in results if r[0] == "experiment-2")
    files = read_tree(conn, commit, "raw/")
    check(digits_data.dataset_digest(files) == digest,
          "raw/ at %s's commit id is byte for byte the data it trained on" % branch)
    spec = next(e for e in EXPERIMENTS if e[0] == branch)
    _, _, again = digits_data.train(files, spec[1], spec[2])
    check(again["accuracy"] == metrics["accuracy"], "retraining from that commit reproduces accuracy %.4f" % metrics["accuracy"])
    conn.execute("SELECT lakefs_s3_delete(%s, %s)", (SERVER, SOURCE + "images/0/extra.png"))

    say("")
    say("%d checks, %d failed" % (len(checks), checks.count(False)))
    if TAP:
        print("1..%d" % len(checks))
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
