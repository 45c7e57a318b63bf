"""Benchmark tasks: the shared corpus's labelled splits, and a user's dataset through sktag.datasets."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from .. import datasets
from ..metrics import binarize_targets

logger = logging.getLogger(__name__)

__all__ = ["PHILHARMONIA_LABEL_COLUMNS", "Task", "philharmonia_labels", "shared_tasks", "user_task"]

#: The Philharmonia columns whose values become the multi-label ``philharmonia-tags``.
PHILHARMONIA_LABEL_COLUMNS = ("instrument_group", "family", "dynamic", "articulation")


@dataclass
class Task:
    """One benchmark task: clips, labels and the split every extractor and head shares.

    Attributes
    ----------
    name : str
    paths : np.ndarray [shape=(n_clips,), dtype=str]
    y : np.ndarray [shape=(n_clips,) or (n_clips, n_tags)]
        Class labels, or multi-hot tags (scored by macro ROC-AUC).
    split : np.ndarray [shape=(n_clips,), dtype=str]
        ``"train"`` clips fit, ``"test"`` clips score.
    clip_ids : np.ndarray [shape=(n_clips,), dtype=str]
    peers : pathlib.Path or None
        An ``.npz`` of the MTAT-trained peer's precomputed features (``clip_id``,
        ``max_pool``), where the corpus has one.
    """

    name: str
    paths: np.ndarray
    y: np.ndarray
    split: np.ndarray
    clip_ids: np.ndarray
    peers: Path | None = None

    @property
    def multilabel(self) -> bool:
        """Whether ``y`` holds multi-hot tags."""
        return self.y.ndim == 2


def _rows(data_root: Path, folder: str) -> list[dict]:
    with open(data_root / folder / "clips.csv", newline="") as f:
        return list(csv.DictReader(f))


def philharmonia_labels(data_root: str | Path, min_positives: int):
    """Paths, multi-hot labels, label names and splits of the shared Philharmonia samples.

    Parameters
    ----------
    data_root : str or pathlib.Path
        The shared corpus (``.../shared/data``).
    min_positives : int
        Keep the values of :data:`PHILHARMONIA_LABEL_COLUMNS` with at least this many training clips.

    Returns
    -------
    paths : list of str [shape=(n_clips,)]
    labels : np.ndarray [shape=(n_clips, n_labels), dtype=int64]
    names : list of str [shape=(n_labels,)]
        ``"<column>=<value>"``.
    split : np.ndarray [shape=(n_clips,), dtype=str]
    """
    data = datasets.load_csv(Path(data_root) / "philharmonia" / "clips.csv", tag_column="instrument_group",
                             split_column="split")
    train = data.split == "train"
    names, columns = [], []
    for column in PHILHARMONIA_LABEL_COLUMNS:
        values = data.metadata[column].astype(str).to_numpy()
        for value in sorted(set(values)):
            hot = values == value
            if hot[train].sum() >= min_positives:
                names.append(f"{column}={value}")
                columns.append(hot)
    return list(data.paths), np.stack(columns, axis=1).astype(np.int64), names, data.split


def shared_tasks(data_root: str | Path) -> list[Task]:
    """The six tasks of the shared corpus.

    ``composer`` (game_music composers, ``unknown`` left out, accuracy);
    ``teacher-tags`` (the MTAT-trained teacher's 50 tags, each tag's top 10 % as
    positives); ``philharmonia-tags`` (instrument group, family, dynamic and
    articulation values with >= 20 training clips); ``instrument``; ``digit`` and
    ``speaker`` (FSDD).

    Parameters
    ----------
    data_root : str or pathlib.Path
        The shared corpus (``.../shared/data``).

    Returns
    -------
    tasks : list of Task
    """
    root = Path(data_root)
    if not (root / "game_music" / "clips.csv").is_file():
        raise FileNotFoundError(f"{root} is not the shared corpus: game_music/clips.csv is missing "
                                "(pass --data, or set SKTAG_SHARED_DATA)")

    def task(name, rows, y, folder, peers=True):
        peer_file = root / folder / "peers" / "musicnn_MTT.npz" if peers else None
        return Task(name, np.asarray([str(root / folder / r["path"]) for r in rows]), y,
                    np.asarray([r["split"] for r in rows]), np.asarray([r["clip_id"] for r in rows]), peer_file)

    game = _rows(root, "game_music")
    known = [r for r in game if r["artist"] != "unknown"]
    with open(root / "game_music" / "teacher_mtt50.csv", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        teacher = {row[0]: np.asarray(row[1:], dtype=np.float32) for row in reader}
    tags = binarize_targets(np.stack([teacher[r["clip_id"]] for r in game]), top_fraction=0.1)
    phil = _rows(root, "philharmonia")
    fsdd = _rows(root, "fsdd")
    return [
        task("composer", known, np.asarray([r["artist"] for r in known]), "game_music"),
        task("teacher-tags", game, tags.astype(np.int64), "game_music"),
        task("philharmonia-tags", phil, philharmonia_labels(root, 20)[1], "philharmonia"),
        task("instrument", phil, np.asarray([r["instrument_group"] for r in phil]), "philharmonia"),
        task("digit", fsdd, np.asarray([r["digit"] for r in fsdd]), "fsdd", peers=False),
        task("speaker", fsdd, np.asarray([r["speaker"] for r in fsdd]), "fsdd", peers=False),
    ]


def user_task(name: str, kind: str, root: str | Path, **options) -> Task:
    """A task from a dataset on disk, through :func:`sktag.datasets.load_dataset`.

    Parameters
    ----------
    name : str
    kind : {"mtat", "msd", "gtzan", "csv", "folder"}
    root : str or pathlib.Path
    **options
        Passed to :func:`~sktag.datasets.load_dataset`.

    Returns
    -------
    task : Task
        One-hot targets become class labels (accuracy); others stay multi-hot. A
        dataset without train and test clips (a folder tree, a CSV without a split
        column) gets a seeded 75/25 train/test split, stratified for class labels.
    """
    data = datasets.load_dataset(kind, root, **options)
    y = data.target
    if y.ndim == 2 and (y.sum(axis=1) == 1).all():  # one-hot: single-label classes
        y = np.asarray(data.target_names)[y.argmax(axis=1)]
    split = np.asarray(data.split).astype(object)
    if not ((split == "train").any() and (split == "test").any()):
        index = np.arange(len(y))
        train, test = train_test_split(index, test_size=0.25, random_state=0, stratify=y if y.ndim == 1 else None)
        split[train], split[test] = "train", "test"
        logger.warning("sktag bench: %s has no train/test split; a seeded stratified 75/25 split is used", name)
    return Task(name, np.asarray(data.paths), y, split.astype(str), np.asarray(data.paths))
