"""Teacher agreement on games a tagger never heard, against one that trained on them (issue 11).

Scores SampleCNN tagger checkpoints against the teacher's tags
(:func:`benchmarks.common.teacher_agreement`: macro ROC-AUC and PR-AUC, each tag's top
10 % of teacher probabilities as positives, as the distillation recipe reports) on
three clip sets of ``../shared/data/game_music``:

- ``held-out games, test split``: the test clips of the ``--games`` (the same clips
  for every checkpoint; the in-domain model trained on other clips of these games);
- ``other games, test split``: the rest of the test split;
- ``held-out games, all splits``: every clip of the ``--games`` (meaningful only for
  a checkpoint trained without them).

Writes ``benchmarks/results/generalisation_<name>.md`` / ``.json``::

    python -m benchmarks.quality.generalisation --name heldout-2games \\
        --games planetblupi-music-ogg,singularity-music \\
        --checkpoint in-domain=~/.cache/sktag/runs/basic-lmse-c4/basic-lmse-c4.pt \\
        --checkpoint held-out=~/.cache/sktag/runs/heldout-2games/basic-lmse-c4-heldout.pt
"""

from __future__ import annotations

import os

import numpy as np

from benchmarks import common
from sktag.training import SampleCNNTagger


def clip_sets(games: set[str]) -> dict[str, list[dict]]:
    """The three clip sets (``clips.csv`` rows) every checkpoint is scored on."""
    return {
        "held-out games, test split": common.game_music_clips("test", games=games),
        "other games, test split": common.game_music_clips("test", exclude_games=games),
        "held-out games, all splits": common.game_music_clips(games=games),
    }


def score_checkpoint(label: str, path: str, sets: dict[str, list[dict]]) -> list[dict]:
    """One checkpoint's teacher agreement on each clip set (its probabilities computed once per clip)."""
    tagger = SampleCNNTagger.from_checkpoint(os.path.expanduser(path), device="cpu")
    paths = sorted({p for rows in sets.values() for p in common.teacher_targets(rows)[0]})
    proba = dict(zip(paths, tagger.predict_proba(paths)))
    results = []
    for set_name, rows in sets.items():
        clip_paths, teacher = common.teacher_targets(rows)
        scores = common.teacher_agreement(teacher, np.stack([proba[p] for p in clip_paths]))
        results.append(
            {
                "checkpoint": label,
                "path": path,
                "clips": set_name,
                "n_clips": len(rows),
                "roc_auc_top10": scores["roc_auc_top10"],
                "pr_auc_top10": scores["pr_auc_top10"],
            }
        )
        print(results[-1], flush=True)
    return results


def markdown(report: dict) -> list[str]:
    return [
        f"# Teacher agreement on unseen games, `{report['name']}`",
        "",
        f"Command: `{report['command']}`",
        "",
        f"Held-out games: {', '.join(report['games'])}. Macro ROC-AUC / PR-AUC over the 50 teacher tags, each "
        "tag's top 10 % of teacher probabilities within the clip set as positives; 2-core CPU.",
        "",
        "| checkpoint | clips | n | ROC-AUC | PR-AUC |",
        "|---|---|---:|---:|---:|",
        *[
            f"| {r['checkpoint']} | {r['clips']} | {r['n_clips']} | {r['roc_auc_top10']:.4f} | "
            f"{r['pr_auc_top10']:.4f} |"
            for r in report["results"]
        ],
    ]


def main(argv: list[str] | None = None) -> None:
    parser = common.parser(__spec__.name, __doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--games", required=True, help="comma-separated games held out of one checkpoint's training")
    parser.add_argument("--checkpoint", action="append", required=True, metavar="LABEL=PATH")
    args = parser.parse_args(argv)
    games = set(args.games.split(","))
    sets = clip_sets(games)
    results = [row for item in args.checkpoint for row in score_checkpoint(*item.partition("=")[::2], sets)]
    report = {
        "name": args.name,
        "games": sorted(games),
        "command": common.command(__spec__.name, argv),
        "results": results,
    }
    common.write_results(f"generalisation_{args.name}", report, markdown(report))


if __name__ == "__main__":
    main()
