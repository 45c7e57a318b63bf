"""GTZAN (10 genres, single-label), optionally with the fault-filtered split."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pandas as pd
import soundfile
from sklearn.utils import Bunch

from ._common import (
    PathLike,
    _abspath,
    _check_root,
    _describe_some,
    _layout_error,
    _missing_audio_error,
    _read_lines,
    _single_label_bunch,
    _split_counts_text,
)

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
        split_text = (
            f"the fault-filtered split of Kereliuk, Sturm & Larsen (2015) from {split_dir}: "
            f"{_split_counts_text(split)} (443 / 197 / 290 in the published lists); clips in no list dropped"
        )
    descr = (
        f"GTZAN genre collection (Tzanetakis & Cook, 2002), read from {parent}: {len(clip_ids)} clips of "
        f"10 genres, single-label; {split_text}."
    )
    return _single_label_bunch(
        parent, relative, genres, GTZAN_GENRES, split=split, clip_ids=clip_ids, metadata=metadata, descr=descr
    )
