"""Linear tag heads on a SampleCNN's multi-level features: chosen on unheard games, scored on others, shipped.

Issue 26's question: a trained network's own tags (its ``fc`` head on block9, what ``sktag tag``
printed) agree with the musicnn MTT teacher 0.84 on games it never heard and 0.90 on those it trained
on. Does a linear head over more layers, fitted on whole clips, carry the teacher further? For each
configuration in :data:`CONFIGS` (layers x pooling within a segment; segments averaged), each target
in :data:`TARGETS` and each ridge penalty in :data:`ALPHAS`: StandardScaler + Ridge from the clip's
features to the target, fitted on the clips of the games the network trained on (all but
``--heldout-games``). Each head is scored on ``--select-games`` (held out of the network's training)
and, for information, by 5-fold cross-validation grouped by game over the training games (``cv``),
which favours the layers that training shaped. The head that agrees best on ``--select-games`` is
refitted on the training games and those, calibrated (per tag, a least-squares line from its
out-of-fold outputs, folds grouped by game, to the teacher's logits; it keeps each tag's ranking of
clips) and scored on ``--eval-games``, which nothing was fitted or chosen on. Agreement:
:func:`sktag.metrics.tag_scores` ROC-AUC (each tag's top 10 % of the teacher's clips as positives),
as :func:`benchmarks.corpus.heldout.checkpoint_scores`; beside it, how many of the teacher's top 5
tags of a clip are among the head's top 5 (what ``sktag tag`` prints).

``--save PATH`` writes the network with the chosen head (:func:`sktag.training.save_clip_head`)
and scores its tagger end to end on ``--eval-games``. Features: one cached pass of every block
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
import pandas as pd
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
ALPHAS = (100.0, 300.0, 1000.0, 3000.0)


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


def random_network_row(
    args: argparse.Namespace, train: pd.DataFrame, tags: np.ndarray, sets: dict, mask: np.ndarray, to_target
) -> dict:
    """The chosen head's columns (``mask``) and target on a random network of the same architecture (seed 0): the
    penalty chosen on the select games, fitted on the training games alone, as the grid's rows are."""
    extractor = all_blocks(None, 0, "auto")
    X = cached_features(
        args.cache, f"train-{games_key(args.heldout_games)}-random0", lambda: extractor.fit_transform(list(train.file))
    )
    features = {
        role: cached_features(
            args.cache, f"{games_key(s['name'])}-random0", lambda f=s["files"]: extractor.fit_transform(f)
        )
        for role, s in sets.items()
    }
    heads = {alpha: ridge_head(alpha).fit(X[:, mask], to_target(tags)) for alpha in ALPHAS}
    scored = {
        alpha: {
            role: tag_scores(sets[role]["teacher"], head.predict(features[role][:, mask]))["roc_auc"] for role in sets
        }
        for alpha, head in heads.items()
    }
    alpha = max(scored, key=lambda a: scored[a]["select"])
    return {
        "head": f"the chosen layers, pooling and target on a random network (seed 0), fitted on the training games "
        f"alone; alpha {alpha:g} chosen on the select games",
        **scored[alpha],
    }


def main(argv: list[str] | None = None) -> None:
    from benchmarks.speed import machine
    from sktag.training import SampleCNNTagger, save_clip_head
    from sktag.weights import file_sha256, get_checkpoint

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="samplecnn-3x9-multiteacher-v2", help="a shipped name or a path")
    parser.add_argument(
        "--heldout-games",
        default="validation+batch2",
        help=f"games the network did not train on (the heads fit on all others): {GAMES_HELP}",
    )
    parser.add_argument("--select-games", default="validation", help="held-out games the head is chosen on")
    parser.add_argument("--eval-games", default="batch2", help="held-out games scored (none of --select-games)")
    parser.add_argument("--save", type=Path, help="write the weights with the chosen head here, and score its tagger")
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/sktag/tag_head").expanduser())
    parser.add_argument("--out", type=Path, default=HERE.parent / "results" / "tag_head")
    args = parser.parse_args(argv)
    select_games = set(scored_games(parser, args.heldout_games, args.select_games))
    if shared := sorted(select_games & set(scored_games(parser, args.heldout_games, args.eval_games))):
        parser.error(f"--eval-games shares {shared} with --select-games")
    started = time.perf_counter()
    network = file_sha256(get_checkpoint(args.weights).source)[:16]
    extractor = all_blocks(args.weights, 0, "auto")
    train = training_clips(CORPUS, set(resolve_games(args.heldout_games)))
    X = cached_features(
        args.cache,
        f"train-{games_key(args.heldout_games)}-{network}",
        lambda: extractor.fit_transform(list(train.file)),
    )
    names = extractor.fit(list(train.file[:1])).get_feature_names_out()
    tags = teacher_arrays(train, "MTT_musicnn", "taggram_mean")
    tagger = SampleCNNTagger.from_checkpoint(args.weights, precision="auto")
    sets = {}
    for role, spec in (("select", args.select_games), ("eval", args.eval_games)):
        clips = heldout_clips(CORPUS, resolve_games(spec))
        files, key = list(clips.file), f"{games_key(spec)}-{network}"
        sets[role] = {
            "name": spec,
            "files": files,
            "games": clips.game.to_numpy(),
            "features": cached_features(args.cache, key, lambda f=files: extractor.fit_transform(f)),
            "teacher": teacher_tags(clips.clip_id),
            "own": cached_features(args.cache, f"{key}-tags", lambda f=files: tagger.predict_proba(f)),
        }
    select, evaluate = sets["select"], sets["eval"]

    def scores(role: str, probabilities: np.ndarray) -> dict:
        return {
            role: tag_scores(sets[role]["teacher"], probabilities)["roc_auc"],
            f"{role} top5": top5_overlap(sets[role]["teacher"], probabilities),
        }

    rows = [
        {
            "head": "the network's own (fc on block9)",
            **scores("select", select["own"]),
            **scores("eval", evaluate["own"]),
        }
    ]
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
                        "cv_games": games_cv_agreement(X[:, mask], tags, train.game.to_numpy(), alpha, to_target),
                        "select": tag_scores(select["teacher"], head.predict(select["features"][:, mask]))["roc_auc"],
                        "eval": tag_scores(evaluate["teacher"], head.predict(evaluate["features"][:, mask]))["roc_auc"],
                    }
                )
                print(rows[-1], flush=True)
    chosen = max(rows[1:], key=lambda r: r["select"])
    chosen["chosen"] = True
    mask = columns(names, LAYER_SETS[chosen["layers"]], POOLINGS[chosen["pooling"]], AGGREGATES["mean"])
    fit_X = np.vstack([X[:, mask], select["features"][:, mask]])
    fit_tags = np.vstack([tags, select["teacher"]])
    fit_games = np.concatenate([train.game.to_numpy(), select["games"]])
    coef, intercept = calibrated_head(fit_X, fit_tags, fit_games, chosen["alpha"], TARGETS[chosen["target"]])
    logits = evaluate["features"][:, mask] @ coef.T + intercept
    rows.append(
        {
            "head": "the chosen head refitted with --select-games, calibrated",
            **scores("eval", 1 / (1 + np.exp(-logits))),
        }
    )
    n_games = len(set(fit_games))
    rows.append(random_network_row(args, train, tags, sets, mask, TARGETS[chosen["target"]]))
    if args.save is not None:
        assert chosen["pooling"] == "max+mean", "save_clip_head takes max+mean features"
        recipe = (
            f"StandardScaler + Ridge(alpha={chosen['alpha']:g}) from SampleCNNFeatures(layers={chosen['layers']}, "
            f"pooling='max+mean') of whole clips to the {chosen['target']} of musicnn MTT's clip tags, chosen on "
            f"{args.select_games} (games the network never heard) and fitted on {len(fit_X)} clips of {n_games} games "
            f"(none of {args.eval_games}); per tag, a line from out-of-fold outputs to the teacher's logits; "
            "python -m benchmarks.corpus.tag_head --save"
        )
        sha256 = save_clip_head(
            args.save, args.weights, LAYER_SETS[chosen["layers"]], coef, intercept, meta={"clip_head_recipe": recipe}
        )
        for precision in ("auto", "fp32"):  # bf16 where the CPU has it; fp32, as ``sktag tag`` runs by default
            shipped = SampleCNNTagger.from_checkpoint(args.save, precision=precision)
            end_to_end = cached_features(
                args.cache,
                f"{games_key(args.eval_games)}-{sha256[:16]}-tags" + ("" if precision == "auto" else f"-{precision}"),
                lambda t=shipped: t.predict_proba(evaluate["files"]),
            )
            rows.append(
                {
                    "head": f"saved, end to end, precision {precision} (sha256 {sha256[:12]})",
                    **scores("eval", end_to_end),
                }
            )
    command = (
        "python -m benchmarks.corpus.tag_head"
        + (f" --weights {args.weights}" if args.weights != "samplecnn-3x9-multiteacher-v2" else "")
        + (" --save OUT.pt" if args.save is not None else "")
    )
    lines = [
        "# Linear tag heads on multi-level features: teacher agreement on games left out (issue 26)",
        "",
        f"Heads fitted on the {len(train)} clips of the {train.game.nunique()} games `{args.weights}` trained on; "
        "targets from musicnn MTT's clip tags: their logits, or each tag's ranks as normal quantiles (`normal "
        "scores`). StandardScaler + Ridge; segments averaged. Each head is scored on "
        f"`{args.select_games}` ({len(select['files'])} clips of {len(set(select['games']))} games the network "
        "never heard), which chooses the head, and for information by 5-fold cross-validation grouped by game over "
        "the training games (`cv`). The chosen head is refitted on the training games and "
        f"`{args.select_games}` ({len(fit_X)} clips, {n_games} games), calibrated, and scored on `{args.eval_games}` "
        f"({len(evaluate['files'])} clips of {len(set(evaluate['games']))} games that nothing was fitted or chosen "
        "on). The rows above it are scored there too, as fitted on the training games alone. Agreement: macro "
        "ROC-AUC, each tag's top 10 % as positives; `top5`: the share of the teacher's five most probable tags of "
        f"a clip among the head's five. Machine: {machine()}. Command: `{command}` "
        f"({(time.perf_counter() - started) / 60:.1f} min; features cached under "
        f"`{os.path.relpath(args.cache, Path.home())}` in the home folder).",
        "",
        f"| head | layers | pooling | target | alpha | n | cv (training games) | {args.select_games} | "
        f"{args.eval_games} | {args.select_games} top5 | {args.eval_games} top5 |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cell(row: dict, key: str, digits: int) -> str:
        return f"{row[key]:.{digits}f}" if key in row else ""

    for r in rows:
        cells = " | ".join(
            [cell(r, "select", 4), cell(r, "eval", 4), cell(r, "select top5", 3), cell(r, "eval top5", 3)]
        )
        if "layers" not in r:
            lines.append(f"| {r['head']} | | | | | | | {cells} |")
            continue
        mark = " (chosen)" if r.get("chosen") else ""
        lines.append(
            f"| linear{mark} | {r['layers']} | {r['pooling']} | {r['target']} | {r['alpha']:g} | {r['n_features']} | "
            f"{r['cv_games']:.4f} | {cells} |"
        )
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
