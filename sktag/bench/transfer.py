"""Transfer learning: every task x every sktag extractor and the baselines x four heads (issues 8, 26).

Tasks (:func:`~sktag.bench.tasks.shared_tasks`, plus a user's dataset; each fitted on
``train``, scored on ``test``): ``composer``, ``teacher-tags``, ``philharmonia-tags``,
``instrument``, ``digit`` and ``speaker``. ``--heldout-corpus DIR`` adds games left out
of sktag's training (:func:`~sktag.bench.tasks.heldout_tasks`: a folder laid out like
``game_music``, ``--heldout-games a,b`` keeps those games): ``heldout-composer``
(credited composers with at least 3 tracks) and, where ``DIR/teacher_mtt50.csv``
exists, ``heldout-teacher-tags``, each scored as the mean over a
``StratifiedGroupKFold(5)`` grouped by track (a track's clips never on both sides).

Extractors: each shipped weight's (SampleCNN, mel CNN or artist CNN) multi-level features (the
last three blocks; every block for the mel CNN) and its last block alone (one network pass, through
``memory``), several networks' multi-level features side by side (``a+b``:
:class:`~sktag.MultiScaleFeatures`, whose members reuse the activations cached by ``a`` and ``b``
alone), ``BagOfFeatures`` (fitted per task on its training clips; on all clips of a cross-validated
task, as it sees no labels), and the baselines: MFCC statistics, the MTAT-trained peer's features
(musicnn ``max_pool``, precomputed in ``peers/musicnn_MTT.npz`` of a task's corpus folder; where
present) and ``random:<weights>``, a network of exactly that checkpoint's architecture at random
initialisation (seeded; by default one per family's default: ``random:samplecnn-3x9-multiteacher-v3``,
``random:melcnn-54f``, ``random:artist-basic-gamemusic2``; ``--random-seeds N`` scores N such networks,
``random_state`` 0 to N-1: a row for each seed's network and one for their mean, which the summary
reports). Heads: LogisticRegression, a linear SVM, ``MLPTagger`` (three hidden layers of 512, the
bag-of-features paper's) and ``MLPTagger-2x512`` (two, the multi-scale paper's second stage), each
after a StandardScaler. Writes ``transfer<suffix>.md`` / ``.csv`` / ``.png`` to ``--out``::

    sktag bench --data ../shared/data --out results/           # the full table
    sktag bench --tasks digit,speaker --extractors mfcc,samplecnn-3x9
    sktag bench --merge results/transfer_a.csv results/transfer_b.csv --out results/   # parts run apart
    sktag bench --data ../shared/data --heldout-corpus ~/.cache/sktag-corpus/game_music2 \\
        --heldout-games naev-data,supertuxkart-data --tasks heldout-composer,heldout-teacher-tags \\
        --extractors samplecnn-3x9,random:samplecnn-3x9,mfcc --random-seeds 5

A user's own dataset joins through :func:`sktag.datasets.load_dataset` (each adds one
task; ``--tasks`` picks among all)::

    sktag bench --csv my.csv --label-columns rock,jazz,calm --split-column split
    sktag bench --dataset gtzan ~/data/gtzan --split-dir ~/data/gtzan_splits --tasks gtzan
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from ..features import FEATURES_BY_ARCHITECTURE, BagOfFeatures, MultiScaleFeatures, NetworkFeatures
from ..training import MLPTagger
from ..weights import get_checkpoint
from .baselines import mfcc_statistics
from .options import RANDOM_PREFIX, add_arguments
from .tasks import N_FOLDS, Task, heldout_tasks, shared_tasks, user_task

__all__ = ["add_arguments", "extract", "heads", "network_features", "read_rows", "run", "score", "write_report"]

#: Features that are not sktag's: the baselines of the per-task summary.
BASELINES = ("MFCC statistics", "musicnn max_pool (peer)")
#: In the features' names of random networks (``samplecnn-3x9 random init multi-level (...)``); baselines too.
RANDOM_INIT = " random init "
#: After RANDOM_INIT in the names of ``--random-seeds N`` (N > 1) networks: each seed's, and their mean.
_SEED = re.compile(re.escape(RANDOM_INIT) + r"\(seed \d+\) ")
_MEAN_OF_SEEDS = re.compile(re.escape(RANDOM_INIT) + r"\(mean of (\d+) seeds\) ")

_CAVEATS = {
    "teacher-tags": "teacher-tags: the targets are the peer's own outputs (the teacher is musicnn's MTT model), so the "
    "peer's features score near the ceiling there; the SampleCNN and mel CNN weights were distilled "
    "from those tags on the game_music train and valid splits (the test split was never trained on).",
    "heldout-teacher-tags": "heldout-teacher-tags: the targets are musicnn's MTT model's outputs too (the peer's "
    "features score near the ceiling), on games that sktag's weights never trained on.",
    "composer": "composer: 182 test clips, so one standard error of an accuracy near 0.6 is 0.036.",
    "digit": "digit, speaker: the spoken-digit corpus has no precomputed peer features.",
}


def extract(extractor: str, task: Task, cache: str, *, seed: int | None = None) -> dict[str, np.ndarray]:
    """Feature matrices (all clips) per extractor variant.

    Parameters
    ----------
    extractor : str
        An ``--extractors`` name: ``mfcc``, ``peer``, ``bag``, shipped weights (``a+b``: side by side) or
        ``random:<weights>``.
    task : Task
    cache : str
        The folder of the networks' cached activations (``memory``).
    seed : int or None, default=None
        The ``random_state`` of a ``random:`` extractor's network, named ``<weights> random init (seed k) ...``;
        None: ``random_state=0``, named ``<weights> random init ...``. Unused by the other extractors.

    Returns
    -------
    features : dict of str to np.ndarray [shape=(n_clips, n_features)]
        The variants' names (as in the report) and features, in ``task.paths``' order.
    """
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
        # the codebook sees no labels: a cross-validated task's is learnt from all its clips
        train = [p for p, s in zip(paths, task.split) if s == "train" or task.groups is not None]
        bag = BagOfFeatures(random_state=0, n_jobs=2).fit(train)
        return {"BagOfFeatures": bag.transform(paths)}
    if "+" in extractor:
        names = extractor.split("+")
        union = MultiScaleFeatures([(name, network_features(name)) for name in names], memory=cache)
        return {f"{' + '.join(names)} multi-level": union.fit(paths).transform(paths)}
    weights = extractor.removeprefix(RANDOM_PREFIX)
    label = f"{weights} "
    if extractor.startswith(RANDOM_PREFIX):
        label = weights + RANDOM_INIT + ("" if seed is None else f"(seed {seed}) ")
    random_state = 0 if seed is None else seed
    multi = network_features(extractor, memory=cache, random_state=random_state).fit(paths)
    last = network_features(extractor, layers=multi.layers_[-1:], memory=cache, random_state=random_state).fit(paths)
    return {
        f"{label}multi-level ({','.join(multi.layers_)})": multi.transform(paths),
        f"{label}last layer ({multi.layers_[-1]})": last.transform(paths),
    }


def network_features(name: str, *, random_state: int = 0, **params) -> NetworkFeatures:
    """The (unfitted) feature transformer of a shipped weight, or of its network at random initialisation.

    Parameters
    ----------
    name : str
        A key of :data:`~sktag.weights.SHIPPED_WEIGHTS` (or a checkpoint path), or
        ``"random:<that>"``: a network of exactly that checkpoint's architecture
        and config, randomly initialised with ``random_state``.
    random_state : int, default=0
        Seeds the network of a ``"random:"`` name; unused for trained weights.
    **params
        Other parameters of the transformer (``memory``, ``layers``, ...).

    Returns
    -------
    features : SampleCNNFeatures, MelCNNFeatures or ArtistCNNFeatures
        The class of the checkpoint's architecture.
    """
    weights = name.removeprefix(RANDOM_PREFIX)
    checkpoint = get_checkpoint(weights)
    features_class = FEATURES_BY_ARCHITECTURE[checkpoint.architecture]
    if name.startswith(RANDOM_PREFIX):
        return features_class(None, architecture=checkpoint.config, random_state=random_state, **params)
    return features_class(weights, **params)


#: How each head is set up, for the report's header.
HEAD_SETTINGS = {
    "LogisticRegression": "LogisticRegression C=0.1",
    "linear SVM": "LinearSVC C=0.01",
    "MLPTagger": "MLPTagger defaults: 3 hidden layers of 512",
    "MLPTagger-2x512": "MLPTagger-2x512: 2 hidden layers of 512",
}


def heads() -> dict:
    return {
        "LogisticRegression": lambda ml: make_pipeline(
            StandardScaler(),
            OneVsRestClassifier(LogisticRegression(C=0.1, max_iter=2000))
            if ml
            else LogisticRegression(C=0.1, max_iter=2000),
        ),
        "linear SVM": lambda ml: make_pipeline(
            StandardScaler(), OneVsRestClassifier(LinearSVC(C=0.01)) if ml else LinearSVC(C=0.01)
        ),
        "MLPTagger": lambda ml: make_pipeline(StandardScaler(), MLPTagger(random_state=0)),
        # the SPL paper's second stage (arXiv:1703.01793): two hidden layers
        "MLPTagger-2x512": lambda ml: make_pipeline(
            StandardScaler(), MLPTagger(hidden_layer_sizes=(512, 512), random_state=0)
        ),
    }


def score(head, task: Task, X: np.ndarray) -> float:
    """The head's score on the task: on its test split, or the mean over its grouped folds.

    Parameters
    ----------
    head : estimator
        Unfitted; a clone is fitted on each fold's training clips.
    task : Task
    X : np.ndarray [shape=(n_clips, n_features)]

    Returns
    -------
    score : float
        Accuracy, or for tags macro ROC-AUC over the tags with positives and
        negatives among the test clips (see :meth:`~sktag.bench.tasks.Task.folds`).
    """
    return float(np.mean([_fold_score(clone(head), task, X, train, test) for train, test in task.folds()]))


def _fold_score(head, task: Task, X: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    head.fit(X[train], task.y[train])
    if not task.multilabel:
        return accuracy_score(task.y[test], head.predict(X[test]))
    scores = head.predict_proba(X[test]) if hasattr(head, "predict_proba") else head.decision_function(X[test])
    present = (task.y[test].sum(axis=0) > 0) & (task.y[test].sum(axis=0) < len(test))
    return float(roc_auc_score(task.y[test][:, present], np.asarray(scores)[:, present], average="macro"))


def plot_bars(rows: list[dict], task: str) -> dict[str, float]:
    """The plot's bars for ``task``: each features' best score over the heads. The random networks of
    ``--random-seeds`` show as their mean, not one bar per seed."""
    best: dict[str, float] = {}
    for r in rows:
        if r["task"] == task and not _SEED.search(r["features"]):
            best[r["features"]] = max(best.get(r["features"], 0), r["score"])
    return best


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(r["task"] for r in rows))
    bars = {task: plot_bars(rows, task) for task in tasks}
    most_bars = max(len(b) for b in bars.values())
    # room for two lines of label per bar, so that long feature names never overlap
    fig, axes = plt.subplots(1, len(tasks), figsize=(6 * len(tasks), max(5.0, 0.45 * most_bars)), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        best = bars[task]
        ax.barh([textwrap.fill(name, 32) for name in best], list(best.values()))
        ax.set_title(f"{task} ({rows[[r['task'] for r in rows].index(task)]['metric']}, best head)")
        ax.set_xlim(min(best.values()) * 0.9, 1)
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def write_report(rows: list[dict], out: Path, *, suffix: str = "", command: str = "sktag bench") -> None:
    """Write ``transfer<suffix>.csv``, ``.md`` (a table per task and a summary) and ``.png`` to ``out``.

    Parameters
    ----------
    rows : list of dict
        As returned by :func:`run` (or read back from its CSV).
    out : pathlib.Path
    suffix : str, default=""
    command : str, default="sktag bench"
        The command line, recorded in the Markdown report.
    """
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"transfer{suffix}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    machine = f"{os.cpu_count()}-core {platform.machine()} CPU, Python {platform.python_version()}"
    title = f"Transfer learning ({suffix.lstrip('_')})" if suffix else "Transfer learning"
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    heldout = [task for task in tasks if task.startswith("heldout-")]
    grouped = (
        (
            f" ({', '.join(heldout)}: mean over {N_FOLDS} folds of cross-validation grouped by track, a "
            "track's clips never on both sides)"
        )
        if heldout
        else ""
    )
    seeds = sorted({int(m[1]) for r in rows if (m := _MEAN_OF_SEEDS.search(r["features"]))})
    random_seeds = (
        f" Random init: {' or '.join(map(str, seeds))} random seeds per network (random_state 0, 1, ...), a row "
        "for each seed's network and one for their mean, which the summary reports."
        if seeds
        else ""
    )
    lines = [
        f"# {title}",
        "",
        (
            f"Command: `{command}`; "
            f"{machine}. Fitted on each task's train split, scored on its test split{grouped}; every head after a "
            f"StandardScaler ({', '.join(HEAD_SETTINGS[h] for h in dict.fromkeys(r['head'] for r in rows))}; "
            f"one-vs-rest for tags).{random_seeds}"
        ),
        "",
        "## Best per task (best head for each)",
        "",
        "| task | metric | sktag's best features | score | MFCC statistics | musicnn peer | random init |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for task in tasks:
        mine = [r for r in rows if r["task"] == task]
        ours = _best(mine, lambda features: not _is_baseline(features))
        cells = [_best(mine, lambda features, name=name: features == name) for name in BASELINES]
        cells.append(_random_init_cell(mine))
        lines.append(
            f"| {task} | {mine[0]['metric']} | "
            + (f"{ours['features']}, {ours['head']} | {ours['score']:.3f}" if ours else " | ")
            + " | "
            + " | ".join(f"{cell['score']:.3f}" if cell else "" for cell in cells)
            + " |"
        )
    lines.append("")
    for task in tasks:
        mine = [r for r in rows if r["task"] == task]
        head_names = list(dict.fromkeys(r["head"] for r in mine))
        lines += [
            f"## {task} ({mine[0]['metric']})",
            "",
            "| features | dims | " + " | ".join(head_names) + " |",
            "|---|---:|" + "---:|" * len(head_names),
        ]
        for features in dict.fromkeys(r["features"] for r in mine):
            cells = {r["head"]: r["score"] for r in mine if r["features"] == features}
            dims = next(r["n_features"] for r in mine if r["features"] == features)
            lines.append(f"| {features} | {dims} | " + " | ".join(f"{cells[h]:.3f}" for h in head_names) + " |")
        lines.append("")
    caveats = [text for key, text in _CAVEATS.items() if key in tasks]
    if caveats:
        lines += ["Caveats:", ""] + [f"- {text}" for text in caveats] + [""]
    (out / f"transfer{suffix}.md").write_text("\n".join(lines))
    plot(rows, out / f"transfer{suffix}.png")
    print("\n".join(lines))


def _is_baseline(features: str) -> bool:
    """Whether ``features`` are not sktag's trained ones: MFCC, the peer's, or a random network's."""
    return features in BASELINES or RANDOM_INIT in features


def _best(rows: list[dict], keep) -> dict | None:
    """The best-scoring row among those whose features ``keep`` accepts."""
    return max((r for r in rows if keep(r["features"])), key=lambda r: r["score"], default=None)


def _random_init_cell(rows: list[dict]) -> dict | None:
    """The summary's random-init cell among one task's rows: the best of the random networks' means over seeds
    (``--random-seeds``) and of the networks without a mean; never one seed of a network with a mean."""
    averaged = {r["features"].split(RANDOM_INIT)[0] for r in rows if _MEAN_OF_SEEDS.search(r["features"])}
    return _best(
        rows,
        lambda features: (
            bool(_MEAN_OF_SEEDS.search(features))
            or (RANDOM_INIT in features and features.split(RANDOM_INIT)[0] not in averaged)
        ),
    )


def _mean_over_seeds(rows: list[dict], n_seeds: int) -> list[dict]:
    """For each features and head of ``rows`` (one task's, of one ``random:`` extractor's ``n_seeds`` networks),
    the row of their mean: the seeds' mean score and total extraction time."""
    seeds: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        features = _SEED.sub(f"{RANDOM_INIT}(mean of {n_seeds} seeds) ", row["features"])
        seeds.setdefault((features, row["head"]), []).append(row)
    return [
        dict(
            same[0],
            features=features,
            score=float(np.mean([r["score"] for r in same])),
            extract_seconds=round(sum(r["extract_seconds"] for r in same), 1),
        )
        for (features, _), same in seeds.items()
    ]


def read_rows(paths: list[str]) -> list[dict]:
    """The rows of CSVs written by :func:`write_report`, in order; a later file's row replaces an earlier
    one's for the same task, features and head."""
    merged = {}
    for path in paths:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                row.update(
                    score=float(row["score"]),
                    n_features=int(row["n_features"]),
                    extract_seconds=float(row["extract_seconds"]),
                )
                merged[row["task"], row["features"], row["head"]] = row
    if not merged:
        raise SystemExit(f"sktag bench --merge: no rows in {paths}")
    return list(merged.values())


def _user_task(args: argparse.Namespace) -> Task | None:
    if args.csv:
        return user_task(
            Path(args.csv).stem,
            "csv",
            args.csv,
            tag_column=args.tag_column,
            tag_separator=args.tag_separator,
            split_column=args.split_column,
            label_columns=args.label_columns.split(",") if args.label_columns else None,
        )
    if args.folder:
        return user_task(Path(args.folder).name, "folder", args.folder)
    if args.dataset:
        kind, root = args.dataset
        options = {"audio_root": args.audio_root} if kind == "msd" else {}
        if kind == "gtzan" and args.split_dir:
            options["split_dir"] = args.split_dir
        return user_task(kind, kind, root, **options)
    return None


def run(args: argparse.Namespace, command: str) -> list[dict]:
    """Run the benchmark that ``args`` (from :func:`add_arguments`) describe; write and return its rows.

    Parameters
    ----------
    args : argparse.Namespace
    command : str
        The command line, recorded in the Markdown report.

    Returns
    -------
    rows : list of dict
        One per task x features x head: ``task``, ``metric``, ``features``, ``head``,
        ``score``, ``n_features``, ``extract_seconds``. With ``args.random_seeds`` N > 1, a
        ``random:`` extractor's rows are its N networks' (``random init (seed k)``) and, after
        them, their mean's (``random init (mean of N seeds)``).
    """
    if args.merge:
        rows = read_rows(args.merge)
        write_report(rows, Path(args.out), suffix=args.suffix, command=command)
        return rows
    tasks = []
    if not args.no_shared:
        if args.data is None:
            raise SystemExit(
                "sktag bench: pass --data (the shared corpus folder) or set SKTAG_SHARED_DATA; "
                "--no-shared runs only your --csv/--folder/--dataset/--heldout-corpus"
            )
        tasks = shared_tasks(args.data)
    if args.heldout_corpus:
        tasks += heldout_tasks(args.heldout_corpus, args.heldout_games.split(",") if args.heldout_games else None)
    elif args.heldout_games:
        raise SystemExit("sktag bench: --heldout-games picks games of --heldout-corpus; pass that too")
    extra = _user_task(args)
    if extra is not None:
        tasks.append(extra)
    if args.tasks:
        wanted = args.tasks.split(",")
        tasks = [t for t in tasks if t.name in wanted]
    if not tasks:
        raise SystemExit("sktag bench: no task to run (check --tasks, or give a dataset with --no-shared)")
    chosen_heads = {k: v for k, v in heads().items() if not args.heads or k in args.heads.split(",")}
    rows = []
    # network activations, shared by layer variants and unions; removed at the end (several GB on a full run)
    with tempfile.TemporaryDirectory(prefix="sktag-transfer-") as cache:
        for task in tasks:
            for extractor in args.extractors.split(","):
                several = extractor.startswith(RANDOM_PREFIX) and args.random_seeds > 1
                scored = []
                for seed in range(args.random_seeds) if several else [None]:
                    started = time.perf_counter()
                    variants = extract(extractor, task, cache, seed=seed)
                    seconds = time.perf_counter() - started
                    for features, X in variants.items():
                        for head_name, make in chosen_heads.items():
                            value = score(make(task.multilabel), task, X)
                            scored.append(
                                {
                                    "task": task.name,
                                    "metric": "macro ROC-AUC" if task.multilabel else "accuracy",
                                    "features": features,
                                    "head": head_name,
                                    "score": value,
                                    "n_features": X.shape[1],
                                    "extract_seconds": round(seconds, 1),
                                }
                            )
                            print(scored[-1], flush=True)
                if several:
                    means = _mean_over_seeds(scored, args.random_seeds)
                    print(*means, sep="\n", flush=True)
                    scored += means
                rows += scored
    write_report(rows, Path(args.out), suffix=args.suffix, command=command)
    return rows
