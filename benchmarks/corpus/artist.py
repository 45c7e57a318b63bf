"""Retrain the artist-label CNN on every credited composer of the training games, judged on games left out.

Issue 26, step 3 for the artist CNN. The "basic" model of arXiv:1710.06648
(:class:`sktag.training.ArtistCNNTagger`, the recipe of the shipped
``artist-basic-gamemusic``: 3 s log-mel patches at 16 kHz, AdamW, 4 random crops per clip)
learns to tell apart the composers with at least ``--min-tracks`` credited tracks in the
training games of :func:`benchmarks.corpus.distill.training_clips` (shared game_music and the
second corpus minus ``--heldout-games``). A tenth of each composer's tracks (at least one
when it has three or more) is kept for skorch's validation.

Then composer recognition on the held-out games (:func:`benchmarks.corpus.heldout.composer_accuracy`:
StratifiedGroupKFold(5) by track, StandardScaler + LogisticRegression(C=0.1)) with the default
``ArtistCNNFeatures`` of the new network, of the shipped ``artist-basic-gamemusic``, of random
artist CNNs of the same architecture (``--random-seeds``) and of MFCC statistics. Writes
``benchmarks/results/artist_heldout.md`` / ``.json``; the checkpoint goes to ``--out``::

    python -m benchmarks.corpus.artist --out ~/.cache/sktag/runs/artist-corpus
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.corpus.distill import training_clips
from benchmarks.corpus.heldout import (
    CORPUS,
    add_heldout_options,
    composer_accuracy,
    composer_subset,
    heldout_clips,
    resolve_games,
    scored_games,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results" / "artist_heldout"
ARCHITECTURE = {"sample_rate": 16000, "hop_length": 372, "fmax": 8000}


def labelled_training_clips(corpus: Path, heldout: set[str], min_tracks: int, seed: int = 0) -> pd.DataFrame:
    """Training clips of composers with >= ``min_tracks`` tracks, with a ``valid`` column (a tenth of the tracks)."""
    clips = training_clips(corpus, heldout)
    clips = clips[clips.artist != "unknown"]
    tracks = clips.groupby("artist").track_id.nunique()
    clips = clips[clips.artist.isin(tracks[tracks >= min_tracks].index)].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    valid_tracks = set()
    for _, group in clips.groupby("artist"):
        names = np.array(sorted(group.track_id.unique()))
        if len(names) >= 3:
            valid_tracks.update(rng.choice(names, max(1, len(names) // 10), replace=False))
    return clips.assign(valid=clips.track_id.isin(valid_tracks))


def train(clips: pd.DataFrame, out: Path, max_epochs: int, training_data: str) -> dict:
    """Fit and save the basic artist CNN; its training time and history."""
    from sktag.training import ArtistCNNTagger

    fit, valid = clips[~clips.valid], clips[clips.valid]
    started = time.perf_counter()
    tagger = ArtistCNNTagger(
        architecture=ARCHITECTURE,
        recipe="adam",
        max_epochs=max_epochs,
        crops_per_clip=4,
        batch_size=15,
        random_state=0,
        verbose=1,
    )
    tagger.fit(list(fit.file), fit.artist.to_numpy(), X_valid=list(valid.file), y_valid=valid.artist.to_numpy())
    tagger.save(out, meta={"training_data": training_data})
    return {
        "train_seconds": time.perf_counter() - started,
        "history": [
            {k: r.get(k) for k in ("epoch", "train_loss", "valid_loss", "valid_roc_auc")} for r in tagger.history_
        ],
    }


def feature_rows(checkpoints: dict[str, str], files: list[str], random_seeds: int) -> dict[str, np.ndarray]:
    """Default ``ArtistCNNFeatures`` of each checkpoint and of random networks, and MFCC statistics."""
    from sktag import ArtistCNNFeatures
    from sktag.bench.baselines import mfcc_statistics

    rows = {
        label: ArtistCNNFeatures(weights=path, precision="auto").fit_transform(files)
        for label, path in checkpoints.items()
    }
    for seed in range(random_seeds):
        rows[f"random init, seed {seed}"] = ArtistCNNFeatures(
            weights=None, architecture=ARCHITECTURE, random_state=seed, precision="auto"
        ).fit_transform(files)
    rows["MFCC statistics"] = mfcc_statistics(files)
    return rows


def main(argv: list[str] | None = None) -> None:
    from benchmarks.speed import machine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="run folder (outside the repository)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    add_heldout_options(parser)
    parser.add_argument("--min-tracks", type=int, default=2)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--random-seeds", type=int, default=3)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    heldout = set(resolve_games(args.heldout_games))
    args.out.mkdir(parents=True, exist_ok=True)
    clips = labelled_training_clips(args.corpus, heldout, args.min_tracks)
    training_data = (
        f"{len(clips)} clips of {clips.artist.nunique()} composers (>= {args.min_tracks} tracks) of "
        f"shared game_music and benchmarks/corpus game_music2 minus {sorted(heldout)}"
    )
    print(training_data, flush=True)
    checkpoint = args.out / "artist-basic.pt"
    report = {
        "training_data": training_data,
        "n_composers": int(clips.artist.nunique()),
        **(train(clips, checkpoint, args.max_epochs, training_data) if not checkpoint.exists() else {}),
    }
    scored = scored_games(parser, args.heldout_games, args.eval_games)
    composers = composer_subset(heldout_clips(args.corpus, scored))
    y, groups = composers.artist.to_numpy(), composers.track_id.to_numpy()
    rows = feature_rows(
        {
            "retrained on the enlarged composer set": str(checkpoint),
            "shipped artist-basic-gamemusic": "artist-basic-gamemusic",
        },
        list(composers.file),
        args.random_seeds,
    )
    report["results"] = [
        {
            "features": label,
            "n_features": X.shape[1],
            **dict(zip(("composer_accuracy", "composer_std"), composer_accuracy(X, y, groups))),
        }
        for label, X in rows.items()
    ]
    games_options = "".join(
        f" --{name.replace('_', '-')} {value}"
        for name, value in (("heldout_games", args.heldout_games), ("eval_games", args.eval_games))
        if value not in (None, "validation")
    ) + ("" if args.results == RESULTS else f" --results {os.path.relpath(args.results)}")
    lines = [
        "# Artist-label CNN retrained on the enlarged composer set, judged on games left out (issue 26)",
        "",
        f"Command: `python -m benchmarks.corpus.artist --out ... --min-tracks {args.min_tracks} --max-epochs "
        f"{args.max_epochs} --random-seeds {args.random_seeds}{games_options}`. Machine: {machine()}. Training: "
        f"{training_data}; ArtistCNNTagger {ARCHITECTURE}, AdamW, 4 crops per clip"
        + (f", {report['train_seconds'] / 60:.1f} min" if "train_seconds" in report else "")
        + ".",
        "",
        f"Held-out games {', '.join(scored)}: {len(composers)} clips of {composers.artist.nunique()} "
        f"composers with >= 3 tracks ({composers.track_id.nunique()} tracks), default ArtistCNNFeatures, "
        "StandardScaler + LogisticRegression(C=0.1), StratifiedGroupKFold(5) by track, mean (std) over 3 "
        "shuffles.",
        "",
        "| features | n | composer accuracy |",
        "|---|---:|---:|",
        *[
            f"| {r['features']} | {r['n_features']} | {r['composer_accuracy']:.3f} ({r['composer_std']:.3f}) |"
            for r in report["results"]
        ],
    ]
    args.results.with_suffix(".md").write_text("\n".join(lines) + "\n")
    args.results.with_suffix(".json").write_text(json.dumps(report, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
