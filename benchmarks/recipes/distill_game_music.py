"""Distil the MTAT-trained teacher's 50 tags into a SampleCNN or a mel CNN on game_music (issues 11, 6).

Trains ``SampleCNNTagger`` (or, with ``--network melcnn``, ``MelCNNTagger``) on the train split of
``../shared/data/game_music`` against the teacher's soft tags (``teacher_mtt50.csv``), validates on
the valid split, scores the test split (:func:`benchmarks.common.teacher_agreement`: macro ROC-AUC
with each tag's top 10 % of teacher probabilities as positives, and the variant binarised at 0.5
for tags with >= 5 positives), and writes ``benchmarks/results/distill_<name>.md`` / ``.json``
(curves, per-tag AUCs, command). The checkpoint goes to ``--out`` (outside the repository unless
it is final)::

    python -m benchmarks.recipes.distill_game_music --name basic-adam --recipe adam --max-epochs 40 \\
        --out ~/.cache/sktag/runs/basic-adam

``--n 8`` / ``--n 10`` train the SampleCNN at other input sizes (3^8, 3^10 samples) and
``--network melcnn --n-frames 18|27|54`` a local log-mel CNN of arXiv:1703.01793 (at
16 kHz, hop 372 and fmax 8 kHz: the paper's frame durations), the scales of the
multi-scale features. ``--weights`` continues from a checkpoint (a second stage), and ``--train-splits
train,valid`` trains on both splits with no validation (a fixed schedule: all
``--max-epochs`` run and the last weights are kept); test is never trained on.
``--exclude-games`` holds games out of training and adds their clips as a scored set.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import numpy as np

from benchmarks import common
from sktag.training import MelCNNTagger, SampleCNNTagger

HISTORY_COLUMNS = ("epoch", "train_loss", "valid_loss", "valid_roc_auc", "valid_pr_auc", "dur")


def build_parser():
    parser = common.parser(__spec__.name, __doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--recipe", choices=["staged", "adam"], default="adam")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--crops-per-clip", type=int, default=1)
    parser.add_argument("--loss", choices=["bce", "logit_mse"], default="bce")
    parser.add_argument("--network", choices=["samplecnn", "melcnn"], default="samplecnn")
    parser.add_argument("--block", default="basic", help="samplecnn: the block type")
    parser.add_argument("--n", type=int, default=9, help="samplecnn: blocks (input 3^(n+1) samples)")
    parser.add_argument("--n-frames", type=int, default=27, help="melcnn: input frames (18, 27 or 54)")
    parser.add_argument("--multi-level", action="store_true")
    parser.add_argument("--weights", default=None, help="start from this checkpoint (a second training stage)")
    parser.add_argument("--train-splits", default="train", help="comma-separated splits to train on")
    parser.add_argument("--exclude-games", default="", help="comma-separated games held out of training")
    parser.add_argument(
        "--augment",
        default=None,
        help='training-crop augmentation as JSON, e.g. \'{"gain_db": 6, "eq_db": 6, "speed": 0.06, "mix": 0.5}\'',
    )
    parser.add_argument("--out", required=True, help="folder for the checkpoint and the resumable run state")
    return parser


def training_sets(splits: list[str], exclude: set[str]) -> tuple[list[str], np.ndarray, list | None, np.ndarray | None]:
    """Training clips (the ``splits``, one after the other) and teacher tags; the valid split's unless trained on."""
    X_train, y_train = common.teacher_targets(
        [row for split in splits for row in common.game_music_clips(split, exclude_games=exclude)]
    )
    if "valid" in splits:
        return X_train, y_train, None, None
    return (X_train, y_train, *common.teacher_targets(common.game_music_clips("valid", exclude_games=exclude)))


def scored_sets(exclude: set[str]) -> dict[str, tuple[list[str], np.ndarray]]:
    """The clip sets scored after training: ``test`` (of the games trained on) and ``held_out_games``."""
    sets = {"test": common.teacher_targets(common.game_music_clips("test", exclude_games=exclude))}
    if exclude:
        sets["held_out_games"] = common.teacher_targets(
            [row for split in ("train", "valid", "test") for row in common.game_music_clips(split, games=exclude)]
        )
    return sets


def make_tagger(args, state_dir: Path):
    """The tagger ``args`` describe: a new network, or one continuing from ``--weights``."""
    if args.network == "melcnn":
        tagger_class = MelCNNTagger
        architecture = {"sample_rate": 16000, "hop_length": 372, "fmax": 8000, "n_frames": args.n_frames}
    else:
        tagger_class = SampleCNNTagger
        architecture = {"n": args.n, "block": args.block, "multi_level": args.multi_level}
    return tagger_class(
        args.weights,
        architecture=None if args.weights else architecture,
        recipe=args.recipe,
        lr=args.lr,
        max_epochs=args.max_epochs,
        crops_per_clip=args.crops_per_clip,
        loss=args.loss,
        augment=json.loads(args.augment) if args.augment else None,
        checkpoint_dir=str(state_dir),
        random_state=0,
        verbose=1,
    )


def train(args, splits: list[str], exclude: set[str], out: Path) -> tuple[object, dict]:
    """Train the tagger and save its checkpoint to ``out/<name>.pt``; the report of the run and its scores."""
    X_train, y_train, X_valid, y_valid = training_sets(splits, exclude)
    tagger = make_tagger(args, out / "state")
    started = time.perf_counter()
    tagger.fit(X_train, y_train, X_valid=X_valid, y_valid=y_valid, tags=common.teacher_tags()[0])
    report = {
        "name": args.name,
        "train_clips": len(X_train),
        "valid_clips": len(X_valid or []),
        "train_splits": splits,
        "initial_weights": args.weights,
        "train_seconds": time.perf_counter() - started,
        "excluded_games": sorted(exclude),
    }
    return tagger, report


def evaluate(tagger, exclude: set[str]) -> dict[str, dict]:
    """Teacher agreement of the trained tagger on each of :func:`scored_sets`."""
    tags = common.teacher_tags()[0]
    return {
        name: common.teacher_agreement(y, tagger.predict_proba(X), tags)
        for name, (X, y) in scored_sets(exclude).items()
    }


def save(tagger, path: Path, splits: list[str], scores: dict[str, dict]) -> str:
    """Save the checkpoint with its training data and scores; its sha256."""
    return tagger.save(
        path,
        meta={
            "training_data": f"game_music {'+'.join(splits)} split(s) (../shared/data), teacher: musicnn "
            "MTT_musicnn soft tags (knowledge distillation)",
            "metrics": {name: s["roc_auc_top10"] for name, s in scores.items()},
        },
    )


def history(tagger) -> list[dict]:
    return [{k: row.get(k) for k in HISTORY_COLUMNS} for row in tagger.history_]


def markdown(report: dict, scored: list[str]) -> list[str]:
    lines = [
        f"# Distillation run `{report['name']}`",
        "",
        f"Command: `{report['command']}`",
        "",
        f"Training: {report['train_clips']} clips of the {'+'.join(report['train_splits'])} split(s)"
        + (f", starting from `{report['initial_weights']}`" if report["initial_weights"] else "")
        + f", {report['train_seconds'] / 60:.0f} min on {os.cpu_count()} CPU cores.",
        "",
        "| split | clips | macro ROC-AUC (top-10 % positives) | PR-AUC | ROC-AUC (teacher >= 0.5, tags with >= 5) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in scored:
        r = report[name]
        lines.append(
            f"| {name} | {r['clips']} | {r['roc_auc_top10']:.4f} | {r['pr_auc_top10']:.4f} | "
            f"{r['roc_auc_at_0.5']:.4f} ({len(r['tags_at_0.5'])} tags) |"
        )
    lines += [
        "",
        "| epoch | train loss | valid loss | valid ROC-AUC | valid PR-AUC | s |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for h in report["history"]:
        cells = [f"{h[k]:.4f}" if h[k] is not None else "–" for k in HISTORY_COLUMNS[1:5]]
        lines.append(f"| {h['epoch']} | {' | '.join(cells)} | {h['dur']:.0f} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    splits = [s for s in args.train_splits.split(",") if s]
    if "test" in splits:
        parser.error("the test split is for the report only")
    exclude = {g for g in args.exclude_games.split(",") if g}
    out = Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    tagger, report = train(args, splits, exclude, out)
    scores = evaluate(tagger, exclude)
    report = {"command": common.command(__spec__.name, argv), **report, **scores, "history": history(tagger)}
    report["sha256"] = save(tagger, out / f"{args.name}.pt", splits, scores)
    common.write_results(f"distill_{args.name}", report, markdown(report, list(scores)))


if __name__ == "__main__":
    main()
