"""Composer recognition on game_music with frozen SampleCNN features (issues 4 and 11).

LogisticRegression on clip features of the train split, accuracy on the test split
(tracks unseen in training), the pooled ``unknown`` artist left out. Compares
weights (a checkpoint path or shipped name) against the same architecture (the
checkpoint's configuration) with random weights; writes ``benchmarks/results/composer_<name>.md``::

    python benchmarks/composer_recognition.py --weights ~/.cache/sktag/runs/basic/basic.pt --name basic
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktag import SampleCNNFeatures
from sktag.datasets import load_csv
from sktag.weights import get_checkpoint

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SKTAG_SHARED_DATA", ROOT.parent / "shared" / "data"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                        help="the network's arithmetic (bf16: autocast; issue 12 bounds its accuracy cost)")
    args = parser.parse_args()
    data = load_csv(SHARED / "game_music" / "clips.csv", tag_column="artist", split_column="split")
    known = data.target_label != "unknown"
    train, test = known & (data.split == "train"), known & (data.split == "test")
    config = {k: v for k, v in get_checkpoint(args.weights).config.items() if k != "n_classes"}
    rows = []
    for label, weights in (("trained", args.weights), ("random init", None)):
        started = time.perf_counter()
        features = SampleCNNFeatures(weights=weights, architecture=None if weights else config, random_state=0,
                                     precision=args.precision)
        features.fit(list(data.paths[:1]))
        Z_train = features.transform(list(data.paths[train]))
        Z_test = features.transform(list(data.paths[test]))
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
        clf.fit(Z_train, data.target_label[train])
        accuracy = clf.score(Z_test, data.target_label[test])
        rows.append((label, accuracy, time.perf_counter() - started))
        print(f"{label}: accuracy {accuracy:.3f} ({rows[-1][2]:.0f} s)", flush=True)
    lines = [
        f"# Composer recognition on game_music, `{args.name}`", "",
        f"`python benchmarks/composer_recognition.py --weights ... --name {args.name} --precision {args.precision}`: "
        f"{int(train.sum())} train / {int(test.sum())} test clips, "
        f"{len(set(data.target_label[train]))} composers (`unknown` left out); "
        "SampleCNNFeatures defaults (last three blocks, max within segments, mean over segments) -> "
        "StandardScaler -> LogisticRegression(C=0.1); random init: the same architecture "
        f"({', '.join(f'{k}={v}' for k, v in config.items())}), seed 0. Measured on the 2-core CI-class CPU.", "",
        "| features | test accuracy | extraction + fit (s) |", "|---|---:|---:|",
        *[f"| {label} | {acc:.3f} | {secs:.0f} |" for label, acc, secs in rows],
        "", "For reference, ../shared/DESIGN.md reports on the same split: musicnn MTT max_pool 0.604, "
        "MFCC statistics 0.560 (not re-measured here).",
    ]
    (ROOT / "benchmarks" / "results" / f"composer_{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
