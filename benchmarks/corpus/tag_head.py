"""Teacher agreement of linear tag heads on a SampleCNN's multi-level features, on games left out.

Issue 26's question: a trained network's own tags (its ``fc`` head on block9, what ``sktag tag``
prints) agree with the musicnn MTT teacher 0.85 on games it never heard and 0.90 on those it trained
on. Does a linear head over more layers, fitted on whole clips, carry the teacher further? For each
configuration in :data:`CONFIGS` (layers x pooling within a segment; segments averaged) and each ridge
penalty in :data:`ALPHAS`: StandardScaler + Ridge from the clip's features to the logits of the
teacher's clip tags (the mean of its 3 s patches), fitted on the training clips of
``--heldout-games``; chosen by the mean agreement of 5-fold cross-validation grouped by game over the
training games (never by a held-out game), then scored on each ``--eval-games`` set beside the
network's own head. Agreement: :func:`sktag.metrics.tag_scores` ROC-AUC (each tag's top 10 % of the
teacher's clips as positives), as :func:`benchmarks.corpus.heldout.checkpoint_scores`. Features: one
cached pass of every block (:func:`benchmarks.corpus.heldout_layers.all_blocks`, bf16 where the CPU
has it). Writes ``benchmarks/results/tag_head.md`` / ``.json``::

    python -m benchmarks.corpus.tag_head --weights samplecnn-3x9-multiteacher-v2
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks.corpus.distill import teacher_arrays, training_clips
from benchmarks.corpus.heldout import (
    CORPUS,
    GAMES_HELP,
    cached_features,
    games_key,
    heldout_clips,
    resolve_games,
    scored_games,
    teacher_tags,
)
from benchmarks.corpus.heldout_layers import AGGREGATES, LAYER_SETS, POOLINGS, all_blocks, columns
from sktag.metrics import tag_scores
from sktag.training.losses import TeacherLogitMSE

HERE = Path(__file__).resolve().parent
#: (layers, pooling within a segment) of the heads; segments are averaged.
CONFIGS = (
    ("block7-9 (default)", "max"),
    ("block5-9", "max"),
    ("block5-9", "max+mean"),
    ("block3-9", "max"),
)
ALPHAS = (100.0, 300.0, 1000.0, 3000.0)


def teacher_logits(probabilities: np.ndarray) -> np.ndarray:
    """The distillation's targets: logits of the teacher's probabilities, clamped as
    :class:`sktag.training.losses.TeacherLogitMSE` clamps them."""
    return torch.logit(torch.from_numpy(probabilities), eps=TeacherLogitMSE().eps).numpy()


def ridge_head(alpha: float):
    """StandardScaler + Ridge(``alpha``): clip features to tag logits."""
    return make_pipeline(StandardScaler(), Ridge(alpha=alpha))


def games_cv_agreement(X: np.ndarray, tags: np.ndarray, games: np.ndarray, alpha: float) -> float:
    """Mean teacher agreement of :func:`ridge_head` over 5 folds grouped by game (each game on one side)."""
    return float(
        np.mean(
            [
                tag_scores(tags[test], ridge_head(alpha).fit(X[train], teacher_logits(tags[train])).predict(X[test]))[
                    "roc_auc"
                ]
                for train, test in GroupKFold(5).split(X, groups=games)
            ]
        )
    )


def main(argv: list[str] | None = None) -> None:
    from benchmarks.speed import machine
    from sktag.training import SampleCNNTagger
    from sktag.weights import file_sha256, get_checkpoint

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="samplecnn-3x9-multiteacher-v2", help="a shipped name or a path")
    parser.add_argument(
        "--heldout-games",
        default="validation+batch2",
        help=f"games left out of the heads' training clips (those the weights trained on): {GAMES_HELP}",
    )
    parser.add_argument("--eval-games", nargs="+", default=["validation2", "batch2"], help="held-out game sets scored")
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/sktag/tag_head").expanduser())
    parser.add_argument("--out", type=Path, default=HERE.parent / "results" / "tag_head")
    args = parser.parse_args(argv)
    heldout = set(resolve_games(args.heldout_games))
    for spec in args.eval_games:
        scored_games(parser, args.heldout_games, spec)
    started = time.perf_counter()
    network = file_sha256(get_checkpoint(args.weights).source)[:16]
    extractor = all_blocks(args.weights, 0, "auto")
    train = training_clips(CORPUS, heldout)
    key = f"{games_key(args.heldout_games)}-{network}"
    X = cached_features(args.cache, f"train-{key}", lambda: extractor.fit_transform(list(train.file)))
    names = extractor.fit(list(train.file[:1])).get_feature_names_out()
    tags = teacher_arrays(train, "MTT_musicnn", "taggram_mean")
    games = train.game.to_numpy()
    tagger = SampleCNNTagger.from_checkpoint(args.weights, precision="auto")
    evaluated = {}
    for spec in args.eval_games:
        clips = heldout_clips(CORPUS, resolve_games(spec))
        files, key = list(clips.file), f"{games_key(spec)}-{network}"
        evaluated[spec] = (
            cached_features(args.cache, key, lambda f=files: extractor.fit_transform(f)),
            teacher_tags(clips.clip_id),
            cached_features(args.cache, f"{key}-tags", lambda f=files: tagger.predict_proba(f)),
        )
    rows = [
        {
            "head": "the network's own (fc on block9)",
            **{spec: tag_scores(teacher, own)["roc_auc"] for spec, (_, teacher, own) in evaluated.items()},
        }
    ]
    for layers, pooling in CONFIGS:
        mask = columns(names, LAYER_SETS[layers], POOLINGS[pooling], AGGREGATES["mean"])
        for alpha in ALPHAS:
            head = ridge_head(alpha).fit(X[:, mask], teacher_logits(tags))
            rows.append(
                {
                    "head": "linear",
                    "layers": layers,
                    "pooling": pooling,
                    "alpha": alpha,
                    "n_features": int(mask.sum()),
                    "cv_games": games_cv_agreement(X[:, mask], tags, games, alpha),
                    **{
                        spec: tag_scores(teacher, head.predict(features[:, mask]))["roc_auc"]
                        for spec, (features, teacher, _) in evaluated.items()
                    },
                }
            )
            print(rows[-1], flush=True)
    chosen = max(rows[1:], key=lambda r: r["cv_games"])
    chosen["chosen"] = True
    command = "python -m benchmarks.corpus.tag_head" + (
        f" --weights {args.weights}" if args.weights != "samplecnn-3x9-multiteacher-v2" else ""
    )
    lines = [
        "# Linear tag heads on multi-level features: teacher agreement on games left out (issue 26)",
        "",
        f"Heads fitted on the {len(train)} clips of {train.game.nunique()} games that `{args.weights}` trained on "
        f"(`--heldout-games {args.heldout_games}` left out); targets the logits of musicnn MTT's clip tags. "
        "StandardScaler + Ridge; segments averaged. The configuration is chosen by 5-fold cross-validation grouped by "
        "game over the training games (`cv`), then scored on the held-out sets: "
        + ", ".join(f"`{spec}` ({len(evaluated[spec][1])} clips)" for spec in evaluated)
        + ". Agreement: macro ROC-AUC, each tag's top 10 % as positives. Machine: "
        f"{machine()}. Command: `{command}` ({(time.perf_counter() - started) / 60:.1f} min; features cached under "
        f"`{os.path.relpath(args.cache, Path.home())}` in the home folder).",
        "",
        "| head | layers | pooling | alpha | n | cv (training games) | " + " | ".join(evaluated) + " |",
        "|---|---|---|---:|---:|---:|" + "---:|" * len(evaluated),
    ]
    for r in rows:
        cells = [f"{r[spec]:.4f}" for spec in evaluated]
        if "layers" not in r:
            lines.append(f"| {r['head']} | | | | | | " + " | ".join(cells) + " |")
            continue
        mark = " (chosen)" if r.get("chosen") else ""
        lines.append(
            f"| linear{mark} | {r['layers']} | {r['pooling']} | {r['alpha']:g} | {r['n_features']} | "
            f"{r['cv_games']:.4f} | " + " | ".join(cells) + " |"
        )
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
