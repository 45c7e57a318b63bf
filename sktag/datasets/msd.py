"""The Million Song Dataset 50-tag split of Choi et al., with the user's 7digital previews."""

from __future__ import annotations

import os
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._common import (
    SPLITS,
    PathLike,
    _abspath,
    _check_root,
    _describe_some,
    _file_size,
    _layout_error,
    _make_bunch,
    _read_lines,
    _split_counts_text,
)

#: The 50 Last.fm tags of Choi et al.'s split (``tags.py`` of MSD_split_for_tagging), column order of y.
MSD_TAGS = (
    "rock", "pop", "alternative", "indie", "electronic",
    "female vocalists", "dance", "00s", "alternative rock", "jazz",
    "beautiful", "metal", "chillout", "male vocalists",
    "classic rock", "soul", "indie rock", "Mellow", "electronica",
    "80s", "folk", "90s", "chill", "instrumental", "punk",
    "oldies", "blues", "hard rock", "ambient", "acoustic",
    "experimental", "female vocalist", "guitar", "Hip-Hop",
    "70s", "party", "country", "easy listening",
    "sexy", "catchy", "funk", "electro", "heavy metal",
    "Progressive rock", "60s", "rnb", "indie pop",
    "sad", "House", "happy",
)  # fmt: skip

_MSD_ID = re.compile(r"^TR[A-Z0-9]{16}$")

_MSD_LAYOUT = """\
  root/{train,valid,test}_x_msd_id.txt  one MSD track id per line (e.g. TRAAAAK128F9318786)
  root/{train,valid,test}_y.npy         binary (n, 50) labels aligned with the id lists
                                        (y_{train,valid,test}_pub.npy is accepted too)
  root/50tagList.txt                    optional: one tag per line (default: the 50 tags of tags.py)
  and a map from MSD id to the 7digital preview, relative to audio_root; the first found of
  root/msd_id_to_path.csv (or .tsv)     columns msd_id, path
  root/MSD_id_to_7D_id.pkl + root/7D_id_to_path.pkl   pickled dicts (read without running any code)
  root/{train,valid,test}_x_filename.txt  lines like 3/6/36122424.npy, read as 3/6/36122424.clip.mp3"""


class _NoClassUnpickler(pickle.Unpickler):
    """An unpickler for plain containers of str, bytes and numbers only.

    Running code from a pickle needs a class or function, which the pickle can
    only reach through ``find_class`` (GLOBAL, STACK_GLOBAL, INST, OBJ and the
    extension registry all go through it). Refusing every lookup leaves dicts,
    lists, tuples, strings and numbers, and nothing that runs.
    """

    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"refused to load {module}.{name}: only plain dicts of str/int are accepted")


def _load_plain_pickle(path: Path) -> dict:
    """A pickled dict of str/bytes/int, loaded without executing anything."""
    try:
        with open(path, "rb") as f:
            obj = _NoClassUnpickler(f, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ValueError(f"{path}: not a pickled dict of plain strings and numbers ({exc}); nothing was run") from exc
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a pickled dict, got {type(obj).__name__}")
    return obj


def _as_text(value: object, source: Path) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{source}: expected str or int keys and values, got {type(value).__name__}")


def _msd_labels(root: Path, split: str, n_ids: int, n_tags: int) -> np.ndarray:
    candidates = [root / f"{split}_y.npy", root / f"y_{split}_pub.npy"]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise _layout_error("MSD", root, f"{candidates[0].name} (or {candidates[1].name})", _MSD_LAYOUT)
    try:
        y = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ValueError(f"{path}: not a numeric .npy array ({exc})") from exc
    if y.ndim != 2 or y.shape != (n_ids, n_tags):
        raise ValueError(
            f"{path}: expected shape ({n_ids}, {n_tags}) (one row per id of {split}_x_msd_id.txt, "
            f"one column per tag), got {y.shape}"
        )
    if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
        raise ValueError(f"{path}: labels must be binary (0/1), got dtype {y.dtype}")
    return y.astype(np.float32)


def _msd_mapping(root: Path, ids_by_split: dict[str, list[str]]) -> tuple[dict[str, str], str]:
    """MSD id -> preview path relative to audio_root, and the name of the file it came from."""
    for name, sep in (("msd_id_to_path.csv", ","), ("msd_id_to_path.tsv", "\t")):
        path = root / name
        if path.is_file():
            table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
            if not {"msd_id", "path"} <= set(table.columns):
                raise ValueError(f"{path}: expected columns msd_id and path, got {list(table.columns)!r}")
            return dict(zip(table["msd_id"].str.strip(), table["path"].str.strip())), str(path)

    to_7d = next((root / n for n in ("MSD_id_to_7D_id.pkl", "msd_id_to_7D_id.pkl") if (root / n).is_file()), None)
    to_path = root / "7D_id_to_path.pkl"
    if to_7d is not None and to_path.is_file():
        msd_to_7d = {_as_text(k, to_7d): _as_text(v, to_7d) for k, v in _load_plain_pickle(to_7d).items()}
        d7_to_path = {_as_text(k, to_path): _as_text(v, to_path) for k, v in _load_plain_pickle(to_path).items()}
        mapping = {msd: d7_to_path[d7] for msd, d7 in msd_to_7d.items() if d7 in d7_to_path}
        return mapping, f"{to_7d} + {to_path}"
    if to_7d is not None or to_path.is_file():
        missing = to_path.name if to_7d is not None else "MSD_id_to_7D_id.pkl"
        raise _layout_error("MSD", root, f"{missing} (the pickles come in a pair)", _MSD_LAYOUT)

    lists = {split: root / f"{split}_x_filename.txt" for split in SPLITS}
    if all(p.is_file() for p in lists.values()):
        mapping = {}
        for split, path in lists.items():
            names = _read_lines(path)
            if len(names) != len(ids_by_split[split]):
                raise ValueError(
                    f"{path}: {len(names)} lines, but {split}_x_msd_id.txt has {len(ids_by_split[split])} ids"
                )
            for msd_id, name in zip(ids_by_split[split], names):
                mapping[msd_id] = name[: -len(".npy")] + ".clip.mp3" if name.endswith(".npy") else name
        return mapping, f"{root}/{{train,valid,test}}_x_filename.txt"
    raise _layout_error(
        "MSD", root, "a map from MSD id to audio (msd_id_to_path.csv, MSD_id_to_7D_id.pkl, ...)", _MSD_LAYOUT
    )


def load_msd_tagging(root: PathLike, *, audio_root: PathLike, check_files: bool = True) -> Bunch:
    """Load the Million Song Dataset 50-tag benchmark split of Choi et al.

    Reads the files of ``MSD_split_for_tagging`` (Choi et al., ISMIR 2016), the
    split the SampleCNN papers evaluate on: ``{train,valid,test}_x_msd_id.txt``
    (one MSD track id per line) and the binary labels aligned with them,
    ``{train,valid,test}_y.npy`` (or ``y_{train,valid,test}_pub.npy``), loaded
    with ``np.load(allow_pickle=False)``. The 50 tag names come from
    ``50tagList.txt`` when present, else :data:`MSD_TAGS`.

    The audio is the user's copy of the 7digital 30 s previews, under
    ``audio_root``. The map from MSD id to preview file is the first found of:
    a ``msd_id_to_path.csv`` (or ``.tsv``) with columns ``msd_id`` and ``path``
    (relative to ``audio_root``); the pickles ``MSD_id_to_7D_id.pkl`` and
    ``7D_id_to_path.pkl`` (paths like ``8/9/8947470.clip.mp3``), read with an
    unpickler that refuses every class and function, so a malicious pickle
    cannot run code; or ``{train,valid,test}_x_filename.txt`` aligned with the
    id lists (``3/6/36122424.npy``, read as ``3/6/36122424.clip.mp3``).

    Previews are often incomplete: tracks without an entry in the map, and (with
    ``check_files=True``) tracks whose preview is missing or empty, are skipped
    with one ``UserWarning`` giving their count.

    Parameters
    ----------
    root : str or os.PathLike
        The folder holding the split files.
    audio_root : str or os.PathLike
        The folder the preview paths are relative to.
    check_files : bool, default=True
        Skip tracks whose preview is missing or zero-byte; ``False`` keeps every
        mapped track without looking at the disk.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``paths`` (n_clips,), ``target`` (n_clips, 50) float32 multi-hot,
        ``target_names`` (50,), ``split`` (n_clips,), ``clip_ids`` (the MSD
        track ids, (n_clips,)), ``metadata`` (columns ``msd_id``, ``path``,
        ``split``) and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        A missing split file, map or ``audio_root``, or (with ``check_files``)
        no preview found at all.
    ValueError
        Malformed ids, labels of the wrong shape or not binary, or a pickle that
        is not a plain dict.

    References
    ----------
    T. Bertin-Mahieux, D. P. W. Ellis, B. Whitman and P. Lamere, "The Million Song
    Dataset", ISMIR 2011.
    K. Choi, G. Fazekas and M. Sandler, "Automatic tagging using deep convolutional
    neural networks", ISMIR 2016.
    """
    root = _check_root(root, "MSD", _MSD_LAYOUT)
    audio_root = Path(os.path.abspath(os.fspath(audio_root)))
    if check_files and not audio_root.is_dir():
        raise FileNotFoundError(f"MSD audio_root {str(audio_root)!r} is not a folder (it does not exist)")

    tag_list = root / "50tagList.txt"
    tags = _read_lines(tag_list) if tag_list.is_file() else list(MSD_TAGS)
    ids_by_split: dict[str, list[str]] = {}
    labels_by_split: dict[str, np.ndarray] = {}
    missing_lists = [f"{split}_x_msd_id.txt" for split in SPLITS if not (root / f"{split}_x_msd_id.txt").is_file()]
    if missing_lists:
        raise _layout_error("MSD", root, " and ".join(missing_lists), _MSD_LAYOUT)
    for split in SPLITS:
        ids_path = root / f"{split}_x_msd_id.txt"
        ids = _read_lines(ids_path)
        bad = [i for i in ids if not _MSD_ID.match(i)]
        if bad:
            raise ValueError(f"{ids_path}: not MSD track ids (TR + 16 characters): {_describe_some(bad)}")
        ids_by_split[split] = ids
        labels_by_split[split] = _msd_labels(root, split, len(ids), len(tags))
    mapping, mapping_source = _msd_mapping(root, ids_by_split)

    paths, target, split_of, clip_ids, relative = [], [], [], [], []
    n_unmapped, missing = 0, []
    for split in SPLITS:
        for msd_id, y in zip(ids_by_split[split], labels_by_split[split]):
            rel = mapping.get(msd_id)
            if rel is None:
                n_unmapped += 1
                continue
            path = _abspath(audio_root, rel)
            if check_files and not _file_size(path):
                missing.append(path)
                continue
            paths.append(path)
            target.append(y)
            split_of.append(split)
            clip_ids.append(msd_id)
            relative.append(rel)
    n_total = sum(len(ids) for ids in ids_by_split.values())
    if check_files and not paths and missing:
        raise FileNotFoundError(
            f"MSD: none of the {len(missing)} previews found under audio_root {str(audio_root)!r}, "
            f"e.g. {missing[0]!r}. Is audio_root the folder the paths of {mapping_source} are relative to?"
        )
    if n_unmapped or missing:
        parts = []
        if missing:
            parts.append(
                f"{len(missing)} whose preview is missing or empty under {str(audio_root)!r} (e.g. {missing[0]!r})"
            )
        if n_unmapped:
            parts.append(f"{n_unmapped} with no entry in {mapping_source}")
        warnings.warn(
            f"MSD: skipped {len(missing) + n_unmapped} of {n_total} tracks: {'; '.join(parts)}",
            UserWarning,
            stacklevel=2,
        )

    metadata = pd.DataFrame({"msd_id": clip_ids, "path": relative, "split": split_of})
    descr = (
        f"Million Song Dataset (Bertin-Mahieux et al., ISMIR 2011), 50 Last.fm tags, split of Choi, Fazekas "
        f"& Sandler (ISMIR 2016) as used by the SampleCNN papers, read from {root}: {len(paths)} of "
        f"{n_total} tracks with a 7digital preview under {audio_root} "
        f"({_split_counts_text(split_of, '{train} train / {valid} valid / {test} test')})."
    )
    return _make_bunch(
        paths=paths,
        target=np.asarray(target, dtype=np.float32).reshape(len(paths), len(tags)),
        target_names=tags,
        split=split_of,
        clip_ids=clip_ids,
        metadata=metadata,
        descr=descr,
    )
