"""Scores of a SampleCNN checkpoint on games left out of its training (issue 26's validation).

Two numbers, both through the public API a user would call:

- **composer recognition**: :class:`sktag.SampleCNNFeatures` (the default multi-level
  features) of the held-out games' clips by composers with at least ``min_tracks``
  credited tracks, StandardScaler + LogisticRegression(C=0.1), StratifiedGroupKFold(5)
  by track (a track's clips never sit on both sides), mean over fold shuffles;
- **teacher agreement**: :meth:`sktag.training.SampleCNNTagger.predict_proba` (what
  ``sktag tag`` prints) against the MTT teacher's clip tags, macro ROC-AUC with each
  tag's top 10 % as positives (:func:`sktag.metrics.tag_scores`).

Beside them, ``python -m benchmarks.corpus.heldout --weights NAME=PATH ...`` writes
``benchmarks/results/heldout_games.md`` / ``.json``: each checkpoint's two scores, and the composer
accuracy of random networks of the same architecture (``--random-seeds``, and their mean), MFCC
statistics and the musicnn teachers' embeddings on the same clips. Features are cached in ``--cache`` by row name and
checkpoint sha256, so a rerun with one more checkpoint computes only its row::

    python -m benchmarks.corpus.heldout --weights shipped=samplecnn-3x9 new=~/.cache/sktag/runs/mt1/best.pt
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktag.metrics import tag_scores

from .packages import SECOND_BATCH

HERE = Path(__file__).resolve().parent
CORPUS = Path("~/.cache/sktag-corpus/game_music2").expanduser()
#: The games the issue-26 distillation leaves out of training and selects on: the two with the
#: most composers of three or more credited tracks apart from each other (7 composers, 50 tracks).
VALIDATION_GAMES = ("naev-data", "supertuxkart-data")
#: Named sets of held-out games for ``--games``: the validation games; the corpus's second batch of
#: packages (11 games no shipped network heard, never used to select anything before they were added);
#: and both together. ``validation2`` (session 17) adds to the validation games the second batch's games
#: whose composers are credited (8 composers of >= 3 tracks; 15 with naev's and SuperTuxKart's), leaving
#: berusky2, starfighter, warmux and fillets-ng (2.3 h, mostly uncredited) for training.
GAME_SETS = {
    "validation": VALIDATION_GAMES,
    "batch2": tuple(p.name for p in SECOND_BATCH),
    "validation+batch2": VALIDATION_GAMES + tuple(p.name for p in SECOND_BATCH),
    "validation2": VALIDATION_GAMES
    + (
        "colobot-common-sounds",
        "marsshooter-data",
        "trackballs-data",
        "davegnukem-data",
        "lordsawar-data",
        "xmoto-data",
        "amoebax-data",
    ),
}
#: The layers ``SampleCNNFeatures`` pools by default for a 3^9 SampleCNN (the paper's last three blocks).
DEFAULT_LAYERS = ("block7", "block8", "block9")
#: The label of the random-network rows of :func:`heldout_table` (one per seed, then their mean).
RANDOM_ROW = "SampleCNN 3^9, random init"
#: A wider layer set than the default, also scored during training: block3 to the last block (3^9: block3-9).
WIDE_FROM = 3


#: The help text of every ``--games`` / ``--heldout-games`` option.
GAMES_HELP = f"one of {', '.join(GAME_SETS)}, or comma-separated package names"


def resolve_games(spec: str) -> tuple[str, ...]:
    """The games of ``--games``: a name of :data:`GAME_SETS`, or comma-separated package names."""
    return GAME_SETS.get(spec) or tuple(spec.split(","))


def add_heldout_options(parser: argparse.ArgumentParser, default: str = "validation") -> None:
    """``--heldout-games`` (left out of training) and ``--eval-games`` (scored; see :func:`scored_games`)."""
    parser.add_argument("--heldout-games", default=default, help=f"games left out of training and scored: {GAMES_HELP}")
    parser.add_argument(
        "--eval-games",
        help="games scored (default: --heldout-games); they must be held out, e.g. --heldout-games "
        "validation+batch2 --eval-games validation2 for a network trained before the corpus's second batch",
    )


def scored_games(parser: argparse.ArgumentParser, heldout_games: str, eval_games: str | None) -> tuple[str, ...]:
    """The games of ``--eval-games`` (those of ``--heldout-games`` without it); a parser error if any is trained on."""
    heldout = resolve_games(heldout_games)
    scored = resolve_games(eval_games) if eval_games else heldout
    if trained := sorted(set(scored) - set(heldout)):
        parser.error(f"--eval-games {eval_games} holds games the network trains on: {trained}")
    return scored


def games_key(spec: str) -> str:
    """A folder name for the feature cache of ``--games spec``: the set's name, or the packages joined by '-'."""
    return spec if spec in GAME_SETS else "-".join(resolve_games(spec))


def heldout_clips(corpus: Path, games) -> pd.DataFrame:
    """Every clip of ``games`` in the corpus, with an absolute ``file`` column."""
    clips = pd.read_csv(corpus / "clips.csv")
    clips = clips[clips.game.isin(list(games))].reset_index(drop=True)
    clips["file"] = [str(corpus / p) for p in clips.path]
    return clips


def composer_subset(clips: pd.DataFrame, min_tracks: int = 3) -> pd.DataFrame:
    """The clips of credited composers with at least ``min_tracks`` tracks (``unknown`` left out)."""
    named = clips[clips.artist != "unknown"]
    tracks = named.groupby("artist").track_id.nunique()
    return named[named.artist.isin(tracks[tracks >= min_tracks].index)].reset_index(drop=True)


def composer_accuracy(X: np.ndarray, y: np.ndarray, groups: np.ndarray, seeds: int = 3) -> tuple[float, float]:
    """Mean and standard deviation over ``seeds`` shuffles of track-grouped 5-fold accuracy."""
    head = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    means = [
        cross_val_score(head, X, y, groups=groups, cv=StratifiedGroupKFold(5, shuffle=True, random_state=s)).mean()
        for s in range(seeds)
    ]
    return float(np.mean(means)), float(np.std(means))


def teacher_tags(clip_ids, teacher: str = "MTT_musicnn", corpus_name: str = "game_music2") -> np.ndarray:
    """The committed clip-level tag probabilities of a musicnn teacher, in ``clip_ids`` order."""
    data = np.load(HERE / f"teacher_{corpus_name}_{teacher}.npz")
    index = {clip_id: i for i, clip_id in enumerate(data["clip_id"])}
    return data["taggram_mean"][[index[c] for c in clip_ids]].astype(np.float32)


def checkpoint_scores(
    weights: str, clips: pd.DataFrame, *, precision: str = "auto", seeds: int = 3, features: np.ndarray | None = None
) -> dict:
    """Composer accuracy and MTT teacher agreement of one SampleCNN checkpoint on ``clips``.

    ``features``: the checkpoint's features of :func:`composer_subset` ``(clips)``, if already computed.
    """
    from sktag import SampleCNNFeatures
    from sktag.training import SampleCNNTagger
    from sktag.weights import get_checkpoint

    composers = composer_subset(clips)
    y, groups = composers.artist.to_numpy(), composers.track_id.to_numpy()
    extra = {}
    if features is None:
        n_blocks = len(get_checkpoint(weights).build().blocks)
        extractor = SampleCNNFeatures(
            weights=weights, precision=precision, layers=[f"block{i}" for i in range(WIDE_FROM, n_blocks + 1)]
        )
        wide = extractor.fit_transform(list(composers.file))
        last_three = {f"block{i}" for i in range(n_blocks - 2, n_blocks + 1)}  # the default layers of any depth
        default = np.array([n.split("_")[0] in last_three for n in extractor.get_feature_names_out()])
        features = wide[:, default]
        extra["composer_accuracy_wide"] = composer_accuracy(wide, y, groups, seeds)[0]
    accuracy, spread = composer_accuracy(features, y, groups, seeds)
    tagger = SampleCNNTagger.from_checkpoint(weights, precision=precision)
    agreement = tag_scores(teacher_tags(clips.clip_id), tagger.predict_proba(list(clips.file)))["roc_auc"]
    return {
        "composer_accuracy": accuracy,
        "composer_std": spread,
        "teacher_agreement": agreement,
        "n_composer_clips": len(composers),
        "n_composers": int(composers.artist.nunique()),
        "n_clips": len(clips),
        **extra,
    }


def shared_test_agreement(weights: str, precision: str = "auto") -> float:
    """MTT teacher agreement on the shared game_music test split (games the networks trained on)."""
    from benchmarks.corpus.distill import SHARED
    from sktag.training import SampleCNNTagger

    clips = pd.read_csv(SHARED / "game_music" / "clips.csv")
    clips = clips[clips.split == "test"]
    tagger = SampleCNNTagger.from_checkpoint(weights, precision=precision)
    scores = tagger.predict_proba([str(SHARED / "game_music" / p) for p in clips.path])
    return tag_scores(teacher_tags(clips.clip_id, corpus_name="game_music"), scores)["roc_auc"]


def cached_features(cache: Path, key: str, compute) -> np.ndarray:
    """``compute()``'s array, saved as ``cache/key.npy`` the first time and loaded from there after."""
    path = cache / f"{key}.npy"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        np.save(path, compute())
    return np.load(path)


def baseline_features(composers: pd.DataFrame, cache: Path, random_seeds: int = 5) -> dict[str, np.ndarray]:
    """Random 3^9 SampleCNNs (seeds ``0 .. random_seeds - 1``), MFCC statistics and the musicnn embeddings."""
    from sktag import SampleCNNFeatures
    from sktag.bench.baselines import mfcc_statistics
    from sktag.weights import get_checkpoint

    files = list(composers.file)
    architecture = get_checkpoint("samplecnn-3x9").config
    rows = {
        f"{RANDOM_ROW} (seed {seed})": cached_features(
            cache,
            f"random-samplecnn-3x9-seed{seed}",
            lambda seed=seed: SampleCNNFeatures(
                weights=None, architecture=architecture, random_state=seed, precision="auto"
            ).fit_transform(files),
        )
        for seed in range(random_seeds)
    }
    rows["MFCC statistics"] = cached_features(cache, "mfcc", lambda: mfcc_statistics(files))
    for teacher, array in (
        ("MTT_musicnn", "max_pool"),
        ("MTT_musicnn", "penultimate"),
        ("MSD_musicnn", "max_pool"),
        ("MSD_vgg", "penultimate"),
    ):
        data = np.load(HERE / f"teacher_game_music2_{teacher}.npz")
        index = {clip_id: i for i, clip_id in enumerate(data["clip_id"])}
        rows[f"musicnn {teacher} {array}"] = data[array][[index[c] for c in composers.clip_id]].astype(np.float32)
    return rows


def heldout_table(
    weights: dict[str, str], clips: pd.DataFrame, cache: Path, seeds: int = 3, random_seeds: int = 5
) -> list[dict]:
    """One row per checkpoint (composer accuracy and teacher agreement) and per baseline (composer accuracy).

    The random networks' rows are followed by their mean, whose spread is the standard deviation
    over the networks (how much the baseline depends on the draw), not over fold shuffles.
    """
    from sktag import SampleCNNFeatures
    from sktag.weights import file_sha256, get_checkpoint

    composers = composer_subset(clips)
    rows = []
    for label, name in weights.items():
        source = get_checkpoint(name).source
        extractor = SampleCNNFeatures(weights=name, precision="auto")
        features = cached_features(
            cache,
            f"checkpoint-{file_sha256(source)[:16]}",
            lambda extractor=extractor: extractor.fit_transform(list(composers.file)),
        )
        rows.append(
            {
                "features": f"{label} ({name})",
                "n_features": features.shape[1],
                **checkpoint_scores(name, clips, seeds=seeds, features=features),
                "shared_test_agreement": shared_test_agreement(name),
            }
        )
        print(rows[-1], flush=True)
    baseline = []
    for label, X in baseline_features(composers, cache, random_seeds).items():
        accuracy, spread = composer_accuracy(X, composers.artist.to_numpy(), composers.track_id.to_numpy(), seeds)
        baseline.append(_baseline_row(label, X.shape[1], accuracy, spread))
        if label == f"{RANDOM_ROW} (seed {random_seeds - 1})":
            accuracies = [r["composer_accuracy"] for r in baseline]
            baseline.append(
                _baseline_row(
                    f"{RANDOM_ROW}, mean of {random_seeds} seeds", X.shape[1], np.mean(accuracies), np.std(accuracies)
                )
            )
    return rows + baseline


def _baseline_row(label: str, n_features: int, accuracy: float, spread: float) -> dict:
    return {
        "features": label,
        "n_features": n_features,
        "composer_accuracy": float(accuracy),
        "composer_std": float(spread),
        "teacher_agreement": None,
        "shared_test_agreement": None,
    }


def main(argv: list[str] | None = None) -> None:
    from benchmarks.speed import machine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--weights",
        nargs="+",
        required=True,
        metavar="LABEL=WEIGHTS",
        help="checkpoints to score: a label, '=', a shipped name or a checkpoint path",
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--games", default="validation", help=GAMES_HELP)
    parser.add_argument("--seeds", type=int, default=3, help="fold shuffles per composer accuracy")
    parser.add_argument("--random-seeds", type=int, default=5, help="random networks beside the checkpoints")
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/sktag/heldout").expanduser())
    parser.add_argument("--out", type=Path, default=HERE.parent / "results" / "heldout_games")
    args = parser.parse_args(argv)
    weights = dict(w.split("=", 1) for w in args.weights)
    games = resolve_games(args.games)
    clips = heldout_clips(args.corpus, games)
    started = time.perf_counter()
    rows = heldout_table(
        {k: str(Path(v).expanduser()) if "/" in v else v for k, v in weights.items()},
        clips,
        args.cache / games_key(args.games),
        args.seeds,
        args.random_seeds,
    )
    composers = composer_subset(clips)
    command_games = [] if args.games == "validation" else ["--games", args.games, "--out", os.path.relpath(args.out)]
    header = (
        f"# Games left out of training: composer recognition and teacher agreement (issue 26)\n\n"
        f"Held-out games: {', '.join(games)} ({len(clips)} clips). Composer recognition: "
        f"{len(composers)} clips of {composers.artist.nunique()} composers with >= 3 credited tracks "
        f"({composers.track_id.nunique()} tracks), default multi-level features, StandardScaler + "
        f"LogisticRegression(C=0.1), StratifiedGroupKFold(5) by track, mean (std) over {args.seeds} "
        f"shuffles (for the mean of the random networks: std over the networks); "
        f"chance {composers.artist.value_counts(normalize=True).max():.3f}. Teacher agreement: "
        f"`SampleCNNTagger.predict_proba` (what `sktag tag` prints) against musicnn MTT's clip tags on all "
        f"{len(clips)} clips, macro ROC-AUC with each tag's top 10 % as positives; the last column is the "
        f"same on the shared game_music test split (199 clips of the 7 games both networks trained on). "
        f"Networks at "
        f"`precision='auto'`. Machine: {machine()}. Command: `python -m benchmarks.corpus.heldout "
        f"{shlex.join(['--weights', *args.weights, '--random-seeds', str(args.random_seeds), *command_games])}` "
        f"({(time.perf_counter() - started) / 60:.1f} min).\n\n"
        f"| features | n | composer accuracy | teacher agreement | teacher agreement, shared test |\n"
        f"|---|---:|---:|---:|---:|\n"
    )

    def cell(value) -> str:
        return "-" if value is None else f"{value:.3f}"

    table = "".join(
        f"| {r['features']} | {r['n_features']} | {r['composer_accuracy']:.3f} ({r['composer_std']:.3f}) "
        f"| {cell(r['teacher_agreement'])} | {cell(r['shared_test_agreement'])} |\n"
        for r in rows
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(header + table)
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print(header + table)


if __name__ == "__main__":
    main()
