"""
Bag-of-features and an MLP head: multi-label tags of orchestral notes
=====================================================================

:class:`sktag.BagOfFeatures` learns a dictionary of log-mel patches from the
training clips (no network to train) and describes each clip by how strongly
every atom appears in it; :class:`sktag.MLPTagger` is the paper's multi-layer
perceptron head (arXiv:1508.04999). Here they tag single notes of the
Philharmonia Orchestra samples with their instrument group and family at once:
a multi-label problem (each clip has one tag of each kind).
"""

# %%
# Data: instrument groups and families as one multi-hot matrix
# ------------------------------------------------------------
# 30 training and 15 test clips of each instrument group, from the ``split``
# column of ``clips.csv``.
import os
import time
from pathlib import Path

import numpy as np

from sktag.datasets import load_csv

try:
    EXAMPLES = Path(__file__).resolve().parent
except NameError:  # sphinx-gallery and notebooks run examples from their folder
    EXAMPLES = Path.cwd()
DATA = Path(os.environ.get("SKTAG_SHARED_DATA") or EXAMPLES.parents[1].parent / "shared" / "data")

data = load_csv(DATA / "philharmonia" / "clips.csv", tag_column="instrument_group", split_column="split")
groups = data.metadata["instrument_group"].to_numpy()
families = data.metadata["family"].to_numpy()
tags = sorted(set(groups)) + sorted(set(families))
Y = np.stack([(groups == t) | (families == t) for t in tags], axis=1).astype(int)


def subset(split, per_group):
    rows = [i for g in sorted(set(groups)) for i in np.flatnonzero((data.split == split) & (groups == g))[:per_group]]
    return list(data.paths[rows]), Y[rows]


X_train, Y_train = subset("train", 30)
X_test, Y_test = subset("test", 15)
print(f"{len(X_train)} training clips, {len(X_test)} test clips, {len(tags)} tags")

# %%
# The pipeline
# ------------
# A k-means dictionary of 256 atoms keeps this example to seconds; the defaults
# (1024 atoms learned by sparse coding) are what the benchmark measures.
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline

from sktag import BagOfFeatures, MLPTagger

started = time.perf_counter()
clf = make_pipeline(
    BagOfFeatures(256, dictionary="kmeans", max_iter=10, random_state=0),
    MLPTagger(random_state=0),
)
clf.fit(X_train, Y_train)
probabilities = clf.predict_proba(X_test)  # (n_clips, n_tags)
print(
    f"macro ROC-AUC: {roc_auc_score(Y_test, probabilities, average='macro'):.3f} "
    f"({time.perf_counter() - started:.0f} s)"
)

# %%
# What was learned
# ----------------
# The fitted transformer holds the whitening and the dictionary; the MLP's
# training curve is in its skorch history.
bof, mlp = clf[0], clf[-1]
print(f"{bof.n_patches_} patches drawn, {bof.n_components_} whitened dimensions, atoms {bof.atoms_.shape}")
print(f"MLP trained {len(mlp.history_)} epochs; best validation loss {min(mlp.history_[:, 'valid_loss']):.3f}")
top = np.argsort(-probabilities[0])[:3]
print(
    "first test clip:",
    X_test[0].rsplit("/", 1)[-1],
    "->",
    [(tags[i], round(float(probabilities[0, i]), 2)) for i in top],
)
