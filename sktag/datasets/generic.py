"""Any dataset given as a CSV of paths and labels, or as a folder per class."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._common import (
    _SPLIT_NAMES,
    PathLike,
    _abspath,
    _check_root,
    _describe_some,
    _make_bunch,
    _missing_audio_error,
    _one_hot,
    _single_label_bunch,
    _split_counts_text,
)


def _require_columns(table: pd.DataFrame, columns: Iterable[str], source: PathLike) -> None:
    for column in columns:
        if column not in table.columns:
            raise ValueError(f"{os.fspath(source)}: no column {column!r}; its columns are {list(table.columns)!r}")


def load_csv(
    csv_path: PathLike,
    *,
    path_column: str = "path",
    label_columns: Sequence[str] | str | None = None,
    tag_column: str | None = None,
    tag_separator: str | None = None,
    split_column: str | None = None,
    root: PathLike | None = None,
    check_files: bool = True,
) -> Bunch:
    """Load clips listed in a CSV: audio paths plus labels.

    Give the labels in exactly one of two ways:

    * ``label_columns``: numeric columns, 0/1 or probabilities in [0, 1],
      copied into ``target`` as they are (``target_names`` = the column names);
    * ``tag_column``: one column of names. With ``tag_separator`` (e.g. ``","``
      or ``"|"``) a cell holds several tags, and ``target`` is multi-hot (an
      empty cell: no tag). Without it the dataset is single-label: ``target`` is
      one-hot and ``target_label`` holds the names; every cell must be filled.
      ``target_names`` is the sorted set of names.

    A ``.tsv`` or ``.tab`` file is read tab-separated, anything else
    comma-separated.

    Parameters
    ----------
    csv_path : str or os.PathLike
    path_column : str, default="path"
        Audio paths, relative to ``root`` (absolute paths are kept).
    label_columns : sequence of str or str, optional
    tag_column : str, optional
    tag_separator : str, optional
    split_column : str, optional
        ``train``/``valid``/``test`` (also ``training``, ``validation``,
        ``val``, ``dev``, ``testing``) or empty; without it every split is ``""``.
    root : str or os.PathLike, optional
        Default: the CSV's folder.
    check_files : bool, default=True
        Check that every audio file exists.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``paths`` (n_clips,), ``target`` (n_clips, n_labels) float32,
        ``target_names`` (n_labels,), ``target_label`` (n_clips,) for a
        single-label ``tag_column``, ``split`` (n_clips,), ``clip_ids`` (the
        ``clip_id`` column if there is one, else the path column),
        ``metadata`` (every column of the CSV) and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        No such CSV; :class:`~sktag.audio.AudioFileNotFoundError` for a listed
        audio file that is missing.
    ValueError
        A missing column, labels outside [0, 1], an empty single label, an
        unknown split name, or not exactly one of ``label_columns`` and
        ``tag_column``.

    Examples
    --------
    >>> data = load_csv("game_music/clips.csv", tag_column="artist", split_column="split")  # doctest: +SKIP
    >>> data.target.shape  # doctest: +SKIP
    (1228, 20)
    """
    csv_path = Path(os.path.abspath(os.fspath(csv_path)))
    if not csv_path.is_file():
        raise FileNotFoundError(f"CSV file {str(csv_path)!r} not found")
    if (label_columns is None) == (tag_column is None):
        raise ValueError("give exactly one of label_columns (numeric columns) and tag_column (a column of names)")
    if isinstance(label_columns, str):
        label_columns = [label_columns]
    if label_columns is not None and len(label_columns) == 0:
        raise ValueError("label_columns is empty")
    sep = "\t" if csv_path.suffix.lower() in (".tsv", ".tab") else ","
    table = pd.read_csv(csv_path, sep=sep, keep_default_na=False)
    wanted = [path_column, *(label_columns or []), *(c for c in (tag_column, split_column) if c is not None)]
    _require_columns(table, wanted, csv_path)
    n = len(table)

    relative = table[path_column].astype(str).str.strip()
    empty = np.flatnonzero(relative.to_numpy() == "")
    if len(empty):
        rows = _describe_some([str(i + 1) for i in empty])
        raise ValueError(f"{csv_path}: empty {path_column!r} in data row(s) {rows}")
    root = Path(os.path.abspath(os.fspath(root))) if root is not None else csv_path.parent
    paths = [_abspath(root, p) for p in relative]
    if check_files:
        missing = [p for p in paths if not os.path.isfile(p)]
        if missing:
            raise _missing_audio_error(missing, n, str(csv_path))

    target_label = None
    if label_columns is not None:
        values = np.empty((n, len(label_columns)), dtype=np.float64)
        for j, column in enumerate(label_columns):
            numbers = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
            bad = np.flatnonzero(~np.isfinite(numbers) | (numbers < 0) | (numbers > 1))
            if len(bad):
                raise ValueError(
                    f"{csv_path}: column {column!r} must hold numbers in [0, 1]; data row {bad[0] + 1} "
                    f"holds {table[column].iloc[bad[0]]!r}"
                )
            values[:, j] = numbers
        target, target_names = values.astype(np.float32), list(label_columns)
        label_text = f"columns {_describe_some(list(label_columns), 8)}"
    else:
        cells = table[tag_column].astype(str).str.strip().tolist()
        if tag_separator:
            tags = [[t.strip() for t in cell.split(tag_separator) if t.strip()] for cell in cells]
            target_names = sorted({t for row in tags for t in row})
            index = {name: i for i, name in enumerate(target_names)}
            target = np.zeros((n, len(target_names)), dtype=np.float32)
            for i, row in enumerate(tags):
                target[i, [index[t] for t in row]] = 1.0
            label_text = f"tags of column {tag_column!r} separated by {tag_separator!r}"
        else:
            empty = [str(i + 1) for i, cell in enumerate(cells) if not cell]
            if empty:
                raise ValueError(
                    f"{csv_path}: empty {tag_column!r} in data row(s) {_describe_some(empty)}; a single-label "
                    "column needs a label on every row (or pass tag_separator for tags that may be absent)"
                )
            target_names = sorted(set(cells))
            target, target_label = _one_hot(cells, target_names), cells
            label_text = f"single label from column {tag_column!r}"

    if split_column is None:
        split = [""] * n
    else:
        raw = table[split_column].astype(str).str.strip().str.lower()
        unknown = sorted(set(raw) - set(_SPLIT_NAMES))
        if unknown:
            raise ValueError(
                f"{csv_path}: column {split_column!r} holds unknown split name(s) {_describe_some(unknown)}; "
                "expected train, valid or test (or empty)"
            )
        split = [_SPLIT_NAMES[s] for s in raw]

    clip_ids = table["clip_id"].astype(str).tolist() if "clip_id" in table.columns else relative.tolist()
    split_text = (
        f"split from column {split_column!r}: {_split_counts_text(split)}" if split_column is not None else "no split"
    )
    descr = (
        f"Clips listed in {csv_path} (audio relative to {root}): {n} clips, {len(target_names)} labels "
        f"({label_text}); {split_text}."
    )
    return _make_bunch(
        paths=paths,
        target=target,
        target_names=target_names,
        target_label=target_label,
        split=split,
        clip_ids=clip_ids,
        metadata=table,
        descr=descr,
    )


def load_folder(
    root: PathLike, *, extensions: Sequence[str] = (".wav", ".flac", ".ogg", ".mp3", ".au", ".aiff")
) -> Bunch:
    """Load a folder-per-class tree as a single-label dataset.

    Each non-hidden sub-folder of ``root`` is a class, named after the folder;
    its audio files (any depth below it, matched by extension, case-insensitive)
    are its clips. Folders without audio are not classes; audio files directly in
    ``root`` belong to no class and are ignored with a ``UserWarning``.

    Parameters
    ----------
    root : str or os.PathLike
    extensions : sequence of str, default=(".wav", ".flac", ".ogg", ".mp3", ".au", ".aiff")

    Returns
    -------
    data : sklearn.utils.Bunch
        ``paths`` (n_clips,), ``target`` (n_clips, n_classes) float32 one-hot,
        ``target_label`` (n_clips,), ``target_names`` (n_classes,) sorted,
        ``split`` (n_clips,) all ``""``, ``clip_ids`` (the path relative to
        ``root`` without extension, (n_clips,)), ``metadata`` (columns
        ``clip_id``, ``label``, ``path`` relative to ``root``) and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        ``root`` is not a folder, or no class folder holds an audio file.
    """
    layout = "  root/<class>/<clip>.wav (any depth below the class folder; " + ", ".join(extensions) + ")"
    root = _check_root(root, "Folder", layout)
    suffixes = {e.lower() if e.startswith(".") else "." + e.lower() for e in extensions}

    def is_audio(path: Path) -> bool:
        return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in suffixes

    stray = [p.name for p in sorted(root.iterdir()) if is_audio(p)]
    if stray:
        warnings.warn(
            f"{root}: ignoring {len(stray)} audio file(s) that are in no class folder: {_describe_some(stray)}",
            UserWarning,
            stacklevel=2,
        )
    labels, relative = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(
            p
            for p in folder.rglob("*")
            if is_audio(p) and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        )
        labels += [folder.name] * len(files)
        relative += [p.relative_to(root).as_posix() for p in files]
    if not relative:
        raise FileNotFoundError(
            f"{root}: no audio files ({', '.join(sorted(suffixes))}) in any class folder. Expected:\n{layout}"
        )
    target_names = sorted(set(labels))
    clip_ids = [os.path.splitext(r)[0] for r in relative]
    descr = (
        f"Folder-per-class audio from {root}: {len(relative)} clips of {len(target_names)} classes "
        "(single-label, the class is the top-level folder); no split."
    )
    return _single_label_bunch(
        root,
        relative,
        labels,
        target_names,
        split=[""] * len(relative),
        clip_ids=clip_ids,
        metadata=pd.DataFrame({"clip_id": clip_ids, "label": labels, "path": relative}),
        descr=descr,
    )
