"""Which layers, pooling and aggregation carry composer identity to games left out, trained against random.

Issue 26's question behind the default feature set: a trained SampleCNN must beat random networks
of the same architecture on the held-out games (``benchmarks.corpus.heldout``), and the random
networks themselves differ by several points from draw to draw. For every shipped checkpoint in
``--weights`` and ``--random-seeds`` random 3^9 SampleCNNs, one pass of :class:`sktag.SampleCNNFeatures`
with every block, ``pooling="max+mean"`` and ``aggregate="mean+std"`` is cached; each configuration
(a layer set x a pooling x an aggregation) is then a subset of its columns, scored by
:func:`benchmarks.corpus.heldout.composer_accuracy` (track-grouped 5-fold, StandardScaler +
LogisticRegression(C=0.1), mean over ``--seeds`` shuffles). Networks at ``precision="auto"``, as in
``benchmarks.corpus.heldout``. Writes
``benchmarks/results/heldout_layers.md`` / ``.json``::

    python -m benchmarks.corpus.heldout_layers --weights samplecnn-3x9-multiteacher-v2 samplecnn-3x9
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

from benchmarks.corpus.heldout import (
    CORPUS,
    GAMES_HELP,
    cached_features,
    composer_accuracy,
    composer_subset,
    games_key,
    heldout_clips,
    resolve_games,
)

HERE = Path(__file__).resolve().parent
ALL_BLOCKS = tuple(f"block{i}" for i in range(1, 10))
#: Layer sets scored, by name; the first is ``SampleCNNFeatures``' default for a 3^9 network.
LAYER_SETS = {
    "block7-9 (default)": ALL_BLOCKS[6:],
    "block5-9": ALL_BLOCKS[4:],
    "block3-9": ALL_BLOCKS[2:],
    "block1-9": ALL_BLOCKS,
}
POOLINGS = {"max": ("max",), "mean": ("mean",), "max+mean": ("max", "mean")}
AGGREGATES = {"mean": ("mean",), "mean+std": ("mean", "std")}


def all_blocks(weights: str | None, seed: int = 0, precision: str = "auto"):
    """``SampleCNNFeatures`` of every block, max- and mean-pooled, mean and std over segments (random: ``None``)."""
    from sktag import SampleCNNFeatures
    from sktag.weights import get_checkpoint

    return SampleCNNFeatures(
        weights=weights,
        architecture=None if weights else get_checkpoint("samplecnn-3x9").config,
        random_state=seed,
        layers=list(ALL_BLOCKS),
        pooling="max+mean",
        aggregate="mean+std",
        precision=precision,
    )


def all_block_networks(
    weights: list[str], random_seeds: int, files: list[str], cache: Path, precision: str = "auto"
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """:func:`all_blocks` features of ``files`` for each of ``weights`` and each random seed, cached in ``cache``.

    Returns ``{label: (column names, features [shape=(n_files, n_columns)])}``; the labels are the
    weights as given and ``"random seed <k>"``.
    """
    from sktag.weights import file_sha256, get_checkpoint

    extractors = {
        (w, f"all-blocks-{file_sha256(get_checkpoint(w).source)[:16]}"): all_blocks(w, 0, precision) for w in weights
    }
    for seed in range(random_seeds):
        extractors[f"random seed {seed}", f"all-blocks-random-seed{seed}"] = all_blocks(None, seed, precision)
    return {
        label: (
            extractor.fit(files[:1]).get_feature_names_out(),
            cached_features(cache, key, lambda e=extractor: e.fit_transform(files)),
        )
        for (label, key), extractor in extractors.items()
    }


def columns(names: np.ndarray, layers, poolings, aggregates) -> np.ndarray:
    """Mask of the columns ``<layer>_<pooling>_<aggregate>_<channel>`` in the given sets."""
    parts = np.array([n.split("_")[:3] for n in names])
    return np.isin(parts[:, 0], layers) & np.isin(parts[:, 1], poolings) & np.isin(parts[:, 2], aggregates)


def main(argv: list[str] | None = None) -> None:
    from benchmarks.speed import machine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", nargs="+", required=True, help="shipped names or checkpoint paths")
    parser.add_argument("--random-seeds", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3, help="fold shuffles per accuracy")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--games", default="validation", help=GAMES_HELP)
    parser.add_argument("--n-jobs", type=int, default=1, help="configurations scored in parallel")
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/sktag/heldout").expanduser())
    parser.add_argument("--out", type=Path, default=HERE.parent / "results" / "heldout_layers")
    args = parser.parse_args(argv)
    games = resolve_games(args.games)
    composers = composer_subset(heldout_clips(args.corpus, games))
    files, y, groups = list(composers.file), composers.artist.to_numpy(), composers.track_id.to_numpy()
    cache = args.cache / games_key(args.games)
    started = time.perf_counter()

    networks = all_block_networks(args.weights, args.random_seeds, files, cache)
    print(f"features of {len(networks)} networks: {(time.perf_counter() - started) / 60:.1f} min", flush=True)

    configurations = list(itertools.product(LAYER_SETS, POOLINGS, AGGREGATES))
    jobs = [(c, label) for c in configurations for label in networks]

    def score(configuration, label):
        layers, pooling, aggregate = configuration
        names, X = networks[label]
        mask = columns(names, LAYER_SETS[layers], POOLINGS[pooling], AGGREGATES[aggregate])
        return int(mask.sum()), composer_accuracy(X[:, mask], y, groups, args.seeds)[0]

    scores = dict(zip(jobs, Parallel(n_jobs=args.n_jobs)(delayed(score)(*job) for job in jobs)))
    randoms = [label for label in networks if label.startswith("random")]
    rows = []
    for configuration in configurations:
        random_scores = [scores[configuration, r][1] for r in randoms]
        rows.append(
            {
                "layers": configuration[0],
                "pooling": configuration[1],
                "aggregate": configuration[2],
                "n_features": scores[configuration, randoms[0]][0],
                **{w: scores[configuration, w][1] for w in args.weights},
                "random_mean": float(np.mean(random_scores)),
                "random_std": float(np.std(random_scores)),
                "random": random_scores,
            }
        )
    minutes = (time.perf_counter() - started) / 60
    games_option = "" if args.games == "validation" else f" --games {args.games} --out {os.path.relpath(args.out)}"
    lines = [
        "# Layers, pooling and aggregation on games left out: trained networks against random ones (issue 26)",
        "",
        f"Held-out games {', '.join(games)}: {len(composers)} clips of {composers.artist.nunique()} composers "
        f"with >= 3 tracks ({composers.track_id.nunique()} tracks). Composer accuracy, StandardScaler + "
        f"LogisticRegression(C=0.1), StratifiedGroupKFold(5) by track, mean over {args.seeds} shuffles; "
        f"random: mean (std) over {args.random_seeds} random 3^9 SampleCNNs (seeds 0-{args.random_seeds - 1}); "
        "the last column is the first network minus the random mean. Pooling is within a 3.69 s segment, "
        "aggregation over a clip's segments. Machine: "
        f"{machine()}. Command: `python -m benchmarks.corpus.heldout_layers --weights {' '.join(args.weights)} "
        f"--random-seeds {args.random_seeds}{games_option}` ({minutes:.1f} min).",
        "",
        f"| layers | pooling | aggregate | n | {' | '.join(args.weights)} | random | gain |",
        "|---|---|---|---:|" + "---:|" * (len(args.weights) + 2),
        *[
            f"| {r['layers']} | {r['pooling']} | {r['aggregate']} | {r['n_features']} | "
            + " | ".join(f"{r[w]:.3f}" for w in args.weights)
            + f" | {r['random_mean']:.3f} ({r['random_std']:.3f}) | {r[args.weights[0]] - r['random_mean']:+.3f} |"
            for r in rows
        ],
    ]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
