"""One entry point for every loader: ``load_dataset(kind, root, ...)`` (used by ``sktag train`` and the benchmarks)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from sklearn.utils import Bunch

from .._catalog import DATASET_KINDS
from .generic import load_csv, load_folder
from .gtzan import load_gtzan
from .magnatagatune import load_magnatagatune
from .msd import load_msd_tagging

PathLike = str | os.PathLike


def load_dataset(
    kind: str,
    root: PathLike,
    *,
    n_tags: int | None = None,
    audio_root: PathLike | None = None,
    split_dir: PathLike | None = None,
    label_columns: Sequence[str] | str | None = None,
    tag_column: str | None = None,
    tag_separator: str | None = None,
    split_column: str | None = None,
) -> Bunch:
    """Load a dataset by kind: the loader of that kind with the options that apply to it.

    Parameters
    ----------
    kind : {"mtat", "msd", "gtzan", "csv", "folder"}
        :func:`load_magnatagatune`, :func:`load_msd_tagging`, :func:`load_gtzan`,
        :func:`load_csv` or :func:`load_folder`.
    root : str or os.PathLike
        The dataset folder, or the CSV file for ``"csv"``.
    n_tags : int, optional
        ``"mtat"``: the number of most frequent tags (default 50).
    audio_root : str or os.PathLike, optional
        ``"msd"`` (required): the folder of 7digital previews.
    split_dir : str or os.PathLike, optional
        ``"gtzan"``: the folder of the fault-filtered split lists.
    label_columns, tag_column, tag_separator, split_column : optional
        ``"csv"``: as in :func:`load_csv`.

    Returns
    -------
    data : sklearn.utils.Bunch
        The fields every loader returns (see :mod:`sktag.datasets`).

    Raises
    ------
    ValueError
        For an unknown ``kind``, a missing ``audio_root`` for ``"msd"``, or an option
        given to a kind that does not take it.

    Examples
    --------
    >>> load_dataset("gtzan", "/data/gtzan", audio_root="/x")  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    ValueError: load_dataset('gtzan', ...) does not take audio_root; it applies to: msd
    """
    if kind not in DATASET_KINDS:
        raise ValueError(f"unknown dataset kind {kind!r}; choose one of {', '.join(DATASET_KINDS)}")
    options = {
        "n_tags": n_tags,
        "audio_root": audio_root,
        "split_dir": split_dir,
        "label_columns": label_columns,
        "tag_column": tag_column,
        "tag_separator": tag_separator,
        "split_column": split_column,
    }
    takes = {
        "mtat": {"n_tags"},
        "msd": {"audio_root"},
        "gtzan": {"split_dir"},
        "folder": set(),
        "csv": {"label_columns", "tag_column", "tag_separator", "split_column"},
    }
    for name, value in options.items():
        if value is not None and name not in takes[kind]:
            users = [k for k, names in takes.items() if name in names]
            raise ValueError(f"load_dataset({kind!r}, ...) does not take {name}; it applies to: {', '.join(users)}")
    if kind == "mtat":
        return load_magnatagatune(root, **({} if n_tags is None else {"n_tags": n_tags}))
    if kind == "msd":
        if audio_root is None:
            raise ValueError("load_dataset('msd', ...) needs audio_root, the folder of 7digital previews")
        return load_msd_tagging(root, audio_root=audio_root)
    if kind == "gtzan":
        return load_gtzan(root, split_dir=split_dir)
    if kind == "folder":
        return load_folder(root)
    return load_csv(
        root, label_columns=label_columns, tag_column=tag_column, tag_separator=tag_separator, split_column=split_column
    )
