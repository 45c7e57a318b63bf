"""What the benchmark scripts share: where things are, game_music's clips and teacher tags,
agreement with the teacher, and writing a results file.

- :data:`ROOT`, :data:`SHARED` (``$SKTAG_SHARED_DATA``, else ``../shared/data`` beside the
  repository), :data:`RESULTS` (``benchmarks/results``);
- :func:`parser` and :func:`command`: a script's ``--help`` and the command line its results
  file records, both as ``python -m benchmarks.<group>.<script>``;
- :func:`game_music_clips`, :func:`teacher_targets`: rows of ``game_music/clips.csv`` and
  their paths and teacher probabilities (``teacher_mtt50.csv``: musicnn's MTT model, 50 tags);
- :func:`teacher_agreement`: how well a tagger's probabilities agree with the teacher's;
- :func:`write_results`: ``<stem>.json`` (and ``.csv``) and ``<stem>.md`` in :data:`RESULTS`.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import shlex
import sys
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from sktag.metrics import tag_scores

__all__ = [
    "GAME_MUSIC",
    "RESULTS",
    "ROOT",
    "SHARED",
    "command",
    "game_music_clips",
    "parser",
    "teacher_agreement",
    "teacher_tags",
    "teacher_targets",
    "write_results",
]

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SKTAG_SHARED_DATA", ROOT.parent / "shared" / "data"))
GAME_MUSIC = SHARED / "game_music"
RESULTS = ROOT / "benchmarks" / "results"

#: Teacher agreement: each tag's top 10 % of teacher probabilities (within the scored clips) are its positives.
TOP_FRACTION = 0.1
#: The second variant: teacher >= 0.5 as positives, over the tags with at least this many.
MIN_POSITIVES_AT_HALF = 5


def parser(module: str, doc: str) -> argparse.ArgumentParser:
    """The argument parser of the script ``module``; its docstring ``doc`` is the ``--help`` text."""
    return argparse.ArgumentParser(
        prog=f"python -m {module}", description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def command(module: str, argv: Sequence[str] | None = None) -> str:
    """The command line that ran ``module`` with ``argv`` (default: this process's arguments)."""
    return shlex.join(["python", "-m", module, *(sys.argv[1:] if argv is None else argv)])


def game_music_clips(
    split: str | None = None, *, games: Collection[str] | None = None, exclude_games: Collection[str] = ()
) -> list[dict]:
    """Rows of ``game_music/clips.csv`` in file order: of one split (default: all), of ``games``
    (default: all), not of ``exclude_games``."""
    with open(GAME_MUSIC / "clips.csv", newline="") as f:
        return [
            r
            for r in csv.DictReader(f)
            if (split is None or r["split"] == split)
            and (games is None or r["game"] in games)
            and r["game"] not in exclude_games
        ]


@functools.cache
def teacher_tags() -> tuple[list[str], dict[str, np.ndarray]]:
    """The teacher's 50 tag names and each clip's probabilities (``clip_id`` -> ``(50,)``)."""
    with open(GAME_MUSIC / "teacher_mtt50.csv", newline="") as f:
        reader = csv.reader(f)
        tags = next(reader)[1:]
        return tags, {row[0]: np.asarray(row[1:], dtype=np.float32) for row in reader}


def teacher_targets(rows: Sequence[dict]) -> tuple[list[str], np.ndarray]:
    """The audio paths of clip rows and their teacher probabilities ``(n_clips, 50)``."""
    teacher = teacher_tags()[1]
    return (
        [str(GAME_MUSIC / r["path"]) for r in rows],
        np.stack([teacher[r["clip_id"]] for r in rows]) if rows else np.zeros((0, 50), dtype=np.float32),
    )


def teacher_agreement(teacher: np.ndarray, proba: np.ndarray, tags: Sequence[str] | None = None) -> dict:
    """How well tag probabilities agree with the teacher's on a set of clips.

    Parameters
    ----------
    teacher : np.ndarray [shape=(n_clips, n_tags)]
        The teacher's probabilities.
    proba : np.ndarray [shape=(n_clips, n_tags)]
        The tagger's.
    tags : sequence of str, optional
        The tag names, for the per-tag scores.

    Returns
    -------
    scores : dict
        ``clips``; ``roc_auc_top10`` and ``pr_auc_top10``: macro ROC-AUC and PR-AUC
        with each tag's top 10 % of teacher probabilities as positives
        (:func:`sktag.metrics.tag_scores`); ``roc_auc_at_0.5``: macro ROC-AUC with
        teacher >= 0.5 as positives, over ``tags_at_0.5``, the tags with at least 5
        such clips (NaN if none). With ``tags``, ``per_tag_roc_auc_top10`` too.
    """
    top = tag_scores(teacher, proba, top_fraction=TOP_FRACTION)
    binary = (teacher >= 0.5).astype(np.int8)
    enough = binary.sum(axis=0) >= MIN_POSITIVES_AT_HALF
    at_half = tag_scores(binary[:, enough], proba[:, enough])["roc_auc"] if enough.any() else float("nan")
    names = list(tags) if tags is not None else [str(i) for i in range(teacher.shape[1])]
    scores = {"clips": len(teacher), "roc_auc_top10": top["roc_auc"], "pr_auc_top10": top["pr_auc"]}
    if tags is not None:
        scores["per_tag_roc_auc_top10"] = dict(zip(names, np.round(top["per_tag_roc_auc"], 4).tolist()))
    scores.update({"roc_auc_at_0.5": at_half, "tags_at_0.5": [t for t, e in zip(names, enough) if e]})
    return scores


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def write_results(
    stem: str,
    report: dict | None,
    lines: Sequence[str],
    *,
    out: str | os.PathLike | None = None,
    csv_rows: Sequence[dict] | None = None,
) -> None:
    """Write a results file and print its Markdown.

    ``report`` goes to ``<out>/<stem>.json`` (``None``: no JSON), ``csv_rows`` (dicts with
    the same keys, the first one's order) to ``<out>/<stem>.csv`` where given, and
    ``lines`` to ``<out>/<stem>.md``; ``out`` defaults to :data:`RESULTS`.
    """
    folder = RESULTS if out is None else Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    if report is not None:
        (folder / f"{stem}.json").write_text(json.dumps(report, indent=1, default=_json_default))
    if csv_rows is not None:
        with open(folder / f"{stem}.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(csv_rows[0]))
            writer.writeheader()
            writer.writerows(csv_rows)
    (folder / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
