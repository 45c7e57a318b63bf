"""Dataset loaders: MagnaTagATune, the MSD 50-tag split, GTZAN, and any CSV or folder tree.

Nothing is downloaded: each loader reads a local copy in its *published* on-disk
layout (the files as their authors distribute them) and returns a
:class:`sklearn.utils.Bunch` with the same fields, so that one script trains and
evaluates on any of them::

    from sktag.datasets import load_magnatagatune

    data = load_magnatagatune("/data/magnatagatune")
    train = data.split == "train"
    features.fit(data.paths[train], data.target[train])

Every loader returns

paths : np.ndarray [shape=(n_clips,), dtype=str]
    Absolute paths of the audio files, usable as ``X`` by the sktag transformers.
target : np.ndarray [shape=(n_clips, n_labels), dtype=float32]
    Multi-hot labels. Single-label datasets are one-hot, so every loader has the
    same shape contract; a CSV may also give probabilities in [0, 1].
target_names : np.ndarray [shape=(n_labels,), dtype=str]
    The label of each column of ``target``.
target_label : np.ndarray [shape=(n_clips,), dtype=str]
    Single-label datasets only: each clip's class name.
split : np.ndarray [shape=(n_clips,), dtype=str]
    ``"train"``, ``"valid"`` or ``"test"``; ``""`` where the dataset has no split.
clip_ids : np.ndarray [shape=(n_clips,), dtype=str]
    The dataset's own clip identifiers.
metadata : pandas.DataFrame [shape=(n_clips, n_columns)]
    One row per clip (aligned with ``paths``), dataset-specific columns.
DESCR : str
    The dataset, its split convention and its source paper.

Errors name what is wrong: a root without the expected files says which file or
folder is missing and what the published layout is; a listed audio file that is
missing raises :class:`sktag.audio.AudioFileNotFoundError` (a
``FileNotFoundError``) naming it, unless ``check_files=False``. Files known to be
broken are skipped with a ``UserWarning`` that names them.
"""

from __future__ import annotations

import os
import pickle
import re
import stat
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Union

import numpy as np
import pandas as pd
import soundfile
from sklearn.utils import Bunch

from .audio import AudioFileNotFoundError

__all__ = [
    "GTZAN_GENRES",
    "MSD_TAGS",
    "MTAT_BROKEN_FILES",
    "load_csv",
    "load_folder",
    "load_gtzan",
    "load_magnatagatune",
    "load_msd_tagging",
]

PathLike = Union[str, os.PathLike]

SPLITS = ("train", "valid", "test")

# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------


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
        f"audio file not found (listed in {listed_in}){more}. "
        "Pass check_files=False to skip the existence check.",
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


# ---------------------------------------------------------------------------
# MagnaTagATune
# ---------------------------------------------------------------------------

#: The three zero-byte mp3s of the published MagnaTagATune (clip ids 35644, 55753, 57881).
MTAT_BROKEN_FILES = (
    "6/norine_braun-now_and_zen-08-gently-117-146.mp3",
    "8/jacob_heringman-josquin_des_prez_lute_settings-19-gintzler__pater_noster-204-233.mp3",
    "9/american_baroque-dances_and_suites_of_rameau_and_couperin-25-le_petit_rien_xiveme_ordre_couperin-88-117.mp3",
)

_MTAT_FOLDERS = tuple("0123456789abcdef")
#: Dieleman & Schrauwen's split by the 16 audio folders: 0-b train, c valid, d-f test.
_MTAT_SPLIT_OF_FOLDER = {
    **{folder: "train" for folder in "0123456789ab"},
    "c": "valid",
    **{folder: "test" for folder in "def"},
}

_MTAT_LAYOUT = """\
  root/annotations_final.csv  tab-separated, every field in double quotes: "clip_id", the 188 tags
                              ("0"/"1"), "mp3_path" (e.g. "f/american_bach_soloists-...-30-59.mp3")
  root/clip_info_final.csv    optional; tab-separated, quoted: clip_id, track_number, title, artist, album, url,
                              segmentStart, segmentEnd, original_url, mp3_path
  root/0/ ... root/f/         the audio: mp3.zip.001-003 concatenated and unzipped
                              (root/mp3/0/ ... root/mp3/f/ is accepted too)"""


def _read_quoted_tsv(path: Path, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep="\t", quotechar='"', keep_default_na=False, **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read it as a tab-separated, quoted table ({exc})") from exc


def _mtat_audio_dir(root: Path) -> Path | None:
    """The folder holding ``0/`` ... ``f/``: ``root`` or ``root/mp3``; ``None`` when neither."""
    for candidate in (root, root / "mp3"):
        if any((candidate / folder).is_dir() for folder in _MTAT_FOLDERS):
            return candidate
    return None


def load_magnatagatune(root: PathLike, *, n_tags: int = 50, check_files: bool = True) -> Bunch:
    """Load MagnaTagATune with the top-``n_tags`` tags and the split of the SampleCNN papers.

    Reads the published files: ``annotations_final.csv`` (tab-separated, quoted;
    ``"clip_id"``, 188 binary tag columns, ``"mp3_path"``), the optional
    ``clip_info_final.csv`` and the audio folders ``0/`` to ``f/`` (directly in
    ``root`` or in ``root/mp3/``).

    The tags kept are the ``n_tags`` most frequent over all 25,863 clips (ties
    broken by column order), in decreasing frequency. Clips with none of them are
    dropped, as the papers do. The split is Dieleman & Schrauwen's by audio
    folder: ``0``-``b`` train, ``c`` valid, ``d``-``f`` test. With the default 50
    tags this gives the 21,105 clips of the SampleCNN papers: 15,244 train /
    1,529 valid / 4,332 test.

    The three zero-byte mp3s of the published dataset (:data:`MTAT_BROKEN_FILES`)
    are always skipped with a ``UserWarning`` naming them; with
    ``check_files=True`` any other zero-byte audio file is skipped the same way.

    Parameters
    ----------
    root : str or os.PathLike
        The folder holding ``annotations_final.csv``.
    n_tags : int, default=50
        How many of the most frequent tags to keep (1 to 188).
    check_files : bool, default=True
        Check that every audio file exists (and skip zero-byte ones); ``False``
        skips the check (e.g. to read the labels without the audio).

    Returns
    -------
    data : sklearn.utils.Bunch
        ``paths`` (n_clips,), ``target`` (n_clips, n_tags) float32 multi-hot,
        ``target_names`` (n_tags,), ``split`` (n_clips,), ``clip_ids``
        (n_clips,), ``metadata`` (the ``clip_info_final.csv`` columns, or
        ``clip_id`` and ``mp3_path`` when that file is absent) and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        ``root`` lacks ``annotations_final.csv`` or (with ``check_files``) the
        audio folders; :class:`~sktag.audio.AudioFileNotFoundError` for a listed
        mp3 that is missing.
    ValueError
        A malformed annotation file, or ``n_tags`` out of range.

    References
    ----------
    E. Law, K. West, M. Mandel, M. Bay and J. S. Downie, "Evaluation of algorithms
    using games: the case of music tagging", ISMIR 2009.
    S. Dieleman and B. Schrauwen, "End-to-end learning for music audio", ICASSP 2014.
    """
    root = _check_root(root, "MagnaTagATune", _MTAT_LAYOUT)
    annotations_path = root / "annotations_final.csv"
    if not annotations_path.is_file():
        raise _layout_error("MagnaTagATune", root, "annotations_final.csv", _MTAT_LAYOUT)
    annotations = _read_quoted_tsv(annotations_path, dtype={"clip_id": str, "mp3_path": str})
    columns = list(annotations.columns)
    if len(columns) < 3 or columns[0] != "clip_id" or columns[-1] != "mp3_path":
        raise ValueError(
            f"{annotations_path}: expected a tab-separated header \"clip_id\", the tags, \"mp3_path\"; "
            f"got {len(columns)} column(s) starting {columns[:3]!r}"
        )
    tag_columns = columns[1:-1]
    tag_values = annotations[tag_columns]
    not_numeric = [c for c in tag_columns if not pd.api.types.is_integer_dtype(tag_values[c])]
    if not_numeric:
        raise ValueError(
            f"{annotations_path}: tag column(s) {_describe_some(not_numeric)} hold values other than 0/1"
        )
    labels = tag_values.to_numpy()
    if not ((labels == 0) | (labels == 1)).all():
        bad = [c for c in tag_columns if not tag_values[c].isin((0, 1)).all()]
        raise ValueError(f"{annotations_path}: tag column(s) {_describe_some(bad)} hold values other than 0/1")
    is_int = isinstance(n_tags, (int, np.integer)) and not isinstance(n_tags, bool)
    if not is_int or not 1 <= n_tags <= len(tag_columns):
        raise ValueError(f"n_tags must be an integer from 1 to {len(tag_columns)}, got {n_tags!r}")

    counts = labels.sum(axis=0)
    top = np.argsort(-counts, kind="stable")[: int(n_tags)]
    target = labels[:, top].astype(np.float32)
    target_names = [tag_columns[i] for i in top]
    clip_ids = annotations["clip_id"].to_numpy(dtype=str)
    mp3_paths = annotations["mp3_path"].to_numpy(dtype=str)

    keep = target.any(axis=1)
    broken = np.isin(mp3_paths, MTAT_BROKEN_FILES) & keep
    if broken.any():
        warnings.warn(
            f"MagnaTagATune: skipping the known zero-byte mp3(s) {_describe_some(list(mp3_paths[broken]))}",
            UserWarning,
            stacklevel=2,
        )
        keep &= ~broken

    audio_dir = _mtat_audio_dir(root)
    if audio_dir is None:
        if check_files:
            raise _layout_error(
                "MagnaTagATune", root, "the audio folders 0/ ... f/ (nor mp3/0/ ... mp3/f/)", _MTAT_LAYOUT
            )
        audio_dir = root
    paths = np.array([_abspath(audio_dir, p) for p in mp3_paths], dtype=object)

    if check_files:
        missing, empty = [], []
        for i in np.flatnonzero(keep):
            size = _file_size(paths[i])
            if size is None:
                missing.append(paths[i])
            elif size == 0:
                empty.append(i)
        if missing:
            raise _missing_audio_error(missing, int(keep.sum()), str(annotations_path))
        if empty:
            warnings.warn(
                f"MagnaTagATune: skipping {len(empty)} zero-byte audio file(s): "
                f"{_describe_some(list(mp3_paths[empty]))}",
                UserWarning,
                stacklevel=2,
            )
            keep[empty] = False

    folders = [p.split("/", 1)[0] for p in mp3_paths[keep]]
    split = [_MTAT_SPLIT_OF_FOLDER.get(folder, "") for folder in folders]

    info_path = root / "clip_info_final.csv"
    kept = pd.DataFrame({"clip_id": clip_ids[keep], "mp3_path": mp3_paths[keep]})
    if info_path.is_file():
        info = _read_quoted_tsv(info_path, dtype=str)
        if "clip_id" not in info.columns:
            raise ValueError(f"{info_path}: no \"clip_id\" column; columns are {list(info.columns)!r}")
        info = info.drop_duplicates("clip_id")
        metadata = kept[["clip_id"]].merge(info, on="clip_id", how="left").fillna("")
    else:
        metadata = kept

    n_split = {name: split.count(name) for name in SPLITS}
    descr = (
        f"MagnaTagATune (Law et al., ISMIR 2009), read from {root}: {len(split)} clips with at least one "
        f"of the top-{int(n_tags)} tags (by frequency over all {len(clip_ids)} clips). Split of Dieleman & "
        "Schrauwen (ICASSP 2014), as in the SampleCNN papers: audio folders 0-b train, c valid, d-f test "
        f"({n_split['train']} / {n_split['valid']} / {n_split['test']}; the full dataset with 50 tags gives "
        "15,244 / 1,529 / 4,332). The three zero-byte mp3s of the published dataset are skipped."
    )
    return _make_bunch(
        paths=paths[keep],
        target=target[keep],
        target_names=target_names,
        split=split,
        clip_ids=clip_ids[keep],
        metadata=metadata,
        descr=descr,
    )


# ---------------------------------------------------------------------------
# Million Song Dataset, 50-tag split
# ---------------------------------------------------------------------------

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
        raise ValueError(
            f"{path}: not a pickled dict of plain strings and numbers ({exc}); nothing was run"
        ) from exc
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


def _read_lines(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


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
    n_split = {name: split_of.count(name) for name in SPLITS}
    descr = (
        f"Million Song Dataset (Bertin-Mahieux et al., ISMIR 2011), 50 Last.fm tags, split of Choi, Fazekas "
        f"& Sandler (ISMIR 2016) as used by the SampleCNN papers, read from {root}: {len(paths)} of "
        f"{n_total} tracks with a 7digital preview under {audio_root} "
        f"({n_split['train']} train / {n_split['valid']} valid / {n_split['test']} test)."
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


# ---------------------------------------------------------------------------
# GTZAN
# ---------------------------------------------------------------------------

#: The ten GTZAN genres, in the column order of ``target``.
GTZAN_GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")

_GTZAN_FILE = re.compile(r"^(?P<genre>[a-z]+)\.(?P<number>\d{5})\.(?P<ext>wav|au)$")
_GTZAN_PARENTS = ("", "genres", "genres_original", os.path.join("Data", "genres_original"))
_GTZAN_SPLIT_FILES = {"train": "train_filtered.txt", "valid": "valid_filtered.txt", "test": "test_filtered.txt"}

_GTZAN_LAYOUT = """\
  root/<genre>/<genre>.000NN.wav (or .au) for the 10 genres blues classical country disco hiphop jazz
  metal pop reggae rock, 100 clips each (root/genres/<genre>/ or root/genres_original/<genre>/ also work);
  split_dir/train_filtered.txt, valid_filtered.txt, test_filtered.txt: lines like blues/blues.00029.wav"""


def _gtzan_genre_parent(root: Path) -> Path:
    best, best_missing = root, list(GTZAN_GENRES)
    for sub in _GTZAN_PARENTS:
        parent = root / sub if sub else root
        missing = [g for g in GTZAN_GENRES if not (parent / g).is_dir()]
        if not missing:
            return parent
        if len(missing) < len(best_missing):
            best, best_missing = parent, missing
    raise _layout_error(
        "GTZAN", root, f"genre folder(s) {_describe_some(best_missing, 10)} in {str(best)!r}", _GTZAN_LAYOUT
    )


def _gtzan_split_lists(split_dir: PathLike) -> dict[str, str]:
    """clip id (``blues.00029``) -> split, from the three fault-filtered lists."""
    split_dir = Path(os.path.abspath(os.fspath(split_dir)))
    split_of: dict[str, str] = {}
    for split, name in _GTZAN_SPLIT_FILES.items():
        path = split_dir / name
        if not path.is_file():
            raise FileNotFoundError(
                f"GTZAN split_dir {str(split_dir)!r}: {name} not found. Expected the fault-filtered lists "
                "train_filtered.txt, valid_filtered.txt and test_filtered.txt (lines like blues/blues.00029.wav)"
            )
        for line in _read_lines(path):
            genre, _, filename = line.replace("\\", "/").rpartition("/")
            match = _GTZAN_FILE.match(filename)
            genre = genre.rpartition("/")[2]  # tolerate a prefix such as genres/blues/...
            if match is None or match["genre"] not in GTZAN_GENRES or genre not in ("", match["genre"]):
                raise ValueError(f"{path}: {line!r} is not a GTZAN clip like blues/blues.00029.wav")
            clip_id = f"{match['genre']}.{match['number']}"
            if clip_id in split_of:
                raise ValueError(f"{path}: {clip_id} is already listed for {split_of[clip_id]!r}")
            split_of[clip_id] = split
    return split_of


def load_gtzan(root: PathLike, *, split_dir: PathLike | None = None, check_files: bool = True) -> Bunch:
    """Load GTZAN (10 genres, single-label), optionally with the fault-filtered split.

    Reads the published folder layout ``root/<genre>/<genre>.000NN.wav`` (or
    ``.au`` as in the original archive; ``root/genres/`` and
    ``root/genres_original/`` are accepted as the parent of the genre folders):
    100 clips of 30 s for each of :data:`GTZAN_GENRES`.

    With ``split_dir``, the fault-filtered split of Kereliuk, Sturm & Larsen
    (2015) used by the papers: ``train_filtered.txt``, ``valid_filtered.txt`` and
    ``test_filtered.txt`` with lines like ``blues/blues.00029.wav`` (443 / 197 /
    290 clips in the published lists). Clips in none of the lists are dropped.
    Without it every clip is returned with split ``""``.

    With ``check_files=True`` every clip is opened with ``soundfile.info``; one
    that cannot be (e.g. ``jazz.00054.wav`` of the Kaggle copy) is skipped with
    a ``UserWarning`` naming it.

    Parameters
    ----------
    root : str or os.PathLike
    split_dir : str or os.PathLike, optional
        The folder holding the three ``*_filtered.txt`` lists.
    check_files : bool, default=True
        Open each file and skip unreadable ones; require every listed clip to
        exist.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``paths`` (n_clips,), ``target`` (n_clips, 10) float32 one-hot,
        ``target_label`` (n_clips,) genre names, ``target_names`` (10,),
        ``split`` (n_clips,), ``clip_ids`` (``"blues.00029"``, (n_clips,)),
        ``metadata`` (columns ``clip_id``, ``genre``, ``path`` relative to the
        genre parent, ``split``) and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        A missing genre folder or split list, a genre folder without clips, or
        (with ``check_files``) a listed clip missing from disk.
    ValueError
        A malformed split list.

    References
    ----------
    G. Tzanetakis and P. Cook, "Musical genre classification of audio signals",
    IEEE Trans. Speech and Audio Processing, 2002.
    C. Kereliuk, B. L. Sturm and J. Larsen, "Deep learning and music adversaries",
    IEEE Trans. Multimedia, 2015.
    """
    root = _check_root(root, "GTZAN", _GTZAN_LAYOUT)
    parent = _gtzan_genre_parent(root)

    found: dict[str, str] = {}  # clip id -> path relative to parent; .wav preferred over .au
    for genre in GTZAN_GENRES:
        n_before = len(found)
        for name in sorted(os.listdir(parent / genre)):
            match = _GTZAN_FILE.match(name)
            if match is None or match["genre"] != genre:
                continue
            clip_id = f"{genre}.{match['number']}"
            if clip_id not in found or match["ext"] == "wav":
                found[clip_id] = f"{genre}/{name}"
        if len(found) == n_before:
            missing = f"any {genre}.000NN.wav or .au file in {str(parent / genre)!r}"
            raise _layout_error("GTZAN", root, missing, _GTZAN_LAYOUT)

    if split_dir is None:
        split_of = {clip_id: "" for clip_id in found}
    else:
        split_of = _gtzan_split_lists(split_dir)
        absent = [clip_id for clip_id in split_of if clip_id not in found]
        if absent and check_files:
            expected = [_abspath(parent, f"{c.split('.')[0]}/{c}.wav") for c in absent]
            raise _missing_audio_error(expected, len(split_of), f"the lists of {os.fspath(split_dir)}")
        for clip_id in absent:
            found[clip_id] = f"{clip_id.split('.')[0]}/{clip_id}.wav"

    order = {genre: i for i, genre in enumerate(GTZAN_GENRES)}
    clip_ids = sorted(split_of, key=lambda c: (order[c.split(".")[0]], c))
    if check_files:
        unreadable = []
        for clip_id in clip_ids:
            try:
                soundfile.info(_abspath(parent, found[clip_id]))
            except (RuntimeError, TypeError, ValueError) as exc:  # LibsndfileError is a RuntimeError
                unreadable.append((clip_id, exc))
        if unreadable:
            warnings.warn(
                "GTZAN: skipping file(s) soundfile cannot open: "
                + "; ".join(f"{found[c]!r} ({exc})" for c, exc in unreadable),
                UserWarning,
                stacklevel=2,
            )
            bad = {c for c, _ in unreadable}
            clip_ids = [c for c in clip_ids if c not in bad]

    genres = [c.split(".")[0] for c in clip_ids]
    split = [split_of[c] for c in clip_ids]
    relative = [found[c] for c in clip_ids]
    metadata = pd.DataFrame({"clip_id": clip_ids, "genre": genres, "path": relative, "split": split})
    if split_dir is None:
        split_text = "no split (split is \"\"); pass split_dir for the fault-filtered split"
    else:
        n_split = {name: split.count(name) for name in SPLITS}
        split_text = (
            f"the fault-filtered split of Kereliuk, Sturm & Larsen (2015) from {split_dir}: "
            f"{n_split['train']} / {n_split['valid']} / {n_split['test']} train/valid/test (443 / 197 / 290 "
            "in the published lists); clips in no list dropped"
        )
    descr = (
        f"GTZAN genre collection (Tzanetakis & Cook, 2002), read from {parent}: {len(clip_ids)} clips of "
        f"10 genres, single-label; {split_text}."
    )
    return _make_bunch(
        paths=[_abspath(parent, r) for r in relative],
        target=_one_hot(genres, GTZAN_GENRES),
        target_names=GTZAN_GENRES,
        target_label=genres,
        split=split,
        clip_ids=clip_ids,
        metadata=metadata,
        descr=descr,
    )


# ---------------------------------------------------------------------------
# Generic CSV and folder trees
# ---------------------------------------------------------------------------

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
    n_split = {name: split.count(name) for name in SPLITS}
    split_text = (
        f"split from column {split_column!r}: {n_split['train']} / {n_split['valid']} / {n_split['test']} "
        "train/valid/test"
        if split_column is not None
        else "no split"
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
    return _make_bunch(
        paths=[_abspath(root, r) for r in relative],
        target=_one_hot(labels, target_names),
        target_names=target_names,
        target_label=labels,
        split=[""] * len(relative),
        clip_ids=clip_ids,
        metadata=pd.DataFrame({"clip_id": clip_ids, "label": labels, "path": relative}),
        descr=descr,
    )
