"""Benchmark tasks: the shared corpus's labelled splits, held-out games by track-grouped
cross-validation, and a user's dataset through sktag.datasets."""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from .. import datasets
from ..metrics import binarize_targets

logger = logging.getLogger(__name__)

__all__ = ["PHILHARMONIA_LABEL_COLUMNS", "Task", "heldout_tasks", "philharmonia_labels", "shared_tasks", "user_task"]

#: The Philharmonia columns whose values become the multi-label ``philharmonia-tags``.
PHILHARMONIA_LABEL_COLUMNS = ("instrument_group", "family", "dynamic", "articulation")
#: Folds of the grouped cross-validation of tasks with ``groups``.
N_FOLDS = 5
#: ``heldout-composer`` keeps the credited composers with at least this many distinct tracks.
MIN_COMPOSER_TRACKS = 3
#: The MTAT-trained peer's precomputed features inside a corpus folder.
PEER_FILE = Path("peers") / "musicnn_MTT.npz"
#: The columns :func:`heldout_tasks` needs in a corpus's ``clips.csv``.
HELDOUT_COLUMNS = ("clip_id", "path", "game", "artist", "track_id")


@dataclass
class Task:
    """One benchmark task: clips, labels and the split (or folds) every extractor and head shares.

    Attributes
    ----------
    name : str
    paths : np.ndarray [shape=(n_clips,), dtype=str]
    y : np.ndarray [shape=(n_clips,) or (n_clips, n_tags)]
        Class labels, or multi-hot tags (scored by macro ROC-AUC).
    split : np.ndarray [shape=(n_clips,), dtype=str]
        ``"train"`` clips fit, ``"test"`` clips score; ``"cv"`` for every clip of a
        task with ``groups``.
    clip_ids : np.ndarray [shape=(n_clips,), dtype=str]
    peers : pathlib.Path or None
        An ``.npz`` of the MTAT-trained peer's precomputed features (``clip_id``,
        ``max_pool``), where the corpus has one.
    groups : np.ndarray [shape=(n_clips,), dtype=str] or None
        ``None``: scored on the train/test split. Else each clip's group (its
        track): scored by :meth:`folds`, which never puts a group on both sides.
    """

    name: str
    paths: np.ndarray
    y: np.ndarray
    split: np.ndarray
    clip_ids: np.ndarray
    peers: Path | None = None
    groups: np.ndarray | None = None

    @property
    def multilabel(self) -> bool:
        """Whether ``y`` holds multi-hot tags."""
        return self.y.ndim == 2

    def folds(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The (train, test) clip indices every extractor and head is scored on.

        Returns
        -------
        folds : list of (np.ndarray [shape=(n_train,)], np.ndarray [shape=(n_test,)])
            Without ``groups``, the one train/test split. With them, the
            ``StratifiedGroupKFold(5, shuffle=True, random_state=0)`` folds, grouped
            by ``groups`` and stratified by class (multi-hot tags: by nothing, the
            folds only balance their sizes).
        """
        if self.groups is None:
            return [(np.flatnonzero(self.split == "train"), np.flatnonzero(self.split == "test"))]
        strata = np.zeros(len(self.y), dtype=np.int64) if self.multilabel else self.y
        cv = StratifiedGroupKFold(N_FOLDS, shuffle=True, random_state=0)
        return list(cv.split(self.paths, strata, self.groups))


def _rows(folder: Path) -> list[dict]:
    with open(folder / "clips.csv", newline="") as f:
        return list(csv.DictReader(f))


def _task(
    name: str, folder: Path, rows: list[dict], y: np.ndarray, *, peers: Path | None, grouped: bool = False
) -> Task:
    """A task of the clips ``rows`` of the corpus ``folder``; ``grouped``: by track, through :meth:`Task.folds`."""
    return Task(
        name,
        np.asarray([str(folder / r["path"]) for r in rows]),
        y,
        np.full(len(rows), "cv") if grouped else np.asarray([r["split"] for r in rows]),
        np.asarray([r["clip_id"] for r in rows]),
        peers,
        np.asarray([r["track_id"] for r in rows]) if grouped else None,
    )


def _teacher_tags(folder: Path, rows: list[dict]) -> np.ndarray:
    """The multi-hot teacher tags of ``rows``: each tag's top 10 % in ``folder/teacher_mtt50.csv``."""
    with open(folder / "teacher_mtt50.csv", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        teacher = {row[0]: np.asarray(row[1:], dtype=np.float32) for row in reader}
    missing = [r["clip_id"] for r in rows if r["clip_id"] not in teacher]
    if missing:
        raise ValueError(f"{folder / 'teacher_mtt50.csv'} has no row for {len(missing)} clips, e.g. {missing[0]!r}")
    return binarize_targets(np.stack([teacher[r["clip_id"]] for r in rows]), top_fraction=0.1).astype(np.int64)


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
    data = datasets.load_csv(
        Path(data_root) / "philharmonia" / "clips.csv", tag_column="instrument_group", split_column="split"
    )
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
        raise FileNotFoundError(
            f"{root} is not the shared corpus: game_music/clips.csv is missing (pass --data, or set SKTAG_SHARED_DATA)"
        )

    def task(name, rows, y, folder, peers=True):
        return _task(name, root / folder, rows, y, peers=root / folder / PEER_FILE if peers else None)

    game = _rows(root / "game_music")
    known = [r for r in game if r["artist"] != "unknown"]
    phil = _rows(root / "philharmonia")
    fsdd = _rows(root / "fsdd")
    return [
        task("composer", known, np.asarray([r["artist"] for r in known]), "game_music"),
        task("teacher-tags", game, _teacher_tags(root / "game_music", game), "game_music"),
        task("philharmonia-tags", phil, philharmonia_labels(root, 20)[1], "philharmonia"),
        task("instrument", phil, np.asarray([r["instrument_group"] for r in phil]), "philharmonia"),
        task("digit", fsdd, np.asarray([r["digit"] for r in fsdd]), "fsdd", peers=False),
        task("speaker", fsdd, np.asarray([r["speaker"] for r in fsdd]), "fsdd", peers=False),
    ]


def heldout_tasks(root: str | Path, games: Sequence[str] | None = None) -> list[Task]:
    """Tasks on games left out of training, scored by track-grouped 5-fold cross-validation.

    ``heldout-composer``: the clips of credited composers (``unknown`` left out)
    with at least 3 distinct tracks, accuracy. ``heldout-teacher-tags`` (where the
    corpus has ``teacher_mtt50.csv``): every clip, the MTAT-trained teacher's 50
    tags, each tag's top 10 % among these clips as positives, macro ROC-AUC. Both
    are scored by :meth:`Task.folds` with the clips' ``track_id`` as groups: a
    track's clips are never on both sides of a fold.

    Parameters
    ----------
    root : str or pathlib.Path
        A corpus folder laid out like the shared ``game_music``: ``clips.csv`` with
        the columns ``clip_id``, ``path`` (relative to ``root``), ``game``,
        ``artist`` and ``track_id``; optionally ``teacher_mtt50.csv``
        (``clip_id`` and 50 tag probabilities per clip) and
        ``peers/musicnn_MTT.npz`` (the peer's features).
    games : sequence of str or None, default=None
        Keep only these games' clips; ``None``: every game of the corpus.

    Returns
    -------
    tasks : list of Task
        ``heldout-composer`` (``y``: shape ``(n_composer_clips,)``) and, with a
        teacher file, ``heldout-teacher-tags`` (``y``: shape ``(n_clips, 50)``).

    Raises
    ------
    FileNotFoundError
        ``root`` has no ``clips.csv``.
    ValueError
        A column is missing, a game is not in the corpus, fewer than 2 composers
        qualify, or the teacher file lacks a clip.
    """
    root = Path(root).expanduser()
    if not (root / "clips.csv").is_file():
        raise FileNotFoundError(
            f"{root} has no clips.csv: a held-out corpus is a folder laid out like "
            f"game_music (clips.csv with columns {', '.join(HELDOUT_COLUMNS)})"
        )
    rows = _rows(root)
    missing = [column for column in HELDOUT_COLUMNS if rows and column not in rows[0]]
    if missing:
        raise ValueError(f"{root / 'clips.csv'} lacks the columns {missing}")
    if games is not None:
        unknown = sorted(set(games) - {r["game"] for r in rows})
        if unknown:
            raise ValueError(f"{root} has no clips of the games {unknown}; it has {sorted({r['game'] for r in rows})}")
        rows = [r for r in rows if r["game"] in games]
    tracks: dict[str, set] = {}
    for r in rows:
        if r["artist"] != "unknown":
            tracks.setdefault(r["artist"], set()).add(r["track_id"])
    composers = {artist for artist, ids in tracks.items() if len(ids) >= MIN_COMPOSER_TRACKS}
    if len(composers) < 2:
        raise ValueError(
            f"{root}: {len(composers)} credited composers with >= {MIN_COMPOSER_TRACKS} tracks in "
            f"{'the games ' + ','.join(games) if games is not None else 'the corpus'}; "
            "heldout-composer needs at least 2"
        )
    peers = root / PEER_FILE
    peers = peers if peers.is_file() else None
    known = [r for r in rows if r["artist"] in composers]
    tasks = [
        _task("heldout-composer", root, known, np.asarray([r["artist"] for r in known]), peers=peers, grouped=True)
    ]
    if (root / "teacher_mtt50.csv").is_file():
        tasks.append(_task("heldout-teacher-tags", root, rows, _teacher_tags(root, rows), peers=peers, grouped=True))
    return tasks


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
