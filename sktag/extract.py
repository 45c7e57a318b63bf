"""Batch extraction of a collection into feature shards: resumable, with a failures report, on one
process or a Dask cluster.

Layout of an output folder::

    manifest.json          what defines the features (extractor, parameters, the network's sha256 or
                           seed, precision, sktag and torch versions), feature names, clip list hash,
                           shard list
    shard-00000.npy        float32 (n_clips_in_shard, n_features); NaN rows for failed clips
    shard-00000.clips.txt  the shard's clip ids, one per line
    failures.csv           clip_id, error (clips that could not be decoded)

A shard is written to a temporary name and renamed when complete, so a rerun
after a crash or an interrupt skips every finished shard and recomputes only the
rest; the finished output is byte-identical to an uninterrupted run. A rerun whose
features would differ (another network, parameter, precision, version or clip list)
is refused with :class:`ManifestMismatchError`; the same network named two ways
(``"default"`` and ``"samplecnn-3x9-multiteacher-v3"``) is the same network.
"""

from __future__ import annotations

import copy
import csv
import glob
import hashlib
import json
import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, clone

from ._ffmpeg import FFMPEG_EXTENSIONS
from ._progress import Progress
from .audio import ClipFailureWarning

logger = logging.getLogger("sktag")

__all__ = ["find_clips", "extract", "load_features", "ExtractedFeatures", "ManifestMismatchError", "AUDIO_EXTENSIONS"]

#: File endings ``find_clips`` picks up in a folder: libsndfile's formats, and FFmpeg's (decoded with PyAV).
AUDIO_EXTENSIONS = (
    ".wav",
    ".flac",
    ".ogg",
    ".oga",
    ".opus",
    ".mp3",
    ".aif",
    ".aiff",
    ".au",
    ".w64",
    ".caf",
    *FFMPEG_EXTENSIONS,
)
MANIFEST = "manifest.json"
FORMAT = "sktag-features"
FORMAT_VERSION = 2
#: Parameters that change how features are computed, not what they are.
HOW_PARAMETERS = frozenset({"verbose", "memory", "device", "batch_size", "chunk_size", "on_error"})


class ManifestMismatchError(ValueError):
    """An output folder holds features that this run would not reproduce (its message names the difference)."""


@dataclass
class ExtractedFeatures:
    """Features read back by :func:`load_features`.

    Attributes
    ----------
    clip_ids : np.ndarray [shape=(n_clips,), dtype=object]
    features : np.ndarray [shape=(n_clips, n_features), dtype=float32]
        NaN rows for the clips in ``failures``.
    feature_names : np.ndarray [shape=(n_features,), dtype=object]
    failures : dict
        clip id -> error message.
    manifest : dict
    """

    clip_ids: np.ndarray
    features: np.ndarray
    feature_names: np.ndarray
    failures: dict
    manifest: dict


def find_clips(
    inputs: Sequence[str], *, path_column: str = "path", id_column: str = "clip_id"
) -> tuple[list[str], list[str]]:
    """Resolve folders, glob patterns, CSV files and audio paths into ``(clip_ids, paths)``.

    Parameters
    ----------
    inputs : sequence of str
        A folder (searched recursively for :data:`AUDIO_EXTENSIONS`; ids are paths
        relative to it), a glob pattern (``"music/**/*.mp3"``), a ``.csv`` file
        (``path_column`` relative to the CSV's folder, ids from ``id_column`` when
        present), or an audio file.
    path_column, id_column : str
        Column names of CSV inputs.

    Returns
    -------
    clip_ids, paths : list of str
        In input order (folders and globs sorted); duplicates raise ``ValueError``.
    """
    ids: list[str] = []
    paths: list[str] = []
    for item in inputs:
        if os.path.isdir(item):
            found = sorted(
                os.path.join(root, name)
                for root, _, names in os.walk(item)
                for name in names
                if name.lower().endswith(AUDIO_EXTENSIONS)
            )
            ids += [os.path.relpath(p, item) for p in found]
            paths += [os.path.abspath(p) for p in found]
        elif item.lower().endswith(".csv") and os.path.isfile(item):
            with open(item, newline="") as f:
                rows = list(csv.DictReader(f))
            if rows and path_column not in rows[0]:
                raise ValueError(f"{item}: no {path_column!r} column (columns: {list(rows[0])})")
            base = os.path.dirname(os.path.abspath(item))
            paths += [os.path.join(base, r[path_column]) for r in rows]
            ids += [r.get(id_column) or r[path_column] for r in rows]
        elif glob.has_magic(item):
            found = sorted(glob.glob(item, recursive=True))
            if not found:
                raise FileNotFoundError(f"no file matches {item!r}")
            ids += found
            paths += [os.path.abspath(p) for p in found]
        elif os.path.isfile(item):
            ids.append(item)
            paths.append(os.path.abspath(item))
        else:
            raise FileNotFoundError(f"{item!r} is not a folder, CSV file, glob pattern or audio file")
    if len(set(ids)) != len(ids):
        repeated = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise ValueError(f"clip ids must be unique; repeated: {repeated}")
    return ids, paths


def _shard_name(index: int) -> str:
    return f"shard-{index:05d}"


def _describe(transformer: BaseEstimator) -> dict:
    params = {k: v for k, v in transformer.get_params(deep=False).items() if k not in HOW_PARAMETERS}
    return {
        "class": f"{type(transformer).__module__}.{type(transformer).__qualname__}",
        "params": json.loads(json.dumps(params, default=str)),
    }


def _definition(fitted: BaseEstimator) -> dict:
    """What defines a fitted transformer's features: class, parameters, network, precision (members too).

    The network is its checkpoint's sha256 (however it was named) or, for a random one, its
    architecture and seed; so ``weights`` and ``random_state`` themselves are left out, except
    ``random_state`` of a random network, which says whether it was seeded.
    """
    params = {
        k: v
        for k, v in fitted.get_params(deep=False).items()
        if k not in HOW_PARAMETERS | {"weights", "random_state", "precision", "extractors"}
    }
    definition = {
        "class": f"{type(fitted).__module__}.{type(fitted).__qualname__}",
        "params": json.loads(json.dumps(params, default=str)),
    }
    if hasattr(fitted, "weights_id_"):
        definition["network"] = fitted.weights_id_
        dtype = fitted.autocast_dtype_
        definition["precision"] = "fp32" if dtype is None else str(dtype).removeprefix("torch.")
        if fitted.weights_id_.startswith("random-"):
            definition["random_state"] = json.loads(json.dumps(fitted.random_state, default=str))
    if hasattr(fitted, "extractors_"):
        definition["members"] = {name: _definition(member) for name, member in fitted.extractors_}
    return definition


def _unseeded(definition: dict) -> bool:
    """Whether a definition (or a member's) is a random network drawn without a ``random_state``."""
    return (
        definition.get("network", "").startswith("random-")
        and definition.get("random_state") is None
        or any(_unseeded(member) for member in definition.get("members", {}).values())
    )


def _first_difference(before, now, where: str = "") -> str | None:
    """``"key: X (in the folder) vs Y (this run)"`` for the first entry where two manifests differ."""
    if isinstance(before, dict) and isinstance(now, dict):
        for key in sorted(set(before) | set(now)):
            found = _first_difference(before.get(key), now.get(key), f"{where}.{key}" if where else key)
            if found:
                return found
        return None
    if before == now:
        return None

    def shown(value):
        text = json.dumps(value, default=str)
        return text if len(text) <= 60 else text[:57] + "..."

    return f"{where}: {shown(before)} (in the folder) vs {shown(now)} (this run)"


def _clips_sha256(ids: list[str]) -> str:
    return hashlib.sha256("".join(i + "\n" for i in ids).encode()).hexdigest()


def _extract_shard(transformer: BaseEstimator, paths: list[str], ids: list[str], out: str, index: int) -> dict:
    """Transform one shard's clips and write its files; returns {clip id: error} of failed clips.

    The transformer's own ``on_error`` (set by :func:`extract`) says what a clip that cannot be
    decoded does: with ``"warn"`` it gets a NaN row and is named in ``failed_clips_`` (its
    :class:`~sktag.audio.ClipFailureWarning` is left out: ``failures.csv`` lists it); with
    ``"raise"`` the error propagates and the shard is not written.
    """
    name = _shard_name(index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClipFailureWarning)
        rows = np.asarray(transformer.transform(paths), dtype=np.float32)
    failed = list(getattr(transformer, "failed_clips_", [])) if transformer.get_params()["on_error"] == "warn" else []
    failures: dict = {}
    for path, clip_id, row in zip(paths, ids, rows):  # failed_clips_ is in clip order, each clip named by its path
        if failed and failed[0][0] == path and np.isnan(row).all():
            failures[clip_id] = failed.pop(0)[1]
    for suffix, write in (
        (".clips.txt", lambda f: f.write("".join(i + "\n" for i in ids).encode())),
        (".failures.json", lambda f: f.write(json.dumps(failures).encode())),
        (".npy", lambda f: np.save(f, rows)),
    ):
        final = os.path.join(out, name + suffix)
        with open(final + ".part", "wb") as f:
            write(f)
        os.replace(final + ".part", final)  # .npy last: its presence marks the shard done
    return failures


def _run_shard(transformer, paths, ids, out, index):
    """Dask task: the fitted transformer's network is cached per worker process, so it loads once per worker.

    The task works on its own copy, since the worker's threads share the scattered transformer and
    ``transform`` records ``failed_clips_`` on it.
    """
    return index, _extract_shard(copy.deepcopy(transformer), paths, ids, out, index)


def extract(
    transformer: BaseEstimator,
    paths: Sequence[str],
    out: str | os.PathLike,
    *,
    clip_ids: Sequence[str] | None = None,
    shard_size: int = 256,
    client=None,
    progress: bool = True,
    on_error: str = "warn",
) -> ExtractedFeatures:
    """Extract features of many clips into shards under ``out``, resuming finished work.

    Parameters
    ----------
    transformer : estimator
        Any sktag feature transformer with its parameters (it is cloned, with its
        ``on_error`` set to this function's; fitting only checks parameters and
        loads the network, which is pretrained).
    paths : sequence of str
        Audio files.
    out : str or os.PathLike
        Output folder (created). A folder holding features that this run would
        not reproduce (another extractor, parameter, network, precision, sktag
        or torch version, or clip list) is refused with
        :class:`ManifestMismatchError` rather than mixed; so is resuming the
        features of a random network drawn without a ``random_state``.
    clip_ids : sequence of str, optional
        Ids stored with the features (default: the paths).
    shard_size : int, default=256
        Clips per shard: the unit of resumption and of parallel work.
    client : dask.distributed.Client, optional
        Run the shards as tasks on this Dask cluster (each worker loads the
        network once and writes its shards; ``out`` must be on a filesystem every
        worker sees). ``None`` runs them in this process.
    progress : bool, default=True
        A progress line on stderr: shards, clips/s and the estimated time left.
    on_error : {"warn", "raise"}, default="warn"
        ``"warn"``: a clip that cannot be decoded gets a NaN row, is listed in
        ``failures.csv`` and ``ExtractedFeatures.failures``, and the run goes on
        (a batch job over a messy collection loses no good clip). ``"raise"``:
        the first such clip stops the run with its :class:`~sktag.audio.AudioError`
        (finished shards stay, so a rerun resumes after fixing the file).

    Returns
    -------
    ExtractedFeatures
        Everything in ``out``, as :func:`load_features` reads it.
    """
    paths = [os.fspath(p) for p in paths]
    ids = list(paths if clip_ids is None else clip_ids)
    if len(ids) != len(paths):
        raise ValueError(f"{len(ids)} clip ids for {len(paths)} paths")
    if not paths:
        raise ValueError("no clips to extract")
    if shard_size < 1:
        raise ValueError(f"shard_size must be >= 1, got {shard_size}")
    if on_error not in ("warn", "raise"):
        raise ValueError(f"on_error must be 'warn' or 'raise', got {on_error!r}")
    out = os.path.abspath(os.fspath(out))  # workers may run in another folder
    os.makedirs(out, exist_ok=True)
    # parameters and network only; a clip that cannot be decoded is handled by the transformer's own on_error
    fitted = clone(transformer).set_params(on_error=on_error).fit(np.zeros((1, 1), dtype=np.float32))
    import torch

    from . import __version__

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "definition": {**_definition(fitted), "sktag_version": __version__, "torch_version": torch.__version__},
        "extractor": _describe(transformer),  # as the user wrote it; "definition" is what is compared
        "feature_names": [str(n) for n in fitted.get_feature_names_out()],
        "n_clips": len(paths),
        "clips_sha256": _clips_sha256(ids),
        "shard_size": shard_size,
        "shards": [_shard_name(i) for i in range(-(-len(paths) // shard_size))],
    }
    manifest_path = os.path.join(out, MANIFEST)
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            previous = json.load(f)
        _check_resumable(out, previous, manifest)
    else:
        with open(manifest_path, "w") as f:
            json.dump(manifest, f, indent=1)

    todo = []
    for index, name in enumerate(manifest["shards"]):
        chunk = slice(index * shard_size, (index + 1) * shard_size)
        done_path = os.path.join(out, name + ".npy")
        if os.path.exists(done_path):
            with open(os.path.join(out, name + ".clips.txt")) as f:
                if f.read().splitlines() != ids[chunk]:
                    raise ManifestMismatchError(f"{out}: {name} holds other clips than this run's; use a new folder")
            continue
        todo.append((index, paths[chunk], ids[chunk]))
    meter = _Progress(len(manifest["shards"]), len(todo), sum(len(t[1]) for t in todo), enabled=progress)
    if client is None:
        for index, shard_paths, shard_ids in todo:
            _extract_shard(fitted, shard_paths, shard_ids, out, index)
            meter.update(len(shard_paths))
    else:
        from distributed import as_completed

        # hash=False: a fresh key per call. With content-hashed keys a second extract() of the same transformer
        # on this client reuses the first call's key while the scheduler releases it, and its tasks are
        # cancelled for "lost dependencies" (dask/distributed#3703).
        remote = client.scatter(fitted, broadcast=True, hash=False)
        sizes = {index: len(p) for index, p, _ in todo}
        futures = [client.submit(_run_shard, remote, p, i, out, index, pure=False) for index, p, i in todo]
        for future in as_completed(futures):
            index, _ = future.result()
            meter.update(sizes[index])
    meter.close()
    result = load_features(out)
    _write_failures(out, result.failures)
    return result


def _check_resumable(out: str, previous: dict, manifest: dict) -> None:
    """Raise :class:`ManifestMismatchError` unless ``out``'s features are what this run computes."""
    if previous.get("format") != FORMAT or previous.get("format_version") != FORMAT_VERSION:
        raise ManifestMismatchError(
            f"{out} holds no sktag features of this format (format "
            f"{previous.get('format')!r} version {previous.get('format_version')}); "
            "use a new folder"
        )
    if _unseeded(manifest["definition"]):
        raise ManifestMismatchError(
            f"{out}: features of a random network drawn without a random_state cannot "
            "be resumed (each run draws another network); set random_state, or use "
            "shipped weights, and start a new folder"
        )
    compared = ("definition", "feature_names", "n_clips", "clips_sha256", "shard_size")
    difference = _first_difference({k: previous.get(k) for k in compared}, {k: manifest[k] for k in compared})
    if difference:
        raise ManifestMismatchError(
            f"{out} holds other features than this run would compute ({difference}); "
            "use a new folder, or the settings of the first run"
        )


def _write_failures(out: str, failures: dict) -> None:
    with open(os.path.join(out, "failures.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["clip_id", "error"])
        writer.writerows(sorted(failures.items()))


def load_features(out: str | os.PathLike) -> ExtractedFeatures:
    """Read the features written by :func:`extract` (every shard must be finished).

    Parameters
    ----------
    out : str or os.PathLike

    Returns
    -------
    ExtractedFeatures
    """
    out = os.fspath(out)
    with open(os.path.join(out, MANIFEST)) as f:
        manifest = json.load(f)
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{out}/{MANIFEST} is not a sktag features manifest")
    ids, blocks, failures = [], [], {}
    for name in manifest["shards"]:
        base = os.path.join(out, name)
        if not os.path.exists(base + ".npy"):
            raise FileNotFoundError(f"{base}.npy is missing: the extraction has not finished (rerun it to resume)")
        blocks.append(np.load(base + ".npy"))
        with open(base + ".clips.txt") as f:
            ids += f.read().splitlines()
        with open(base + ".failures.json") as f:
            failures.update(json.load(f))
    return ExtractedFeatures(
        np.asarray(ids, dtype=object),
        np.concatenate(blocks),
        np.asarray(manifest["feature_names"], dtype=object),
        failures,
        manifest,
    )


class _Progress:
    """``sktag extract``'s progress line (a :class:`sktag._progress.Progress` over clips): shards done,
    clips/s, estimated time left; rewritten in place on a terminal."""

    def __init__(self, n_shards: int, n_todo: int, n_clips: int, enabled: bool):
        self.n_shards, self.skipped, self.done_shards = n_shards, n_shards - n_todo, 0
        self.line = Progress(n_clips, desc="sktag extract", unit="clips", enabled=enabled)
        if self.skipped:
            self.line.write(f"sktag extract: resuming, {self.skipped}/{n_shards} shards already done")

    def update(self, clips: int) -> None:
        self.done_shards += 1
        self.line.update(clips, postfix=f"{self.skipped + self.done_shards}/{self.n_shards} shards")

    def close(self) -> None:
        self.line.close()
