"""
Quickstart: features from audio files, and a classifier on them
===============================================================

:class:`sktag.SampleCNNFeatures` turns audio clips (file paths or 1-D
waveforms) into one row of features per clip, so it can be the first step of a
scikit-learn pipeline.

By default it runs the shipped pretrained network (``weights="default"``,
the basic 3^9 SampleCNN distilled from musicnn's MagnaTagATune tags, 16 kHz).
The end of this example compares it, on the same clips and classifier, with a
randomly initialised network of the same shape (``weights=None``) and with
MFCC statistics, so you can see what the pretrained weights buy.
"""

# %%
# Where the data is
# -----------------
# The clips come from the shared data folder that sits next to the repository
# (``../shared/data``); the environment variable ``SKTAG_SHARED_DATA`` can point
# at that ``data`` folder instead.
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from sktag.datasets import load_csv

try:
    EXAMPLES = Path(__file__).resolve().parent
except NameError:  # sphinx-gallery and notebooks run examples from their folder
    EXAMPLES = Path.cwd()
DATA = Path(os.environ.get("SKTAG_SHARED_DATA") or EXAMPLES.parents[1].parent / "shared" / "data")

# %%
# Features of one clip
# --------------------
# A 10 s stereo FLAC at 44.1 kHz: it is decoded, mixed down to mono,
# resampled to the network's 16 kHz and cut into segments of 3^10 = 59049
# samples (3.69 s): two segments, and the 2.62 s tail that does not fill a
# third is dropped.
# Each of the last three blocks is max-pooled over time within a segment and
# the two segment vectors are averaged: 256 + 256 + 512 = 1024 features.
from sktag import SampleCNNFeatures

clip = DATA / "fixtures" / "stereo_44k_10s.flac"
features = SampleCNNFeatures()  # the shipped pretrained weights
X_clip = features.fit_transform([clip])  # X is a list of clips, even for one
print("features:", X_clip.shape, X_clip.dtype)
print("layers:", features.layers_)
print("network rate:", features.analysis_rate_, "Hz; segment:", features.segment_length_, "samples")
print("first names:", list(features.get_feature_names_out()[:3]))

# %%
# A classifier: cello or flute?
# -----------------------------
# Single notes from the Philharmonia Orchestra samples: 20 training and 20
# test clips of each instrument, taken in ``clips.csv`` order from its
# ``split`` column. To keep the run short, only clips no longer than one
# segment (3.69 s at 16 kHz) are used, so each clip costs one network pass.
# sktag zero-pads a clip shorter than a segment and says so with a
# :class:`~sktag.audio.ShortClipWarning`; these single notes are short on
# purpose, so the warning is silenced here.
from sktag.audio import ShortClipWarning

warnings.filterwarnings("ignore", category=ShortClipWarning)
data = load_csv(DATA / "philharmonia" / "clips.csv", tag_column="instrument_group", split_column="split")
short = data.metadata["duration_s"].to_numpy() <= 3**10 / 16000  # at most one 16 kHz segment


def subset(split, per_group=20, groups=("cello", "flute")):
    rows = [
        i for g in groups for i in np.flatnonzero(short & (data.split == split) & (data.target_label == g))[:per_group]
    ]
    return list(data.paths[rows]), list(data.target_label[rows])


X_train, y_train = subset("train")
X_test, y_test = subset("test")
print(f"{len(X_train)} training clips, {len(X_test)} test clips")

# %%
# The pipeline is fitted on file paths. ``memory`` caches the pooled
# activations of every clip, so refitting with other ``layers``, ``pooling``
# or ``aggregate`` settings never runs the network on these clips again
# (see :ref:`sphx_glr_auto_examples_plot_grid_search_layers.py`).
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

cache = tempfile.mkdtemp(prefix="sktag-cache-")
clf = make_pipeline(
    SampleCNNFeatures(memory=cache),
    StandardScaler(),
    LogisticRegression(max_iter=1000),
)
started = time.perf_counter()
clf.fit(X_train, y_train)
pretrained = clf.score(X_test, y_test)
print(f"pretrained SampleCNN: test accuracy {pretrained:.3f} ({time.perf_counter() - started:.1f} s)")

# %%
# What the pretrained weights buy
# -------------------------------
# The same pipeline on the same clips with a randomly initialised network of
# the same architecture (``weights=None``, seeded), and with the classic
# baseline, MFCC statistics: the mean and standard deviation over time of 20
# MFCCs (a DCT of sktag's log-mel spectrogram, 16 kHz, 128 mel bands).
import scipy.fft
import torch

from sktag.audio import load
from sktag.nn import LogMelSpectrogram

random_network = make_pipeline(
    SampleCNNFeatures(weights=None, random_state=0), StandardScaler(), LogisticRegression(max_iter=1000)
)
random_score = random_network.fit(X_train, y_train).score(X_test, y_test)
log_mel = LogMelSpectrogram(sample_rate=16000, n_fft=1024, hop_length=372, n_mels=128)


def mfcc_statistics(paths, n_mfcc=20):
    rows = []
    for path in paths:
        y, _ = load(path, sr=16000)
        with torch.no_grad():
            mfcc = scipy.fft.dct(log_mel(torch.from_numpy(y)[None])[0].numpy(), axis=0, norm="ortho")[:n_mfcc]
        rows.append(np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)]))
    return np.stack(rows)


mfcc = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
mfcc_score = mfcc.fit(mfcc_statistics(X_train), y_train).score(mfcc_statistics(X_test), y_test)
for name, score in [
    ("pretrained SampleCNN (weights='default')", pretrained),
    ("random SampleCNN (weights=None)", random_score),
    ("MFCC statistics", mfcc_score),
]:
    print(f"{name:42s} {score:.3f}")

# %%
# With 40 test clips each clip is 2.5 points of accuracy, so read the gaps
# as a hint; ``sktag bench`` (the user guide's transfer-learning table) ranks
# features on whole test splits.

# %%
# The cache is a plain folder (a :class:`joblib.Memory` location); remove it
# when done.
shutil.rmtree(cache, ignore_errors=True)
