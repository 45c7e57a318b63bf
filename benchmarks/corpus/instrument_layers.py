"""Philharmonia instrument accuracy of the feature configurations that did best on games left out.

The second question behind a change of ``SampleCNNFeatures``' default layers or aggregation
(issue 26): a configuration chosen for composer recognition on held-out games
(``benchmarks.corpus.heldout_layers``) must not lose what the network knows about timbre. For the
configurations in :data:`CANDIDATES`, the shared corpus's ``instrument`` task (16 Philharmonia
instruments, fitted on its train split and scored on its valid split, which choices are made on, and its
test split; StandardScaler + LogisticRegression(C=0.1) as ``sktag bench``; MFCC statistics beside them)
with each of ``--weights`` and ``--random-seeds`` random 3^9 SampleCNNs, at ``precision="fp32"`` (the
transformers' default, as in ``sktag bench``). Features: one cached pass
per network of every block (:func:`benchmarks.corpus.heldout_layers.all_blocks`). Writes
``benchmarks/results/instrument_layers.md`` / ``.json``::

    python -m benchmarks.corpus.instrument_layers --weights samplecnn-3x9-multiteacher-v2
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks.corpus.distill import SHARED
from benchmarks.corpus.heldout import cached_features
from benchmarks.corpus.heldout_layers import AGGREGATES, LAYER_SETS, POOLINGS, all_block_networks, columns

HERE = Path(__file__).resolve().parent
#: (layers, pooling, aggregate): the default first, then the best of ``heldout_layers.md``.
CANDIDATES = (
    ("block7-9 (default)", "max", "mean"),
    ("block7-9 (default)", "max", "mean+std"),
    ("block5-9", "max", "mean"),
    ("block5-9", "max", "mean+std"),
    ("block3-9", "max", "mean"),
    ("block3-9", "max+mean", "mean+std"),
    ("block1-9", "max", "mean"),
    ("block1-9", "mean", "mean+std"),
)


def held_out_split_accuracy(X: np.ndarray, y: np.ndarray, train: np.ndarray, *scored: np.ndarray) -> list[float]:
    """Accuracy on each of the ``scored`` row sets of StandardScaler + LogisticRegression(C=0.1) fitted on ``train``."""
    head = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000)).fit(X[train], y[train])
    return [float(head.score(X[rows], y[rows])) for rows in scored]


def main(argv: list[str] | None = None) -> None:
    from benchmarks.speed import machine
    from sktag.bench import shared_tasks
    from sktag.bench.baselines import mfcc_statistics

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", nargs="+", required=True, help="shipped names or checkpoint paths")
    parser.add_argument("--random-seeds", type=int, default=2)
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/sktag/philharmonia-reached").expanduser())
    parser.add_argument("--out", type=Path, default=HERE.parent / "results" / "instrument_layers")
    args = parser.parse_args(argv)
    task = next(t for t in shared_tasks(args.data) if t.name == "instrument")
    files, ((train, test),) = [str(p) for p in task.paths], task.folds()
    valid = np.flatnonzero(task.split == "valid")
    started = time.perf_counter()
    rows = []
    networks = all_block_networks(args.weights, args.random_seeds, files, args.cache, precision="fp32")
    for label, (names, X) in networks.items():
        for layers, pooling, aggregate in CANDIDATES:
            mask = columns(names, LAYER_SETS[layers], POOLINGS[pooling], AGGREGATES[aggregate])
            scores = held_out_split_accuracy(X[:, mask], task.y, train, valid, test)
            rows.append(
                {
                    "network": label,
                    "layers": layers,
                    "pooling": pooling,
                    "aggregate": aggregate,
                    "n_features": int(mask.sum()),
                    **dict(zip(("valid_accuracy", "accuracy"), scores)),
                }
            )
            print(rows[-1], flush=True)
    mfcc = cached_features(args.cache, "mfcc", lambda: mfcc_statistics(files))
    mfcc_scores = held_out_split_accuracy(mfcc, task.y, train, valid, test)
    rows.append({"network": "MFCC statistics", **dict(zip(("valid_accuracy", "accuracy"), mfcc_scores))})
    score = {(r["network"], r["layers"], r["pooling"], r["aggregate"]): r for r in rows if "layers" in r}

    def cells(network: str, configuration: tuple) -> str:
        r = score[(network, *configuration)]
        return f"{r['valid_accuracy']:.3f} / {r['accuracy']:.3f}"

    lines = [
        "# Philharmonia instrument accuracy by layers, pooling and aggregation (issue 26)",
        "",
        f"The shared corpus's `instrument` task: 16 Philharmonia instruments, fitted on {len(train)} train clips, "
        f"scored on {len(valid)} valid / {len(test)} test clips (each cell: valid / test accuracy; choices are "
        "made on valid). StandardScaler + LogisticRegression(C=0.1); networks at fp32; 87 % of the clips are "
        "shorter than one 3.69 s segment, pooled over the frames they reach. MFCC statistics: "
        f"{mfcc_scores[0]:.3f} / {mfcc_scores[1]:.3f}. Machine: "
        f"{machine()}. Command: `python -m benchmarks.corpus.instrument_layers --weights {' '.join(args.weights)} "
        f"--random-seeds {args.random_seeds}` ({(time.perf_counter() - started) / 60:.1f} min).",
        "",
        f"| layers | pooling | aggregate | {' | '.join(networks)} |",
        "|---|---|---|" + "---:|" * len(networks),
        *[f"| {c[0]} | {c[1]} | {c[2]} | " + " | ".join(cells(n, c) for n in networks) + " |" for c in CANDIDATES],
    ]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
