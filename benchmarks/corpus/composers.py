"""Composer recognition on every game of the second game-music corpus (issue 26).

When this was written none of the corpus's games (then its first 14) had trained any shipped weights, so
this was the issue-26 question on fresh music; since then the issue-26 SampleCNNs and
``artist-basic-gamemusic2`` have trained on 12 of them (``benchmarks.corpus.heldout`` scores held-out games
only). It scores every game of the corpus: composers with at least ``--min-tracks`` credited tracks,
``StratifiedGroupKFold`` by track (a track's clips never sit on both sides), StandardScaler +
LogisticRegression (C=0.1, as issue 26 measured), mean over ``--seeds`` fold shuffles. Rows:
the shipped default SampleCNN (multi-level and last block), a random network of the same
architecture, the default artist CNN and its random twin, MFCC statistics, and the musicnn
teachers' embeddings committed beside this file::

    python -m benchmarks.corpus.composers --corpus ~/.cache/sktag-corpus/game_music2

Writes ``benchmarks/results/composers_game_music2.md`` / ``.json``.
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.corpus.heldout import composer_accuracy, composer_subset
from benchmarks.speed import machine
from sktag import ArtistCNNFeatures, SampleCNNFeatures
from sktag.bench.baselines import mfcc_statistics
from sktag.weights import DEFAULT_WEIGHTS, get_checkpoint

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"
TEACHER_EMBEDDINGS = (
    ("MTT_musicnn", "max_pool"),
    ("MTT_musicnn", "penultimate"),
    ("MSD_musicnn", "max_pool"),
    ("MSD_musicnn", "penultimate"),
    ("MSD_vgg", "penultimate"),
)


def composer_clips(corpus: Path, min_tracks: int) -> pd.DataFrame:
    """Clips of the credited composers with at least ``min_tracks`` tracks (``unknown`` left out)."""
    return composer_subset(pd.read_csv(corpus / "clips.csv"), min_tracks)


def network_features(paths: list[str], cache: str) -> dict[str, np.ndarray]:
    """Clip features of the shipped default networks and their random twins (one network pass each)."""
    rows = {}
    for label, cls, family in (
        ("SampleCNN", SampleCNNFeatures, "SampleCNN"),
        ("artist CNN", ArtistCNNFeatures, "ArtistCNN"),
    ):
        shipped = functools.partial(cls, memory=cache, precision="auto")
        twin = get_checkpoint(DEFAULT_WEIGHTS[family]).config  # the same network, randomly initialised
        rows.update(_multi_level_and_last(f"{label}, shipped", shipped, paths))
        rows.update(
            _multi_level_and_last(
                f"{label}, random init",
                functools.partial(shipped, weights=None, architecture=twin, random_state=0),
                paths,
            )
        )
    return rows


def _multi_level_and_last(label: str, make, paths: list[str]) -> dict[str, np.ndarray]:
    """The default multi-level features and the last of their blocks alone (from the ``memory`` cache)."""
    multi = make().fit(paths[:1])
    started = time.perf_counter()
    rows = {f"{label}, multi-level": multi.transform(paths)}
    print(f"{label}: {time.perf_counter() - started:.0f} s", flush=True)
    last = multi.layers_[-1]
    rows[f"{label}, last block ({last})"] = make(layers=last).fit(paths[:1]).transform(paths)
    return rows


def teacher_features(clip_ids: list[str]) -> dict[str, np.ndarray]:
    """The musicnn teachers' committed clip embeddings, in ``clip_ids`` order."""
    rows = {}
    for teacher, array in TEACHER_EMBEDDINGS:
        data = np.load(HERE / f"teacher_game_music2_{teacher}.npz")
        index = {clip_id: i for i, clip_id in enumerate(data["clip_id"])}
        rows[f"musicnn {teacher} {array}"] = data[array][[index[c] for c in clip_ids]].astype(np.float32)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("~/.cache/sktag-corpus/game_music2").expanduser())
    parser.add_argument("--min-tracks", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    clips = composer_clips(args.corpus, args.min_tracks)
    paths = [str(args.corpus / p) for p in clips.path]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sktag-composers-") as cache:
        features = {
            **network_features(paths, cache),
            "MFCC statistics": mfcc_statistics(paths),
            **teacher_features(list(clips.clip_id)),
        }
    y, groups = clips.artist.to_numpy(), clips.track_id.to_numpy()
    rows = [
        {
            "features": name,
            "n_features": X.shape[1],
            **dict(zip(("accuracy", "std"), composer_accuracy(X, y, groups, args.seeds))),
        }
        for name, X in features.items()
    ]
    minutes = (time.perf_counter() - started) / 60
    header = (
        f"# Composer recognition on games the shipped weights never heard (issue 26)\n\n"
        f"Corpus: `benchmarks/corpus`, {len(clips)} clips of "
        f"{clips.artist.nunique()} composers with >= {args.min_tracks} credited tracks "
        f"({clips.track_id.nunique()} tracks, {clips.game.nunique()} games). StratifiedGroupKFold(5) by "
        f"track, StandardScaler + LogisticRegression(C=0.1), mean (std) over {args.seeds} shuffles; "
        f"chance {clips.artist.value_counts(normalize=True).max():.3f} (largest class). Networks at "
        f"`precision='auto'`. Machine: {machine()}. Command: `python -m benchmarks.corpus.composers` "
        f"({minutes:.1f} min).\n\n| features | n | accuracy |\n|---|---:|---:|\n"
    )
    table = "".join(f"| {r['features']} | {r['n_features']} | {r['accuracy']:.3f} ({r['std']:.3f}) |\n" for r in rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "composers_game_music2.md").write_text(header + table)
    (RESULTS / "composers_game_music2.json").write_text(json.dumps(rows, indent=1))
    print(header + table)


if __name__ == "__main__":
    main()
