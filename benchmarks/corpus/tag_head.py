"""Teacher agreement of linear tag heads on a SampleCNN's multi-level features, on games left out; ships the chosen one.

Issue 26's question: a trained network's own tags (its ``fc`` head on block9, what ``sktag tag``
printed) agree with the musicnn MTT teacher 0.85 on games it never heard and 0.90 on those it trained
on. Does a linear head over more layers, fitted on whole clips, carry the teacher further? For each
configuration in :data:`CONFIGS` (layers x pooling within a segment; segments averaged), each target
in :data:`TARGETS` and each ridge penalty in :data:`ALPHAS`: StandardScaler + Ridge from the clip's
features to the target, fitted on the training clips of ``--heldout-games``; chosen by the mean
agreement of 5-fold cross-validation grouped by game over the training games (never by a held-out
game), then scored on each ``--eval-games`` set beside the network's own head. Agreement:
:func:`sktag.metrics.tag_scores` ROC-AUC (each tag's top 10 % of the teacher's clips as positives), as
:func:`benchmarks.corpus.heldout.checkpoint_scores`; beside it, how many of the teacher's top 5 tags
of a clip are among the head's top 5 (what ``sktag tag`` prints).

The chosen head is calibrated (per tag, a least-squares line from its out-of-fold outputs to the
teacher's logits, which keeps each tag's ranking of clips) and, with ``--save PATH``, written with the
network as a checkpoint (:func:`sktag.training.save_clip_head`), whose tagger is then scored end to
end on the held-out sets. Features: one cached pass of every block
(:func:`benchmarks.corpus.heldout_layers.all_blocks`, bf16 where the CPU has it). Writes
``benchmarks/results/tag_head.md`` / ``.json``::

    python -m benchmarks.corpus.tag_head --weights samplecnn-3x9-multiteacher-v2 --save OUT.pt
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import norm, rankdata
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
    ("block3-9", "max+mean"),
    ("block1-9", "max+mean"),
)
ALPHAS = (300.0, 1000.0, 3000.0)


def teacher_logits(probabilities: np.ndarray) -> np.ndarray:
    """The distillation's targets: logits of the teacher's probabilities, clamped as
    :class:`sktag.training.losses.TeacherLogitMSE` clamps them."""
    return torch.logit(torch.from_numpy(probabilities), eps=TeacherLogitMSE().eps).numpy()


def normal_scores(probabilities: np.ndarray) -> np.ndarray:
    """Each tag's ranks of the clips as standard normal quantiles: a target that weighs every part of a tag's
    ranking alike, however the teacher's probabilities bunch up."""
    return norm.ppf((rankdata(probabilities, axis=0) - 0.5) / len(probabilities))


#: Name -> the ridge's targets from the teacher's clip probabilities.
TARGETS = {"logits": teacher_logits, "normal scores": normal_scores}


def ridge_head(alpha: float):
    """StandardScaler + Ridge(``alpha``): clip features to tag logits."""
    return make_pipeline(StandardScaler(), Ridge(alpha=alpha))


def game_folds(games: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """5 folds of (train, test) clip indices grouped by game (each game on one side)."""
    return list(GroupKFold(5).split(games, groups=games))


def games_cv_agreement(X: np.ndarray, tags: np.ndarray, games: np.ndarray, alpha: float, target=teacher_logits):
    """Mean teacher agreement of :func:`ridge_head` on ``target(tags)`` over :func:`game_folds`."""
    return float(
        np.mean(
            [
                tag_scores(tags[test], ridge_head(alpha).fit(X[train], target(tags[train])).predict(X[test]))["roc_auc"]
                for train, test in game_folds(games)
            ]
        )
    )


def calibrated_head(
    X: np.ndarray, tags: np.ndarray, games: np.ndarray, alpha: float, target=teacher_logits
) -> tuple[np.ndarray, np.ndarray]:
    """The chosen head as one linear map to calibrated logits: ``(coef (n_tags, n_features), intercept (n_tags,))``.

    :func:`ridge_head` fitted on all of ``X``, the scaler folded in; then, per tag, the least-squares line from its
    out-of-fold outputs (:func:`game_folds`) to the teacher's logits, so that a clip's tags compare as the teacher's
    probabilities do. The slope is kept positive, so each tag ranks the clips as the ridge does.
    """
    out_of_fold = np.empty(tags.shape)
    for train, test in game_folds(games):
        out_of_fold[test] = ridge_head(alpha).fit(X[train], target(tags[train])).predict(X[test])
    logits = teacher_logits(tags)
    centred = out_of_fold - out_of_fold.mean(0)
    slope = np.maximum((centred * (logits - logits.mean(0))).sum(0) / (centred**2).sum(0), 1e-3)
    offset = logits.mean(0) - slope * out_of_fold.mean(0)
    scaler, ridge = ridge_head(alpha).fit(X, target(tags))
    weights = ridge.coef_ / scaler.scale_
    return slope[:, None] * weights, slope * (ridge.intercept_ - weights @ scaler.mean_) + offset


def top5_overlap(teacher: np.ndarray, predicted: np.ndarray) -> float:
    """Mean over clips of the share of the teacher's 5 most probable tags among the predicted 5 most probable."""
    top = lambda p: np.argsort(-p, axis=1)[:, :5]  # noqa: E731
    return float(np.mean([len(set(a) & set(b)) / 5 for a, b in zip(top(teacher), top(predicted))]))


def main(argv: list[str] | None = None) -> None:
    from benchmarks.speed import machine
    from sktag.training import SampleCNNTagger, save_clip_head
    from sktag.weights import file_sha256, get_checkpoint

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="samplecnn-3x9-multiteacher-v2", help="a shipped name or a path")
    parser.add_argument(
        "--heldout-games",
        default="validation+batch2",
        help=f"games left out of the heads' training clips (those the weights trained on): {GAMES_HELP}",
    )
    parser.add_argument("--eval-games", nargs="+", default=["validation2", "batch2"], help="held-out game sets scored")
    parser.add_argument("--save", type=Path, help="write the weights with the chosen head here, and score its tagger")
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
        evaluated[spec] = {
            "files": files,
            "features": cached_features(args.cache, key, lambda f=files: extractor.fit_transform(f)),
            "teacher": teacher_tags(clips.clip_id),
            "own": cached_features(args.cache, f"{key}-tags", lambda f=files: tagger.predict_proba(f)),
        }

    def scores(predicted: dict) -> dict:
        return {
            **{spec: tag_scores(e["teacher"], predicted[spec])["roc_auc"] for spec, e in evaluated.items()},
            **{f"{spec} top5": top5_overlap(e["teacher"], predicted[spec]) for spec, e in evaluated.items()},
        }

    rows = [{"head": "the network's own (fc on block9)", **scores({s: e["own"] for s, e in evaluated.items()})}]
    for layers, pooling in CONFIGS:
        mask = columns(names, LAYER_SETS[layers], POOLINGS[pooling], AGGREGATES["mean"])
        for target, to_target in TARGETS.items():
            for alpha in ALPHAS:
                head = ridge_head(alpha).fit(X[:, mask], to_target(tags))
                rows.append(
                    {
                        "head": "linear",
                        "layers": layers,
                        "pooling": pooling,
                        "target": target,
                        "alpha": alpha,
                        "n_features": int(mask.sum()),
                        "cv_games": games_cv_agreement(X[:, mask], tags, games, alpha, to_target),
                        **{
                            spec: tag_scores(e["teacher"], head.predict(e["features"][:, mask]))["roc_auc"]
                            for spec, e in evaluated.items()
                        },
                    }
                )
                print(rows[-1], flush=True)
    chosen = max(rows[1:], key=lambda r: r["cv_games"])
    chosen["chosen"] = True
    mask = columns(names, LAYER_SETS[chosen["layers"]], POOLINGS[chosen["pooling"]], AGGREGATES["mean"])
    coef, intercept = calibrated_head(X[:, mask], tags, games, chosen["alpha"], TARGETS[chosen["target"]])
    logits = {spec: e["features"][:, mask] @ coef.T + intercept for spec, e in evaluated.items()}
    rows.append({"head": "the chosen head, calibrated", **scores({s: 1 / (1 + np.exp(-v)) for s, v in logits.items()})})
    if args.save is not None:
        assert chosen["pooling"] == "max+mean", "save_clip_head takes max+mean features"
        recipe = (
            f"StandardScaler + Ridge(alpha={chosen['alpha']:g}) from SampleCNNFeatures(layers={chosen['layers']}, "
            f"pooling='max+mean') of whole clips to the {chosen['target']} of musicnn MTT's clip tags, fitted on the "
            f"{len(train)} clips of the {train.game.nunique()} games the network trained on and chosen by "
            "cross-validation grouped by game over them; per tag, a line from out-of-fold outputs to the teacher's "
            "logits; python -m benchmarks.corpus.tag_head --save"
        )
        sha256 = save_clip_head(
            args.save, args.weights, LAYER_SETS[chosen["layers"]], coef, intercept, meta={"clip_head_recipe": recipe}
        )
        shipped = SampleCNNTagger.from_checkpoint(args.save, precision="auto")
        end_to_end = {
            spec: cached_features(
                args.cache, f"{games_key(spec)}-{sha256[:16]}-tags", lambda f=e["files"]: shipped.predict_proba(f)
            )
            for spec, e in evaluated.items()
        }
        rows.append({"head": f"saved, end to end (sha256 {sha256[:12]})", **scores(end_to_end)})
    command = (
        "python -m benchmarks.corpus.tag_head"
        + (f" --weights {args.weights}" if args.weights != "samplecnn-3x9-multiteacher-v2" else "")
        + (" --save OUT.pt" if args.save is not None else "")
    )
    lines = [
        "# Linear tag heads on multi-level features: teacher agreement on games left out (issue 26)",
        "",
        f"Heads fitted on the {len(train)} clips of {train.game.nunique()} games that `{args.weights}` trained on "
        f"(`--heldout-games {args.heldout_games}` left out); targets from musicnn MTT's clip tags: their logits, or "
        "each tag's ranks as normal quantiles (`normal scores`). StandardScaler + Ridge; segments averaged. The "
        "head is chosen by 5-fold cross-validation grouped by game over the training games (`cv`), then scored on "
        "the held-out sets: "
        + ", ".join(f"`{spec}` ({len(e['teacher'])} clips)" for spec, e in evaluated.items())
        + ". Agreement: macro ROC-AUC, each tag's top 10 % as positives; `top5`: the share of the teacher's five "
        f"most probable tags of a clip among the head's five. Machine: {machine()}. Command: `{command}` "
        f"({(time.perf_counter() - started) / 60:.1f} min; features cached under "
        f"`{os.path.relpath(args.cache, Path.home())}` in the home folder).",
        "",
        "| head | layers | pooling | target | alpha | n | cv (training games) | "
        + " | ".join(evaluated)
        + " | "
        + " | ".join(f"{spec} top5" for spec in evaluated)
        + " |",
        "|---|---|---|---|---:|---:|---:|" + "---:|" * (2 * len(evaluated)),
    ]
    for r in rows:
        cells = [f"{r[spec]:.4f}" for spec in evaluated] + [
            f"{r[f'{spec} top5']:.3f}" if f"{spec} top5" in r else "" for spec in evaluated
        ]
        if "layers" not in r:
            lines.append(f"| {r['head']} | | | | | | | " + " | ".join(cells) + " |")
            continue
        mark = " (chosen)" if r.get("chosen") else ""
        lines.append(
            f"| linear{mark} | {r['layers']} | {r['pooling']} | {r['target']} | {r['alpha']:g} | {r['n_features']} | "
            f"{r['cv_games']:.4f} | " + " | ".join(cells) + " |"
        )
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
