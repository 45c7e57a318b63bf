"""Batch extraction of a collection into feature shards: resumable, with a failures report, on one
process or a Dask cluster.

Layout of an output folder::

    manifest.json          extractor class and parameters, feature names, shard list
    shard-00000.npy        float32 (n_clips_in_shard, n_features); NaN rows for failed clips
    shard-00000.clips.txt  the shard's clip ids, one per line
    failures.csv           clip_id, error (clips that could not be decoded)

A shard is written to a temporary name and renamed when complete, so a rerun
after a crash or an interrupt skips every finished shard and recomputes only the
rest; the finished output is byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import csv
import glob
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, clone

from ._ffmpeg import FFMPEG_EXTENSIONS
from .audio import AudioError

logger = logging.getLogger("sktag")

__all__ = ["find_clips", "extract", "load_features", "ExtractedFeatures", "AUDIO_EXTENSIONS"]

#: File endings ``find_clips`` picks up in a folder: libsndfile's formats, and FFmpeg's (decoded with PyAV).
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au", ".w64", ".caf",
                    *FFMPEG_EXTENSIONS)
MANIFEST = "manifest.json"
FORMAT = "sktag-features"


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


def find_clips(inputs: Sequence[str], *, path_column: str = "path", id_column: str = "clip_id") -> tuple[list[str], list[str]]:
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
    ignored = {"verbose", "memory", "device", "batch_size"}  # how, not what, is computed
    params = {k: v for k, v in transformer.get_params(deep=False).items() if k not in ignored}
    return {"class": f"{type(transformer).__module__}.{type(transformer).__qualname__}",
            "params": json.loads(json.dumps(params, default=str))}


def _extract_shard(transformer: BaseEstimator, paths: list[str], ids: list[str], out: str, index: int,
                   on_error: str = "warn") -> dict:
    """Transform one shard's clips and write its files; returns {clip id: error} of failed clips.

    With ``on_error="warn"`` a clip that cannot be decoded gets a NaN row: the shard is
    first transformed whole (fast path) and, on an audio error, clip by clip. With
    ``"raise"`` the error propagates and the shard is not written.
    """
    name = _shard_name(index)
    try:
        rows = transformer.transform(paths)
        failures: dict = {}
    except AudioError:
        if on_error == "raise":
            raise
        rows, failures = [], {}
        n_features = len(transformer.get_feature_names_out())
        for path, clip_id in zip(paths, ids):
            try:
                rows.append(transformer.transform([path])[0])
            except AudioError as exc:
                rows.append(np.full(n_features, np.nan, dtype=np.float32))
                failures[clip_id] = str(exc)
        rows = np.stack(rows)
    for suffix, write in ((".clips.txt", lambda f: f.write("".join(i + "\n" for i in ids).encode())),
                          (".failures.json", lambda f: f.write(json.dumps(failures).encode())),
                          (".npy", lambda f: np.save(f, np.asarray(rows, dtype=np.float32)))):
        final = os.path.join(out, name + suffix)
        with open(final + ".part", "wb") as f:
            write(f)
        os.replace(final + ".part", final)  # .npy last: its presence marks the shard done
    return failures


def _run_shard(transformer, paths, ids, out, index, on_error):
    """Dask task: the fitted transformer's network is cached per worker process, so it loads once per worker."""
    return index, _extract_shard(transformer, paths, ids, out, index, on_error)


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
        Any sktag feature transformer with its parameters (it is cloned; fitting
        only checks parameters and loads the network, which is pretrained).
    paths : sequence of str
        Audio files.
    out : str or os.PathLike
        Output folder (created). A folder holding features of another
        configuration or clip list is refused rather than mixed.
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
    fitted = clone(transformer).fit(np.zeros((1, 1), dtype=np.float32))  # parameters and network only
    manifest = {
        "format": FORMAT, "format_version": 1, "extractor": _describe(transformer),
        "feature_names": [str(n) for n in fitted.get_feature_names_out()],
        "n_clips": len(paths), "shard_size": shard_size,
        "shards": [_shard_name(i) for i in range(-(-len(paths) // shard_size))],
    }
    manifest_path = os.path.join(out, MANIFEST)
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            previous = json.load(f)
        if previous != manifest:
            raise ValueError(f"{out} holds features of another extractor, parameters or clip count; "
                             "use a new folder (or delete it)")
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
                    raise ValueError(f"{out}: {name} holds other clips than this run's; use a new folder")
            continue
        todo.append((index, paths[chunk], ids[chunk]))
    meter = _Progress(len(manifest["shards"]), len(todo), sum(len(t[1]) for t in todo), enabled=progress)
    if client is None:
        for index, shard_paths, shard_ids in todo:
            _extract_shard(fitted, shard_paths, shard_ids, out, index, on_error)
            meter.update(len(shard_paths))
    else:
        from distributed import as_completed

        # hash=False: a fresh key per call. With content-hashed keys a second extract() of the same transformer
        # on this client reuses the first call's key while the scheduler releases it, and its tasks are
        # cancelled for "lost dependencies" (dask/distributed#3703).
        remote = client.scatter(fitted, broadcast=True, hash=False)
        sizes = {index: len(p) for index, p, _ in todo}
        futures = [client.submit(_run_shard, remote, p, i, out, index, on_error, pure=False) for index, p, i in todo]
        for future in as_completed(futures):
            index, _ = future.result()
            meter.update(sizes[index])
    meter.close()
    result = load_features(out)
    _write_failures(out, result.failures)
    return result


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
    return ExtractedFeatures(np.asarray(ids, dtype=object), np.concatenate(blocks),
                             np.asarray(manifest["feature_names"], dtype=object), failures, manifest)


class _Progress:
    """One stderr line: shards done, clips/s, estimated time left (rewritten in place on a terminal)."""

    def __init__(self, n_shards: int, n_todo: int, n_clips: int, enabled: bool):
        self.n_shards, self.skipped, self.n_clips = n_shards, n_shards - n_todo, n_clips
        self.done_shards, self.done_clips = 0, 0
        self.started = time.perf_counter()
        self.enabled = enabled
        self.tty = enabled and sys.stderr.isatty()
        if enabled and self.skipped:
            print(f"sktag extract: resuming, {self.skipped}/{n_shards} shards already done", file=sys.stderr)

    def update(self, clips: int) -> None:
        self.done_shards += 1
        self.done_clips += clips
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        rate = self.done_clips / max(elapsed, 1e-9)
        left = (self.n_clips - self.done_clips) / rate if rate else float("nan")
        line = (f"sktag extract: {self.skipped + self.done_shards}/{self.n_shards} shards, "
                f"{self.done_clips}/{self.n_clips} clips, {rate:.1f} clips/s, ETA {left:.0f} s")
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.tty:
            print(file=sys.stderr)
