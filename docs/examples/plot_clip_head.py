"""
Your own tags for ``sktag tag``: a clip-level head on frozen features
=====================================================================

A linear model on :class:`sktag.SampleCNNFeatures` is the papers' transfer
recipe. :func:`sktag.training.save_clip_head` puts such a model inside a
checkpoint, as a *clip-level tag head*: then
:meth:`sktag.SampleCNNTagger.predict_proba` and the ``sktag tag`` command
print your tags for any audio file, with no scikit-learn pipeline to keep
beside the weights. The default weights tag with a head made this way (a ridge
onto musicnn's 50 MTT tags, fitted on 21 games' music).

This example fits one logistic regression per instrument on Philharmonia
notes, folds the feature scaling into its weights, saves the head on the
default network, and checks that the checkpoint's tags are the pipeline's
probabilities.
"""

# %%
# Data: four instruments, 30 training and 15 test notes each
# ----------------------------------------------------------
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sktag.datasets import load_csv

try:
    EXAMPLES = Path(__file__).resolve().parent
except NameError:  # sphinx-gallery and notebooks run examples from their folder
    EXAMPLES = Path.cwd()
DATA = Path(os.environ.get("SKTAG_SHARED_DATA") or EXAMPLES.parents[1].parent / "shared" / "data")
data = load_csv(DATA / "philharmonia" / "clips.csv", tag_column="instrument_group", split_column="split")
INSTRUMENTS = ["cello", "flute", "guitar", "trombone"]


def subset(split, per_instrument):
    rows = [
        i
        for name in INSTRUMENTS
        for i in np.flatnonzero((data.split == split) & (data.target_label == name))[:per_instrument]
    ]
    return list(data.paths[rows]), data.target_label[rows]


# Most notes are shorter than the network's 3.69 s segment: each is padded to one, and the features pool
# only the frames it reaches. The warning that says so is expected here.
from sktag.audio import ShortClipWarning

warnings.filterwarnings("ignore", category=ShortClipWarning)
X_train, y_train = subset("train", 30)
X_test, y_test = subset("test", 15)
print(f"{len(X_train)} training and {len(X_test)} test notes")

# %%
# One logistic regression per instrument on multi-level features
# --------------------------------------------------------------
# A head reads each layer's max and mean over time within a segment, averaged
# over the clip: ``pooling="max+mean"`` (and the default ``aggregate="mean"``).
# Blocks 3 to 9 are the default head's layers.
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler

from sktag import SampleCNNFeatures

layers = [f"block{i}" for i in range(3, 10)]
features = SampleCNNFeatures(layers=layers, pooling="max+mean")
F_train = features.fit_transform(X_train)
scaler = StandardScaler().fit(F_train)
model = OneVsRestClassifier(LogisticRegression(C=0.1, max_iter=2000)).fit(scaler.transform(F_train), y_train)
print("features:", F_train.shape, "classes:", [str(c) for c in model.classes_])

# %%
# The head: the scaler folded into the weights
# --------------------------------------------
# Each binary logistic regression gives ``sigmoid(w @ (x - mean) / scale + b)``:
# one row of ``coef`` and one ``intercept`` on the raw features. The checkpoint
# keeps the network's blocks; its tags become the instruments.
from sktag.training import SampleCNNTagger, save_clip_head

w = np.vstack([binary.coef_ for binary in model.estimators_]) / scaler.scale_
b = np.concatenate([binary.intercept_ for binary in model.estimators_]) - w @ scaler.mean_
work = tempfile.mkdtemp(prefix="sktag-clip-head-")
path = Path(work) / "instruments.pt"
save_clip_head(
    path, "default", layers, w, b, tags=[str(c) for c in model.classes_], meta={"training_data": "Philharmonia"}
)

tagger = SampleCNNTagger.from_checkpoint(path)
probabilities = tagger.predict_proba(X_test)
# each binary model's own probability (OneVsRestClassifier.predict_proba would rescale them to sum to 1)
Z_test = scaler.transform(features.transform(X_test))
expected = np.column_stack([binary.predict_proba(Z_test)[:, 1] for binary in model.estimators_])
print("largest difference from the pipeline (weights stored in fp16):", float(np.abs(probabilities - expected).max()))
accuracy = np.mean(tagger.classes_[probabilities.argmax(axis=1)] == y_test)
print(f"test accuracy of the checkpoint's top tag: {accuracy:.3f}")

# %%
# The same from the shell
# -----------------------
# ``sktag tag FILE --weights instruments.pt`` prints each file's top tags;
# here through :func:`sktag.cli.main`, as the shell would run it.
from sktag.cli import main

main(["tag", str(X_test[0]), str(X_test[-1]), "--weights", str(path), "--top", "2"])

# %%
# Each instrument's probability on the test notes
# -----------------------------------------------
fig, ax = plt.subplots(figsize=(6, 3.5))
image = ax.imshow(probabilities.T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
ax.set(
    yticks=range(len(tagger.classes_)),
    yticklabels=tagger.classes_,
    xlabel="test notes (15 per instrument, in the order of the tags)",
    title=f"Clip-level head on the default network: accuracy {accuracy:.2f}",
)
fig.colorbar(image, ax=ax, label="probability")
fig.tight_layout()
shutil.rmtree(work)
