"""Distil the MTAT-trained teacher's 50 tags into a SampleCNN or a mel CNN on game_music (issues 11, 6).

Trains ``SampleCNNTagger`` (or, with ``--network melcnn``, ``MelCNNTagger``) on the train split of ``../shared/data/game_music`` against
the teacher's soft tags (``teacher_mtt50.csv``), validates on the valid split, scores
the test split (macro ROC-AUC with each tag's top 10 % of teacher probabilities as
positives, and the variant binarised at 0.5 for tags with >= 5 positives), and writes
``benchmarks/results/distill_<name>.md`` / ``.json`` (curves, per-tag AUCs, command).
The checkpoint goes to ``--out`` (outside the repository unless it is final)::

    python benchmarks/distill_game_music.py --name basic-adam --recipe adam --max-epochs 40 \\
        --out ~/.cache/sktag/runs/basic-adam

``--n 8`` / ``--n 10`` train the SampleCNN at other input sizes (3^8, 3^10 samples) and
``--network melcnn --n-frames 18|27|54`` a local log-mel CNN of arXiv:1703.01793 (at
16 kHz, hop 372 and fmax 8 kHz: the paper's frame durations), the scales of the
multi-scale features. ``--weights`` continues from a checkpoint (a second stage), and ``--train-splits
train,valid`` trains on both splits with no validation (a fixed schedule: all
``--max-epochs`` run and the last weights are kept); test is never trained on.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

from sktag.metrics import tag_scores
from sktag.training import MelCNNTagger, SampleCNNTagger

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SKTAG_SHARED_DATA", ROOT.parent / "shared" / "data"))


def load_split(split: str, exclude_games: set[str]) -> tuple[list[str], np.ndarray, list[str], list[str]]:
    folder = SHARED / "game_music"
    with open(folder / "teacher_mtt50.csv", newline="") as f:
        reader = csv.reader(f)
        tags = next(reader)[1:]
        teacher = {row[0]: np.asarray(row[1:], dtype=np.float32) for row in reader}
    with open(folder / "clips.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split and r["game"] not in exclude_games]
    paths = [str(folder / r["path"]) for r in rows]
    return paths, np.stack([teacher[r["clip_id"]] for r in rows]), tags, [r["game"] for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    parser.add_argument("--augment", default=None,
                        help='training-crop augmentation as JSON, e.g. \'{"gain_db": 6, "eq_db": 6, "speed": 0.06, "mix": 0.5}\'')
    parser.add_argument("--out", required=True, help="folder for the checkpoint and the resumable run state")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    exclude = {g for g in args.exclude_games.split(",") if g}

    splits = [s for s in args.train_splits.split(",") if s]
    if "test" in splits:
        parser.error("the test split is for the report only")
    parts = [load_split(s, exclude) for s in splits]
    X_train, y_train, tags = sum((p[0] for p in parts), []), np.concatenate([p[1] for p in parts]), parts[0][2]
    X_valid, y_valid = (None, None) if "valid" in splits else load_split("valid", exclude)[:2]
    out = Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    if args.network == "melcnn":
        tagger_class = MelCNNTagger
        architecture = {"sample_rate": 16000, "hop_length": 372, "fmax": 8000, "n_frames": args.n_frames}
    else:
        tagger_class = SampleCNNTagger
        architecture = {"n": args.n, "block": args.block, "multi_level": args.multi_level}
    tagger = tagger_class(
        args.weights,
        architecture=None if args.weights else architecture,
        recipe=args.recipe, lr=args.lr, max_epochs=args.max_epochs, crops_per_clip=args.crops_per_clip,
        loss=args.loss, augment=json.loads(args.augment) if args.augment else None, checkpoint_dir=str(out / "state"),
        random_state=0, verbose=1,
    )
    started = time.perf_counter()
    tagger.fit(X_train, y_train, X_valid=X_valid, y_valid=y_valid, tags=tags)
    train_seconds = time.perf_counter() - started

    report: dict = {"name": args.name, "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
                    "train_clips": len(X_train), "valid_clips": len(X_valid or []),
                    "train_splits": splits, "initial_weights": args.weights, "train_seconds": train_seconds,
                    "excluded_games": sorted(exclude)}
    evaluations = {"test": load_split("test", exclude)}
    if exclude:
        held = [load_split(s, set()) for s in ("train", "valid", "test")]
        keep = [[i for i, g in enumerate(h[3]) if g in exclude] for h in held]
        evaluations["held_out_games"] = (
            sum(([h[0][i] for i in k] for h, k in zip(held, keep)), []),
            np.concatenate([h[1][k] for h, k in zip(held, keep)]), tags, [],
        )
    for name, (X, y, _, _) in evaluations.items():
        proba = tagger.predict_proba(X)
        top10 = tag_scores(y, proba, top_fraction=0.1)
        binary = (y >= 0.5).astype(np.int8)
        enough = binary.sum(axis=0) >= 5
        at_half = tag_scores(binary[:, enough], proba[:, enough]) if enough.any() else {"roc_auc": float("nan")}
        report[name] = {
            "clips": len(X),
            "roc_auc_top10": top10["roc_auc"], "pr_auc_top10": top10["pr_auc"],
            "per_tag_roc_auc_top10": dict(zip(tags, np.round(top10["per_tag_roc_auc"], 4).tolist())),
            "roc_auc_at_0.5": at_half["roc_auc"], "tags_at_0.5": [t for t, e in zip(tags, enough) if e],
        }
    report["history"] = [
        {k: row.get(k) for k in ("epoch", "train_loss", "valid_loss", "valid_roc_auc", "valid_pr_auc", "dur")}
        for row in tagger.history_
    ]
    checkpoint = out / f"{args.name}.pt"
    report["sha256"] = tagger.save(checkpoint, meta={
        "training_data": f"game_music {'+'.join(splits)} split(s) (../shared/data), teacher: musicnn "
                         "MTT_musicnn soft tags (knowledge distillation)", "metrics": {k: report[k]["roc_auc_top10"] for k in evaluations}})
    results = ROOT / "benchmarks" / "results"
    (results / f"distill_{args.name}.json").write_text(json.dumps(report, indent=1, default=float))
    lines = [f"# Distillation run `{args.name}`", "", f"Command: `python benchmarks/{report['command']}`", "",
             f"Training: {len(X_train)} clips of the {'+'.join(splits)} split(s)"
             + (f", starting from `{args.weights}`" if args.weights else "")
             + f", {train_seconds / 60:.0f} min on {os.cpu_count()} CPU cores.", "",
             "| split | clips | macro ROC-AUC (top-10 % positives) | PR-AUC | ROC-AUC (teacher >= 0.5, tags with >= 5) |",
             "|---|---:|---:|---:|---:|"]
    for name in evaluations:
        r = report[name]
        lines.append(f"| {name} | {r['clips']} | {r['roc_auc_top10']:.4f} | {r['pr_auc_top10']:.4f} | "
                     f"{r['roc_auc_at_0.5']:.4f} ({len(r['tags_at_0.5'])} tags) |")
    lines += ["", "| epoch | train loss | valid loss | valid ROC-AUC | valid PR-AUC | s |", "|---:|---:|---:|---:|---:|---:|"]
    for h in report["history"]:
        cells = [f"{h[k]:.4f}" if h[k] is not None else "–" for k in ("train_loss", "valid_loss", "valid_roc_auc",
                                                                        "valid_pr_auc")]
        lines.append(f"| {h['epoch']} | {' | '.join(cells)} | {h['dur']:.0f} |")
    (results / f"distill_{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
