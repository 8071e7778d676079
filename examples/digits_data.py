"""examples/digits_data.py — the sample data set and the model of the demo.

scikit-learn's bundled digits (1,797 8x8 grey images of 0-9, shipped with
Debian's python3-sklearn: no download) written out as PNG files plus a
labels file, the way an image data set sits in a bucket; and the small
training routine every experiment runs with its own parameters.
"""
import hashlib
import io
import json
import pickle

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier


def digit_files():
    """{key: bytes}: images/<label>/<n>.png for every digit, and labels.csv."""
    digits = load_digits()
    files = {}
    labels = ["file,label"]
    for n, (img, label) in enumerate(zip(digits.images, digits.target)):
        buf = io.BytesIO()
        Image.fromarray((img * 15).astype(np.uint8), mode="L").save(buf, format="PNG")
        key = "images/%d/%04d.png" % (label, n)
        files[key] = buf.getvalue()
        labels.append("%s,%d" % (key, label))
    files["labels.csv"] = ("\n".join(labels) + "\n").encode()
    return files


def upload_sample_data(conn, server, prefix):
    """Write the data set under prefix (s3://bucket/dir/) unless it is there."""
    files = digit_files()
    have = conn.execute("SELECT count(*) FROM lakefs_list_objects(%s, %s)", (server, prefix)).fetchone()[0]
    if have == len(files):
        return len(files)
    with conn.cursor() as cur:
        for key, data in files.items():
            cur.execute("SELECT lakefs_s3_put(%s, %s, %s)", (server, prefix + key, data))
    return len(files)


def decode_dataset(files):
    """X, y from {path: bytes} of images/<label>/<n>.png, in path order."""
    xs, ys = [], []
    for path in sorted(files):
        if not path.endswith(".png"):
            continue
        img = np.asarray(Image.open(io.BytesIO(files[path])), dtype=np.float64) / 15.0
        xs.append(img.reshape(-1))
        ys.append(int(path.split("/")[-2]))
    return np.array(xs), np.array(ys)


def dataset_digest(files):
    """SHA-256 over every (path, bytes) in path order: what "the same inputs" means."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode() + b"\0" + files[path])
    return h.hexdigest()


def train(files, optimizer, epochs, seed=7):
    """Train an MLP on the images; returns (model bytes, params, metrics)."""
    X, y = decode_dataset(files)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(hidden_layer_sizes=(64,), solver=optimizer, max_iter=epochs,
                              learning_rate_init=0.01 if optimizer == "sgd" else 0.001,
                              random_state=seed)
        model.fit(X_train, y_train)
    proba = model.predict_proba(X_test)
    params = {"optimizer": optimizer, "epochs": epochs, "hidden_layers": [64], "seed": seed,
              "inputs_sha256": dataset_digest(files)}
    metrics = {"accuracy": round(float(accuracy_score(y_test, model.predict(X_test))), 4),
               "loss": round(float(log_loss(y_test, proba, labels=list(range(10)))), 4),
               "train_images": int(len(X_train)), "test_images": int(len(X_test))}
    return pickle.dumps(model), params, metrics


def as_json(obj):
    return json.dumps(obj, indent=2, sort_keys=True).encode()
