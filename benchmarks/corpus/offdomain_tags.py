"""The tags ``sktag tag`` prints on music far from the training games: Philharmonia's orchestral notes.

Issue 26 found the tags off-domain weak (``flute`` ranked below ``strings`` on flute clips). No head
or network was fitted or chosen on Philharmonia, so its 4,008 notes test the tags of each checkpoint
in ``--weights`` (``SampleCNNTagger.from_checkpoint(...).predict_proba``, as ``sktag tag``) against the
musicnn MTT teacher's tags of the same clips (``teacher_mtt50.csv``): macro ROC-AUC with each tag's top
10 % of the teacher's clips as positives, and the share of the teacher's five most probable tags of a
clip among the checkpoint's five. For each instrument an MTT tag names (:data:`INSTRUMENT_TAGS`): the
ROC-AUC of that tag's probability for telling the instrument's notes from all others, and its median
rank among the 50 tags on them, for the checkpoint and the teacher; and the share of clips with ``slow`` among
their five most probable tags (issue 26 found it in the top 5 of 11 of 15 varied clips). Writes
``benchmarks/results/offdomain_tags.md`` / ``.json``::

    python -m benchmarks.corpus.offdomain_tags
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from benchmarks.corpus.distill import SHARED
from benchmarks.corpus.heldout import cached_features
from benchmarks.corpus.tag_head import top5_overlap
from sktag.metrics import tag_scores

HERE = Path(__file__).resolve().parent
#: Philharmonia instrument group -> the MTT tag that names it.
INSTRUMENT_TAGS = {"flute": "flute", "cello": "cello", "guitar": "guitar"}


def instrument_scores(probabilities: np.ndarray, tags: list[str], instruments: np.ndarray) -> dict:
    """Per instrument of :data:`INSTRUMENT_TAGS`: ``{name: (ROC-AUC of its tag for it, median rank of the tag)}``.

    ``probabilities`` is ``(n_clips, n_tags)`` with columns ``tags``; rank 1 is a clip's most probable tag.
    """
    ranks = np.argsort(np.argsort(-probabilities, axis=1), axis=1) + 1
    scores = {}
    for instrument, tag in INSTRUMENT_TAGS.items():
        column, positive = tags.index(tag), instruments == instrument
        scores[instrument] = (
            float(roc_auc_score(positive, probabilities[:, column])),
            float(np.median(ranks[positive, column])),
        )
    return scores


def share_in_top5(probabilities: np.ndarray, tags: list[str], tag: str) -> float:
    """The share of clips (rows of ``probabilities``, columns ``tags``) with ``tag`` among their 5 most probable."""
    return float((np.argsort(-probabilities, axis=1)[:, :5] == tags.index(tag)).any(axis=1).mean())


def main(argv: list[str] | None = None) -> None:
    from benchmarks.speed import machine
    from sktag.training import SampleCNNTagger
    from sktag.weights import file_sha256, get_checkpoint

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--weights", nargs="+", default=["samplecnn-3x9-multiteacher-v2", "samplecnn-3x9-multiteacher-v3"]
    )
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/sktag/offdomain_tags").expanduser())
    parser.add_argument("--out", type=Path, default=HERE.parent / "results" / "offdomain_tags")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    folder = SHARED / "philharmonia"
    clips = pd.read_csv(folder / "clips.csv")
    teacher_table = pd.read_csv(folder / "teacher_mtt50.csv").set_index("clip_id").loc[clips.clip_id]
    tags = list(teacher_table.columns)
    teacher = teacher_table.to_numpy(dtype=np.float32)
    instruments = clips.instrument_group.to_numpy()
    files = [str(folder / p) for p in clips.path]
    rows = [
        {
            "tags": "musicnn MTT (the teacher)",
            **instrument_scores(teacher, tags, instruments),
            "slow_top5": share_in_top5(teacher, tags, "slow"),
        }
    ]
    for weights in args.weights:
        tagger = SampleCNNTagger.from_checkpoint(weights, precision="auto")
        if list(tagger.classes_) != tags:
            parser.error(f"{weights}'s tags are not the teacher's 50 MTT tags in its order")
        key = file_sha256(get_checkpoint(weights).source)[:16]
        predicted = cached_features(args.cache, f"philharmonia-{key}", lambda t=tagger: t.predict_proba(files))
        rows.append(
            {
                "tags": weights,
                "agreement": tag_scores(teacher, predicted)["roc_auc"],
                "top5": top5_overlap(teacher, predicted),
                **instrument_scores(predicted, tags, instruments),
                "slow_top5": share_in_top5(predicted, tags, "slow"),
            }
        )
        print(rows[-1], flush=True)
    lines = [
        "# Tags on Philharmonia's orchestral notes, far from the training games (issue 26)",
        "",
        f"{len(clips)} notes and phrases of 16 instrument groups; no network or head was fitted or chosen on them. "
        "Agreement: macro ROC-AUC against musicnn MTT's tags of the same clips, each tag's top 10 % as positives; "
        "`top5`: the share of the teacher's five most probable tags of a clip among the checkpoint's five. Per "
        "instrument: the ROC-AUC of its tag's probability for telling its notes from the others, and the tag's "
        f"median rank among the 50 on its notes. Machine: {machine()}, bf16 where the CPU has it. Command: "
        f"`python -m benchmarks.corpus.offdomain_tags` ({(time.perf_counter() - started) / 60:.1f} min; outputs "
        "cached under `.cache/sktag/offdomain_tags` in the home folder).",
        "",
        "| tags | agreement | top5 | "
        + " | ".join(f"`{t}` on {i}: AUC | rank" for i, t in INSTRUMENT_TAGS.items())
        + " | `slow` in top 5 |",
        "|---|---:|---:|" + "---:|---:|" * len(INSTRUMENT_TAGS) + "---:|",
    ]
    for r in rows:
        cells = [f"{r['agreement']:.4f}", f"{r['top5']:.3f}"] if "agreement" in r else ["", ""]
        cells += [f"{r[i][0]:.3f} | {r[i][1]:g}" for i in INSTRUMENT_TAGS] + [f"{r['slow_top5']:.3f}"]
        lines.append(f"| {r['tags']} | " + " | ".join(cells) + " |")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
