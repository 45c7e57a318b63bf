"""Deep bag-of-features on Philharmonia tags, and its fitting cost on game_music (issue 5).

1. Philharmonia multi-label tagging: one multi-hot label matrix of the instrument
   group, family, dynamic and articulation of every clip (values with at least
   ``--min-positives`` training clips). ``BagOfFeatures`` is fitted on the train
   split; heads: ``MLPTagger`` (the paper's 3 x 512 DNN) and one-vs-rest
   ``LogisticRegression``, both on the same features, beside the same heads on MFCC
   statistics. Macro ROC-AUC over the labels on the test split.
2. ``BagOfFeatures`` fitted on every game_music train clip (29.1 s each), in a
   fresh process: wall time and peak resident memory.

Writes ``benchmarks/results/bag_of_features.md`` / ``.json``::

    python -m benchmarks.quality.bag_of_features
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks import common
from sktag import BagOfFeatures, MLPTagger
from sktag.bench.baselines import mfcc_statistics
from sktag.bench.tasks import PHILHARMONIA_LABEL_COLUMNS as LABEL_COLUMNS
from sktag.bench.tasks import philharmonia_labels
from sktag.datasets import load_csv


def macro_auc(Y: np.ndarray, scores: np.ndarray) -> float:
    present = (Y.sum(axis=0) > 0) & (Y.sum(axis=0) < len(Y))
    return float(roc_auc_score(Y[:, present], scores[:, present], average="macro"))


def heads(random_state: int):
    return {
        "MLPTagger (3 x 512)": MLPTagger(random_state=random_state),
        "LogisticRegression": make_pipeline(
            StandardScaler(), OneVsRestClassifier(LogisticRegression(C=0.1, max_iter=2000), n_jobs=2)
        ),
    }


def philharmonia_split(min_positives: int) -> tuple[list[str], list[str], np.ndarray, np.ndarray, list[str]]:
    """Philharmonia's train and test paths, their multi-hot labels, and the label names."""
    paths, Y, names, split = philharmonia_labels(common.SHARED, min_positives)
    train, test = split == "train", split == "test"
    paths = np.asarray(paths)
    return paths[train].tolist(), paths[test].tolist(), Y[train], Y[test], names


def philharmonia_features(X_train: list[str], X_test: list[str]) -> tuple[dict, dict]:
    """BagOfFeatures (fitted on ``X_train``) and MFCC statistics of both splits; their costs."""
    started = time.perf_counter()
    bof = BagOfFeatures(random_state=0, n_jobs=2, verbose=1).fit(X_train)
    bof_fit = time.perf_counter() - started
    started = time.perf_counter()
    features = {"BagOfFeatures": (bof.transform(X_train), bof.transform(X_test))}
    costs = {
        "bag_of_features": {
            "fit_seconds": bof_fit,
            "transform_seconds": time.perf_counter() - started,
            "patches": bof.n_patches_,
            "components": bof.n_components_,
            "params": bof.get_params(),
        }
    }
    started = time.perf_counter()
    features["MFCC statistics (80-d)"] = (mfcc_statistics(X_train), mfcc_statistics(X_test))
    costs["mfcc_seconds"] = time.perf_counter() - started
    return features, costs


def score_heads(features: dict, Y_train: np.ndarray, Y_test: np.ndarray) -> list[dict]:
    """Every head on every feature set: macro ROC-AUC on the test split."""
    rows = []
    for feature_name, (Z_train, Z_test) in features.items():
        for head_name, head in heads(0).items():
            started = time.perf_counter()
            head.fit(Z_train, Y_train)
            auc = macro_auc(Y_test, head.predict_proba(Z_test))
            rows.append(
                {
                    "features": feature_name,
                    "head": head_name,
                    "macro_roc_auc": auc,
                    "fit_seconds": time.perf_counter() - started,
                }
            )
            print(f"{feature_name} + {head_name}: macro ROC-AUC {auc:.4f}", flush=True)
    return rows


def fit_game_music() -> dict:
    """Fit BagOfFeatures on every game_music train clip; time and peak memory of this process."""
    data = load_csv(common.GAME_MUSIC / "clips.csv", tag_column="artist", split_column="split")
    paths = list(data.paths[data.split == "train"])
    started = time.perf_counter()
    bof = BagOfFeatures(random_state=0, n_jobs=2, verbose=1).fit(paths)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "clips": len(paths),
        "patches": bof.n_patches_,
        "components": bof.n_components_,
        "seconds": seconds,
        "stages": bof.fit_seconds_,
        "peak_rss_mb": peak_mb,
        "n_iter": bof.n_iter_,
    }


def fit_game_music_in_child() -> dict:
    """:func:`fit_game_music` in a fresh process (this module with ``--game-music-fit``), for its peak memory."""
    child = subprocess.run(
        [sys.executable, "-m", __spec__.name, "--game-music-fit"],
        cwd=common.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


def markdown(report: dict, min_positives: int) -> list[str]:
    g, b = report["game_music_fit"], report["bag_of_features"]
    n_train, n_test = report["train_clips"], report["test_clips"]
    return [
        "# Deep bag-of-features (issue 5)",
        "",
        f"Command: `{report['command']}`. Machine: "
        f"{os.cpu_count()}-core {platform.machine()} CPU (the CI class), no GPU.",
        "",
        f"## Philharmonia multi-label tagging ({len(report['labels'])} labels)",
        "",
        f"Labels: every value of {', '.join(LABEL_COLUMNS)} with >= {min_positives} training clips, one "
        f"multi-hot matrix. {n_train} train / {n_test} test clips. Macro ROC-AUC over the labels on the "
        "test split.",
        "",
        "| features | head | macro ROC-AUC | head fit (s) |",
        "|---|---|---:|---:|",
        *[
            f"| {r['features']} | {r['head']} | {r['macro_roc_auc']:.4f} | {r['fit_seconds']:.0f} |"
            for r in report["results"]
        ],
        "",
        f"BagOfFeatures (defaults: 1024 atoms, sparse coding, soft threshold, 8-frame patches, ~1 s max pooling, "
        f"mean): fit {b['fit_seconds']:.0f} s on {b['patches']} patches ({b['components']} whitened dimensions), "
        f"transform of {n_train + n_test} clips {b['transform_seconds']:.0f} s. "
        f"MFCC statistics: {report['mfcc_seconds']:.0f} s.",
        "",
        "## Fitting on all game_music train clips",
        "",
        f"`BagOfFeatures(random_state=0, n_jobs=2).fit` on {g['clips']} clips of 29.1 s in a fresh process: "
        f"{g['seconds']:.0f} s (patches {g['stages']['patches']:.0f} s, whitening {g['stages']['whitening']:.0f} s, "
        f"dictionary {g['stages']['dictionary']:.0f} s), {g['patches']} patches, {g['components']} whitened "
        f"dimensions; peak resident memory {g['peak_rss_mb']:.0f} MB (bound: 4 GB).",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = common.parser(__spec__.name, __doc__)
    parser.add_argument("--min-positives", type=int, default=20)
    parser.add_argument("--game-music-fit", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.game_music_fit:
        print(json.dumps(fit_game_music()))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    X_train, X_test, Y_train, Y_test, names = philharmonia_split(args.min_positives)
    features, costs = philharmonia_features(X_train, X_test)
    report = {
        "command": common.command(__spec__.name, argv),
        "labels": names,
        "train_clips": len(X_train),
        "test_clips": len(X_test),
        "results": score_heads(features, Y_train, Y_test),
        **costs,
        "game_music_fit": fit_game_music_in_child(),
    }
    common.write_results("bag_of_features", report, markdown(report, args.min_positives))


if __name__ == "__main__":
    main()
