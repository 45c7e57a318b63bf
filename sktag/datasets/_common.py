"""What every loader shares: the Bunch they return, path and layout checks, split names and counts."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..audio import AudioFileNotFoundError

PathLike = str | os.PathLike

SPLITS = ("train", "valid", "test")

#: The split names a CSV may use, and the one each stands for.
_SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "valid": "valid",
    "validation": "valid",
    "val": "valid",
    "dev": "valid",
    "test": "test",
    "testing": "test",
    "": "",
}


def _make_bunch(
    *,
    paths: Sequence[str],
    target: np.ndarray,
    target_names: Sequence[str],
    split: Sequence[str],
    clip_ids: Sequence[str],
    metadata: pd.DataFrame,
    descr: str,
    target_label: Sequence[str] | None = None,
) -> Bunch:
    """Assemble the common Bunch, with the dtypes and shapes of the module docstring."""
    n_clips, n_labels = len(paths), len(target_names)
    fields = dict(
        paths=np.asarray(list(paths), dtype=str).reshape(n_clips),
        target=np.asarray(target, dtype=np.float32).reshape(n_clips, n_labels),
        target_names=np.asarray(list(target_names), dtype=str).reshape(n_labels),
        split=np.asarray(list(split), dtype=str).reshape(n_clips),
        clip_ids=np.asarray(list(clip_ids), dtype=str).reshape(n_clips),
        metadata=metadata.reset_index(drop=True),
        DESCR=descr,
    )
    if target_label is not None:
        fields["target_label"] = np.asarray(list(target_label), dtype=str).reshape(n_clips)
    return Bunch(**fields)


def _one_hot(labels: Sequence[str], names: Sequence[str]) -> np.ndarray:
    """One-hot rows: ``(n, len(names))`` float32 with a 1 in each label's column."""
    index = {name: i for i, name in enumerate(names)}
    target = np.zeros((len(labels), len(names)), dtype=np.float32)
    if len(labels):
        target[np.arange(len(labels)), [index[label] for label in labels]] = 1.0
    return target


def _single_label_bunch(
    root: Path | str, relative: Sequence[str], labels: Sequence[str], names: Sequence[str], **fields
) -> Bunch:
    """The Bunch of a single-label dataset: clips ``root / relative``, ``labels`` one-hot over ``names``."""
    return _make_bunch(
        paths=[_abspath(root, r) for r in relative],
        target=_one_hot(labels, names),
        target_names=names,
        target_label=labels,
        **fields,
    )


def _check_root(root: PathLike, dataset: str, layout: str) -> Path:
    """The absolute root folder; a clear ``FileNotFoundError`` when it is not a folder."""
    path = Path(os.path.abspath(os.fspath(root)))
    if not path.is_dir():
        what = "is a file, not a folder" if path.exists() else "does not exist"
        raise FileNotFoundError(f"{dataset} root {str(path)!r} {what}. Expected the published layout:\n{layout}")
    return path


def _layout_error(dataset: str, root: Path, missing: str, layout: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"{dataset} root {str(root)!r}: {missing} not found. Is this the right folder? "
        f"Expected the published layout:\n{layout}"
    )


def _missing_audio_error(missing: Sequence[str], n_listed: int, listed_in: str) -> AudioFileNotFoundError:
    """Name the first missing file, and count the others."""
    more = f"; {len(missing) - 1} more of the {n_listed} listed files are missing too" if len(missing) > 1 else ""
    return AudioFileNotFoundError(
        missing[0],
        f"audio file not found (listed in {listed_in}){more}. Pass check_files=False to skip the existence check.",
    )


def _abspath(root: Path | str, relative: str) -> str:
    """``root / relative`` as an absolute, normalised path (absolute ``relative`` kept)."""
    return os.path.abspath(os.path.join(os.fspath(root), relative))


def _file_size(path: str) -> int | None:
    """Size in bytes, or ``None`` when there is no such regular file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _describe_some(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(repr(str(x)) for x in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _read_lines(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def _split_counts_text(split: Sequence[str], template: str = "{train} / {valid} / {test} train/valid/test") -> str:
    """The number of clips in each split, written into ``template`` by split name."""
    split = list(split)
    return template.format(**{name: split.count(name) for name in SPLITS})
