"""Teacher agreement on games a tagger never heard, against one that trained on them (issue 11).

Scores SampleCNN tagger checkpoints against the teacher's tags (macro ROC-AUC, each
tag's top 10 % of teacher probabilities as positives, as in distill_game_music.py)
on three clip sets of ``../shared/data/game_music``:

- ``held-out games, test split``: the test clips of the ``--games`` (the same clips
  for every checkpoint; the in-domain model trained on other clips of these games);
- ``other games, test split``: the rest of the test split;
- ``held-out games, all splits``: every clip of the ``--games`` (meaningful only for
  a checkpoint trained without them).

Writes ``benchmarks/results/generalisation_<name>.md`` / ``.json``::

    python benchmarks/generalisation.py --name heldout-2games \\
        --games planetblupi-music-ogg,singularity-music \\
        --checkpoint in-domain=~/.cache/sktag/runs/basic-lmse-c4/basic-lmse-c4.pt \\
        --checkpoint held-out=~/.cache/sktag/runs/heldout-2games/basic-lmse-c4-heldout.pt
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

import numpy as np

from sktag.metrics import tag_scores
from sktag.training import SampleCNNTagger

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SKTAG_SHARED_DATA", ROOT.parent / "shared" / "data"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--games", required=True, help="comma-separated games held out of one checkpoint's training")
    parser.add_argument("--checkpoint", action="append", required=True, metavar="LABEL=PATH")
    args = parser.parse_args()
    games = set(args.games.split(","))
    folder = SHARED / "game_music"
    with open(folder / "teacher_mtt50.csv", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        teacher = {row[0]: np.asarray(row[1:], dtype=np.float32) for row in reader}
    with open(folder / "clips.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    sets = {
        "held-out games, test split": [r for r in rows if r["game"] in games and r["split"] == "test"],
        "other games, test split": [r for r in rows if r["game"] not in games and r["split"] == "test"],
        "held-out games, all splits": [r for r in rows if r["game"] in games],
    }
    report: dict = {"name": args.name, "games": sorted(games), "command": " ".join([Path(sys.argv[0]).name,
                                                                                   *sys.argv[1:]]), "results": []}
    for item in args.checkpoint:
        label, _, path = item.partition("=")
        tagger = SampleCNNTagger.from_checkpoint(os.path.expanduser(path), device="cpu")
        paths = sorted({r["path"] for rs in sets.values() for r in rs})
        proba = dict(zip(paths, tagger.predict_proba([str(folder / p) for p in paths])))
        for set_name, members in sets.items():
            y = np.stack([teacher[r["clip_id"]] for r in members])
            scores = tag_scores(y, np.stack([proba[r["path"]] for r in members]), top_fraction=0.1)
            report["results"].append({"checkpoint": label, "path": path, "clips": set_name, "n_clips": len(members),
                                      "roc_auc_top10": scores["roc_auc"], "pr_auc_top10": scores["pr_auc"]})
            print(report["results"][-1], flush=True)
    results = ROOT / "benchmarks" / "results"
    (results / f"generalisation_{args.name}.json").write_text(json.dumps(report, indent=1, default=float))
    lines = [f"# Teacher agreement on unseen games, `{args.name}`", "",
             f"Command: `python benchmarks/{report['command']}`", "",
             f"Held-out games: {', '.join(sorted(games))}. Macro ROC-AUC / PR-AUC over the 50 teacher tags, each "
             "tag's top 10 % of teacher probabilities within the clip set as positives; 2-core CPU.", "",
             "| checkpoint | clips | n | ROC-AUC | PR-AUC |", "|---|---|---:|---:|---:|"]
    lines += [f"| {r['checkpoint']} | {r['clips']} | {r['n_clips']} | {r['roc_auc_top10']:.4f} | "
              f"{r['pr_auc_top10']:.4f} |" for r in report["results"]]
    (results / f"generalisation_{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
