"""MagnaTagATune, with the top-n tags and Dieleman & Schrauwen's split by audio folder."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._common import (
    PathLike,
    _abspath,
    _check_root,
    _describe_some,
    _file_size,
    _layout_error,
    _make_bunch,
    _missing_audio_error,
    _split_counts_text,
)

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
        raise ValueError(f"{annotations_path}: tag column(s) {_describe_some(not_numeric)} hold values other than 0/1")
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

    descr = (
        f"MagnaTagATune (Law et al., ISMIR 2009), read from {root}: {len(split)} clips with at least one "
        f"of the top-{int(n_tags)} tags (by frequency over all {len(clip_ids)} clips). Split of Dieleman & "
        "Schrauwen (ICASSP 2014), as in the SampleCNN papers: audio folders 0-b train, c valid, d-f test "
        f"({_split_counts_text(split, '{train} / {valid} / {test}')}; the full dataset with 50 tags gives "
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
