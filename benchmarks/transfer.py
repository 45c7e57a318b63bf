"""Transfer learning: every task of ../shared/data x every sktag extractor and two baselines x three heads (issue 8).

Tasks (the corpus splits; fitted on ``train``, scored on ``test``):

- ``composer``: game_music composers (``unknown`` left out), accuracy;
- ``teacher-tags``: game_music, the MTAT-trained teacher's 50 tags, each tag's top 10 %
  of teacher probabilities as positives, macro ROC-AUC;
- ``philharmonia-tags``: instrument group, family, dynamic and articulation as
  multi-label tags (labels with >= 20 training positives), macro ROC-AUC;
- ``instrument``: Philharmonia instrument group, accuracy;
- ``digit`` and ``speaker``: FSDD, accuracy.

Extractors: each shipped weight's multi-level features (the last three blocks) and its
last block alone (one network pass, through ``memory``), ``BagOfFeatures`` (fitted per
task on its training clips), and the baselines MFCC statistics and the MTAT-trained
peer's features (musicnn ``max_pool``, precomputed in ``../shared/data/*/peers/``; where
present). Heads: LogisticRegression, a linear SVM and ``MLPTagger``, each after a
StandardScaler. Writes ``benchmarks/results/transfer<suffix>.md`` / ``.csv`` / ``.png``::

    python benchmarks/transfer.py                       # the full table
    python benchmarks/transfer.py --tasks digit,speaker --extractors mfcc,samplecnn-3x9

A user's own dataset joins through the generic loaders, and the canonical datasets
through theirs (each then adds one task; ``--tasks`` picks among all)::

    python benchmarks/transfer.py --csv my.csv --label-columns rock,jazz,calm --split-column split
    python benchmarks/transfer.py --dataset gtzan ~/data/gtzan --tasks gtzan
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from sktag import BagOfFeatures, MLPTagger, SampleCNNFeatures, datasets
from sktag.metrics import binarize_targets
from sktag.weights import SHIPPED_WEIGHTS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.baselines import mfcc_statistics  # noqa: E402
from benchmarks.bag_of_features import philharmonia_labels  # noqa: E402

SHARED = Path(os.environ.get("SKTAG_SHARED_DATA", ROOT.parent / "shared" / "data"))


@dataclass
class Task:
    name: str
    paths: np.ndarray
    y: np.ndarray  # 1-D class labels, or 2-D multi-hot tags
    split: np.ndarray
    clip_ids: np.ndarray
    peers: Path | None = None  # the peer's precomputed features, by clip id

    @property
    def multilabel(self) -> bool:
        return self.y.ndim == 2


def _rows(folder: str) -> list[dict]:
    with open(SHARED / folder / "clips.csv", newline="") as f:
        return list(csv.DictReader(f))


def shared_tasks() -> list[Task]:
    tasks = []
    game = _rows("game_music")
    known = [r for r in game if r["artist"] != "unknown"]
    peers = SHARED / "game_music" / "peers" / "musicnn_MTT.npz"
    as_task = lambda name, rows, y, folder, peer: Task(  # noqa: E731
        name, np.asarray([str(SHARED / folder / r["path"]) for r in rows]), y,
        np.asarray([r["split"] for r in rows]), np.asarray([r["clip_id"] for r in rows]), peer)
    tasks.append(as_task("composer", known, np.asarray([r["artist"] for r in known]), "game_music", peers))
    with open(SHARED / "game_music" / "teacher_mtt50.csv", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        teacher = {row[0]: np.asarray(row[1:], dtype=np.float32) for row in reader}
    tags = binarize_targets(np.stack([teacher[r["clip_id"]] for r in game]), top_fraction=0.1)
    tasks.append(as_task("teacher-tags", game, tags.astype(np.int64), "game_music", peers))
    phil = _rows("philharmonia")
    peers = SHARED / "philharmonia" / "peers" / "musicnn_MTT.npz"
    _, labels, _, _ = philharmonia_labels(20)
    tasks.append(as_task("philharmonia-tags", phil, labels, "philharmonia", peers))
    tasks.append(as_task("instrument", phil, np.asarray([r["instrument_group"] for r in phil]), "philharmonia", peers))
    fsdd = _rows("fsdd")
    tasks.append(as_task("digit", fsdd, np.asarray([r["digit"] for r in fsdd]), "fsdd", None))
    tasks.append(as_task("speaker", fsdd, np.asarray([r["speaker"] for r in fsdd]), "fsdd", None))
    return tasks


def user_task(args: argparse.Namespace) -> Task | None:
    """A task from ``--csv`` / ``--folder`` / ``--dataset`` (sktag.datasets loaders)."""
    if args.csv:
        data = datasets.load_dataset("csv", args.csv, tag_column=args.tag_column, split_column=args.split_column,
                                     label_columns=args.label_columns.split(",") if args.label_columns else None)
        name = Path(args.csv).stem
    elif args.folder:
        data, name = datasets.load_dataset("folder", args.folder), Path(args.folder).name
    elif args.dataset:
        kind, root = args.dataset
        data, name = datasets.load_dataset(kind, root, audio_root=args.audio_root if kind == "msd" else None), kind
    else:
        return None
    y = data.target
    if y.ndim == 2 and (y.sum(axis=1) == 1).all():  # one-hot: single-label classes
        y = np.asarray(data.target_names)[y.argmax(axis=1)]
    return Task(name, np.asarray(data.paths), y, np.asarray(data.split), np.asarray(data.paths))


def extract(extractor: str, task: Task, cache: str) -> dict[str, np.ndarray]:
    """Feature matrices (all clips) per extractor variant."""
    paths = list(task.paths)
    if extractor == "mfcc":
        return {"MFCC statistics": mfcc_statistics(paths)}
    if extractor == "peer":
        if task.peers is None:
            return {}
        peer = np.load(task.peers)
        index = {clip: i for i, clip in enumerate(peer["clip_id"])}
        rows = peer["max_pool"][[index[c] for c in task.clip_ids]]
        return {"musicnn max_pool (peer)": rows.astype(np.float32)}  # stored as float16
    if extractor == "bag":
        train = [p for p, s in zip(paths, task.split) if s == "train"]
        bag = BagOfFeatures(random_state=0, n_jobs=2).fit(train)
        return {"BagOfFeatures": bag.transform(paths)}
    multi = SampleCNNFeatures(extractor, memory=cache).fit(paths)
    last = SampleCNNFeatures(extractor, layers=multi.layers_[-1:], memory=cache).fit(paths)
    return {f"{extractor} multi-level ({','.join(multi.layers_)})": multi.transform(paths),
            f"{extractor} last layer ({multi.layers_[-1]})": last.transform(paths)}


def heads() -> dict:
    return {
        "LogisticRegression": lambda ml: make_pipeline(StandardScaler(), OneVsRestClassifier(
            LogisticRegression(C=0.1, max_iter=2000)) if ml else LogisticRegression(C=0.1, max_iter=2000)),
        "linear SVM": lambda ml: make_pipeline(StandardScaler(), OneVsRestClassifier(LinearSVC(C=0.01))
                                               if ml else LinearSVC(C=0.01)),
        "MLPTagger": lambda ml: make_pipeline(StandardScaler(), MLPTagger(random_state=0)),
    }


def score(head, task: Task, X: np.ndarray) -> float:
    train, test = task.split == "train", task.split == "test"
    head.fit(X[train], task.y[train])
    if not task.multilabel:
        return accuracy_score(task.y[test], head.predict(X[test]))
    scores = head.predict_proba(X[test]) if hasattr(head, "predict_proba") else head.decision_function(X[test])
    present = (task.y[test].sum(axis=0) > 0) & (task.y[test].sum(axis=0) < test.sum())
    return float(roc_auc_score(task.y[test][:, present], np.asarray(scores)[:, present], average="macro"))


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(r["task"] for r in rows))
    fig, axes = plt.subplots(1, len(tasks), figsize=(4 * len(tasks), 4), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        best = {}
        for r in rows:
            if r["task"] == task:
                best[r["features"]] = max(best.get(r["features"], 0), r["score"])
        ax.barh(list(best), list(best.values()))
        ax.set_title(f"{task} ({rows[[r['task'] for r in rows].index(task)]['metric']}, best head)")
        ax.set_xlim(min(best.values()) * 0.9, 1)
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", help="comma-separated task names (default: all)")
    parser.add_argument("--extractors", default=",".join([*SHIPPED_WEIGHTS, "bag", "mfcc", "peer"]),
                        help="comma-separated: shipped weight names, bag, mfcc, peer")
    parser.add_argument("--heads", help="comma-separated head names (default: all)")
    parser.add_argument("--suffix", default="", help="results file suffix, e.g. _mydata")
    parser.add_argument("--csv", help="a user dataset: CSV with a path column (sktag.datasets.load_csv)")
    parser.add_argument("--label-columns")
    parser.add_argument("--tag-column")
    parser.add_argument("--split-column", default="split")
    parser.add_argument("--folder", help="a user dataset: a folder per class (sktag.datasets.load_folder)")
    parser.add_argument("--dataset", nargs=2, metavar=("KIND", "ROOT"), help="mtat, gtzan or msd and its root")
    parser.add_argument("--audio-root", help="msd: the folder of 7digital previews")
    args = parser.parse_args()
    tasks = shared_tasks()
    extra = user_task(args)
    if extra is not None:
        tasks.append(extra)
    if args.tasks:
        wanted = args.tasks.split(",")
        tasks = [t for t in tasks if t.name in wanted]
    chosen_heads = {k: v for k, v in heads().items() if not args.heads or k in args.heads.split(",")}
    cache = tempfile.mkdtemp(prefix="sktag-transfer-")  # network activations, shared by layer variants
    rows = []
    for task in tasks:
        for extractor in args.extractors.split(","):
            started = time.perf_counter()
            variants = extract(extractor, task, cache)
            seconds = time.perf_counter() - started
            for features, X in variants.items():
                for head_name, make in chosen_heads.items():
                    value = score(make(task.multilabel), task, X)
                    rows.append({"task": task.name, "metric": "macro ROC-AUC" if task.multilabel else "accuracy",
                                 "features": features, "head": head_name, "score": value,
                                 "n_features": X.shape[1], "extract_seconds": round(seconds, 1)})
                    print(rows[-1], flush=True)
    results = ROOT / "benchmarks" / "results"
    with open(results / f"transfer{args.suffix}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    machine = f"{os.cpu_count()}-core {platform.machine()} CPU, {platform.python_version()}"
    lines = [f"# Transfer learning{args.suffix}", "", f"Command: `python benchmarks/{' '.join([Path(sys.argv[0]).name, *sys.argv[1:]])}`; "
             f"{machine}. Fitted on each task's train split, scored on its test split; every head after a "
             "StandardScaler (LogisticRegression C=0.1, LinearSVC C=0.01, MLPTagger defaults; one-vs-rest "
             "for tags).", ""]
    for task in dict.fromkeys(r["task"] for r in rows):
        mine = [r for r in rows if r["task"] == task]
        head_names = list(dict.fromkeys(r["head"] for r in mine))
        lines += [f"## {task} ({mine[0]['metric']})", "", "| features | dims | " + " | ".join(head_names) + " |",
                  "|---|---:|" + "---:|" * len(head_names)]
        for features in dict.fromkeys(r["features"] for r in mine):
            cells = {r["head"]: r["score"] for r in mine if r["features"] == features}
            dims = next(r["n_features"] for r in mine if r["features"] == features)
            lines.append(f"| {features} | {dims} | " + " | ".join(f"{cells[h]:.3f}" for h in head_names) + " |")
        lines.append("")
    (results / f"transfer{args.suffix}.md").write_text("\n".join(lines))
    plot(rows, results / f"transfer{args.suffix}.png")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
