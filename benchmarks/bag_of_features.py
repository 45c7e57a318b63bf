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

    python benchmarks/bag_of_features.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktag import BagOfFeatures, MLPTagger
from sktag.bench.baselines import mfcc_statistics
from sktag.bench.tasks import PHILHARMONIA_LABEL_COLUMNS as LABEL_COLUMNS
from sktag.bench.tasks import philharmonia_labels as _philharmonia_labels
from sktag.datasets import load_csv

ROOT = Path(__file__).resolve().parents[1]

SHARED = Path(os.environ.get("SKTAG_SHARED_DATA", ROOT.parent / "shared" / "data"))


def philharmonia_labels(min_positives: int):
    """Paths, multi-hot labels ``(n, n_labels)``, label names and splits of Philharmonia."""
    return _philharmonia_labels(SHARED, min_positives)


def macro_auc(Y: np.ndarray, scores: np.ndarray) -> float:
    present = (Y.sum(axis=0) > 0) & (Y.sum(axis=0) < len(Y))
    return float(roc_auc_score(Y[:, present], scores[:, present], average="macro"))


def heads(random_state: int):
    return {
        "MLPTagger (3 x 512)": MLPTagger(random_state=random_state),
        "LogisticRegression": make_pipeline(StandardScaler(), OneVsRestClassifier(
            LogisticRegression(C=0.1, max_iter=2000), n_jobs=2)),
    }


def fit_game_music() -> dict:
    """Fit BagOfFeatures on every game_music train clip; time and peak memory of this process."""
    data = load_csv(SHARED / "game_music" / "clips.csv", tag_column="artist", split_column="split")
    paths = list(data.paths[data.split == "train"])
    started = time.perf_counter()
    bof = BagOfFeatures(random_state=0, n_jobs=2, verbose=1).fit(paths)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"clips": len(paths), "patches": bof.n_patches_, "components": bof.n_components_, "seconds": seconds,
            "stages": bof.fit_seconds_, "peak_rss_mb": peak_mb, "n_iter": bof.n_iter_}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-positives", type=int, default=20)
    parser.add_argument("--game-music-fit", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.game_music_fit:
        print(json.dumps(fit_game_music()))
        return

    import logging
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    paths, Y, names, split = philharmonia_labels(args.min_positives)
    train, test = split == "train", split == "test"
    X_train, X_test = [p for p, t in zip(paths, train) if t], [p for p, t in zip(paths, test) if t]
    report: dict = {"labels": names, "train_clips": len(X_train), "test_clips": len(X_test), "results": []}

    started = time.perf_counter()
    bof = BagOfFeatures(random_state=0, n_jobs=2, verbose=1).fit(X_train)
    bof_fit = time.perf_counter() - started
    started = time.perf_counter()
    features = {"BagOfFeatures": (bof.transform(X_train), bof.transform(X_test))}
    bof_transform = time.perf_counter() - started
    report["bag_of_features"] = {"fit_seconds": bof_fit, "transform_seconds": bof_transform,
                                 "patches": bof.n_patches_, "components": bof.n_components_,
                                 "params": bof.get_params()}
    started = time.perf_counter()
    features["MFCC statistics (80-d)"] = (mfcc_statistics(X_train), mfcc_statistics(X_test))
    report["mfcc_seconds"] = time.perf_counter() - started

    for feature_name, (Z_train, Z_test) in features.items():
        for head_name, head in heads(0).items():
            started = time.perf_counter()
            head.fit(Z_train, Y[train])
            auc = macro_auc(Y[test], head.predict_proba(Z_test))
            report["results"].append({"features": feature_name, "head": head_name, "macro_roc_auc": auc,
                                      "fit_seconds": time.perf_counter() - started})
            print(f"{feature_name} + {head_name}: macro ROC-AUC {auc:.4f}", flush=True)

    child = subprocess.run([sys.executable, __file__, "--game-music-fit"], capture_output=True, text=True, check=True)
    report["game_music_fit"] = json.loads(child.stdout.strip().splitlines()[-1])

    g = report["game_music_fit"]
    b = report["bag_of_features"]
    lines = [
        "# Deep bag-of-features (issue 5)", "",
        "Command: `python benchmarks/bag_of_features.py`. Machine: "
        f"{os.cpu_count()}-core {platform.machine()} CPU (the CI class), no GPU.", "",
        f"## Philharmonia multi-label tagging ({len(names)} labels)", "",
        f"Labels: every value of {', '.join(LABEL_COLUMNS)} with >= {args.min_positives} training clips, one "
        f"multi-hot matrix. {len(X_train)} train / {len(X_test)} test clips. Macro ROC-AUC over the labels on the "
        "test split.", "",
        "| features | head | macro ROC-AUC | head fit (s) |", "|---|---|---:|---:|",
        *[f"| {r['features']} | {r['head']} | {r['macro_roc_auc']:.4f} | {r['fit_seconds']:.0f} |"
          for r in report["results"]],
        "",
        f"BagOfFeatures (defaults: 1024 atoms, sparse coding, soft threshold, 8-frame patches, ~1 s max pooling, "
        f"mean): fit {b['fit_seconds']:.0f} s on {b['patches']} patches ({b['components']} whitened dimensions), "
        f"transform of {len(X_train) + len(X_test)} clips {b['transform_seconds']:.0f} s. "
        f"MFCC statistics: {report['mfcc_seconds']:.0f} s.", "",
        "## Fitting on all game_music train clips", "",
        f"`BagOfFeatures(random_state=0, n_jobs=2).fit` on {g['clips']} clips of 29.1 s in a fresh process: "
        f"{g['seconds']:.0f} s (patches {g['stages']['patches']:.0f} s, whitening {g['stages']['whitening']:.0f} s, "
        f"dictionary {g['stages']['dictionary']:.0f} s), {g['patches']} patches, {g['components']} whitened "
        f"dimensions; peak resident memory {g['peak_rss_mb']:.0f} MB (bound: 4 GB).",
    ]
    results = ROOT / "benchmarks" / "results"
    (results / "bag_of_features.json").write_text(json.dumps(report, indent=1, default=str))
    (results / "bag_of_features.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
