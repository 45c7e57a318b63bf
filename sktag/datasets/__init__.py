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

from . import by_name, gtzan, magnatagatune, msd
from .by_name import load_dataset
from .generic import load_csv, load_folder
from .gtzan import load_gtzan
from .magnatagatune import load_magnatagatune
from .msd import load_msd_tagging

__all__ = [
    "DATASET_KINDS",
    "GTZAN_GENRES",
    "MSD_TAGS",
    "MTAT_BROKEN_FILES",
    "load_csv",
    "load_dataset",
    "load_folder",
    "load_gtzan",
    "load_magnatagatune",
    "load_msd_tagging",
]

# The constants are bound here rather than imported so that Sphinx reads their ``#:`` comments as
# the documentation of sktag.datasets.<name> (it reads them from the module's source, not the object).

#: The three zero-byte mp3s of the published MagnaTagATune (clip ids 35644, 55753, 57881).
MTAT_BROKEN_FILES = magnatagatune.MTAT_BROKEN_FILES

#: The 50 Last.fm tags of Choi et al.'s split (``tags.py`` of MSD_split_for_tagging), column order of y.
MSD_TAGS = msd.MSD_TAGS

#: The ``kind`` names of :func:`load_dataset`.
DATASET_KINDS = by_name.DATASET_KINDS

#: The ten GTZAN genres, in the column order of ``target``.
GTZAN_GENRES = gtzan.GTZAN_GENRES
