"""
Choosing layers with a grid search, without re-running the network
===================================================================

Which layers of a SampleCNN give the best features depends on the task. With
``memory`` set, :class:`sktag.SampleCNNFeatures` caches the pooled activations
of *every* layer for each clip, so a :class:`~sklearn.model_selection.GridSearchCV`
over ``layers`` (or ``pooling`` and ``aggregate``) runs the network once per
clip and then only selects columns from the cache.

.. note::

    ``SampleCNNFeatures()`` searches the shipped pretrained network
    (``samplecnn-3x9``). ``weights=None`` searches a randomly initialised
    network the same way; then ``random_state`` must be an int, so that every
    clone the grid search makes builds the same network and finds the same
    cache entries.

This script is not executed when the documentation is built.
"""

# %%
# Data: cello and flute notes from the Philharmonia samples
# ---------------------------------------------------------
# As in the quickstart: the shared data folder next to the repository, or
# ``SKTAG_SHARED_DATA``; clips no longer than one 3.69 s segment, 20 per
# instrument from the ``train`` split and 20 from the ``test`` split. sktag
# zero-pads a clip shorter than a segment and says so with a
# :class:`~sktag.audio.ShortClipWarning`; these notes are short on purpose, so
# the warning is silenced here.
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from sktag.audio import ShortClipWarning
from sktag.datasets import load_csv

warnings.filterwarnings("ignore", category=ShortClipWarning)

try:
    EXAMPLES = Path(__file__).resolve().parent
except NameError:  # sphinx-gallery and notebooks run examples from their folder
    EXAMPLES = Path.cwd()
DATA = Path(os.environ.get("SKTAG_SHARED_DATA") or EXAMPLES.parents[1].parent / "shared" / "data")
data = load_csv(DATA / "philharmonia" / "clips.csv", tag_column="instrument_group", split_column="split")
short = data.metadata["duration_s"].to_numpy() <= 3**10 / 16000  # at most one 16 kHz segment


def subset(split, per_group=20, groups=("cello", "flute")):
    rows = [
        i for g in groups for i in np.flatnonzero(short & (data.split == split) & (data.target_label == g))[:per_group]
    ]
    return list(data.paths[rows]), list(data.target_label[rows])


X_train, y_train = subset("train")
X_test, y_test = subset("test")

# %%
# The grid
# --------
# ``None`` is the default: the last three blocks (``block7``, ``block8``,
# ``block9`` of the 3^9 network). ``fc`` is the penultimate dense layer.
# Layers may also be given by position in ``layer_names``, negative from the
# end: ``-1`` is ``fc``, ``[-4, -3, -2]`` the last three blocks.
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktag import SampleCNNFeatures

cache = tempfile.mkdtemp(prefix="sktag-cache-")
pipe = make_pipeline(
    SampleCNNFeatures(memory=cache),  # the shipped samplecnn-3x9
    StandardScaler(),
    LogisticRegression(max_iter=1000),
)
param_grid = {
    "samplecnnfeatures__layers": [
        None,
        ("block9",),
        ("block8", "block9"),
        ("block4", "block5", "block6"),
        ("block1", "block2", "block3"),
        ("fc",),
    ]
}
search = GridSearchCV(pipe, param_grid, cv=StratifiedKFold(3, shuffle=True, random_state=0))

# %%
# 6 candidates x 3 folds plus the refit is 19 fits, each transforming the
# training clips; the network runs only on the first visit of each clip.
started = time.perf_counter()
search.fit(X_train, y_train)
print(f"grid search: {time.perf_counter() - started:.1f} s")

for layers, mean, std in zip(
    search.cv_results_["param_samplecnnfeatures__layers"],
    search.cv_results_["mean_test_score"],
    search.cv_results_["std_test_score"],
):
    print(f"{str(layers):34s} {mean:.3f} +/- {std:.3f}")
print("best:", search.best_params_)

# %%
# The test clips are new to the cache: the network runs once on each of them.
started = time.perf_counter()
print(f"test accuracy: {search.score(X_test, y_test):.3f} ({time.perf_counter() - started:.1f} s)")

shutil.rmtree(cache, ignore_errors=True)
