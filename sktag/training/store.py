"""Clips decoded once into an on-disk int16 memmap, for training with random crops."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence

import numpy as np

from ..clips import Clip, clip_blocks, validate_clips

logger = logging.getLogger("sktag")

__all__ = ["AudioStore", "default_cache_dir"]


def default_cache_dir() -> str:
    """``$SKTAG_CACHE``, else ``$XDG_CACHE_HOME/sktag``, else ``~/.cache/sktag``."""
    if os.environ.get("SKTAG_CACHE"):
        return os.environ["SKTAG_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sktag")


def _store_key(clips: Sequence[Clip], sample_rate: float) -> str:
    digest = hashlib.sha256(f"sktag-store-v1 {float(sample_rate)!r}".encode())
    for _name, source in clips:
        if isinstance(source, str):
            stat = os.stat(source)
            digest.update(f"{os.path.abspath(source)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        else:
            digest.update(hashlib.sha256(np.ascontiguousarray(source).tobytes()).digest())
    return digest.hexdigest()[:32]


class AudioStore:
    """Every clip of a collection, mono at one sample rate, in one int16 file on disk.

    Training reads random crops from it every epoch: decoding and resampling
    happen once per collection (and are reused across runs: the store is keyed by
    the files' paths, sizes and modification times and the sample rate), and
    memory holds only the crops of a batch, whatever the collection's size.

    Build one with :meth:`build`.

    Attributes
    ----------
    samples : np.memmap [shape=(total_samples,), dtype=int16]
        All clips back to back.
    offsets, lengths : np.ndarray [shape=(n_clips,), dtype=int64]
        Where each clip starts in ``samples`` and how long it is.
    sample_rate : float
    names : list of str
        Each clip's name (path, or ``X[i]``).
    """

    def __init__(self, samples: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, sample_rate: float, names):
        self.samples = samples
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.sample_rate = float(sample_rate)
        self.names = list(names)

    @classmethod
    def build(
        cls, X, *, sample_rate: float, input_rate: float | None = None, cache_dir: str | None = None, verbose: int = 0
    ) -> AudioStore:
        """Decode (or reopen) the store of the clips in ``X``.

        Parameters
        ----------
        X : sequence of (str or np.ndarray [shape=(n,)])
            As for the feature transformers (see :func:`sktag.clips.validate_clips`).
        sample_rate : float
            The network's rate; every clip is resampled to it.
        input_rate : float, optional
            The rate of array clips (``None``: already at ``sample_rate``).
        cache_dir : str, optional
            Where the store lives (default :func:`default_cache_dir`).
        verbose : int, default=0
            Log decoding progress to the ``"sktag"`` logger.

        Returns
        -------
        store : AudioStore
        """
        clips = validate_clips(X)
        folder = cache_dir or default_cache_dir()
        os.makedirs(folder, exist_ok=True)
        key = _store_key(clips, sample_rate)
        data_path = os.path.join(folder, f"store-{key}.int16")
        index_path = os.path.join(folder, f"store-{key}.json")
        if os.path.exists(index_path) and os.path.exists(data_path):
            with open(index_path) as f:
                index = json.load(f)
            samples = np.memmap(data_path, dtype=np.int16, mode="r")
            return cls(samples, index["offsets"], index["lengths"], index["sample_rate"], index["names"])
        lengths = []
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as out:
            for i, clip in enumerate(clips):
                n = 0
                for block in clip_blocks(clip, sample_rate=sample_rate, input_rate=input_rate):
                    out.write(np.clip(np.round(block * 32767.0), -32768, 32767).astype(np.int16).tobytes())
                    n += len(block)
                lengths.append(n)
                if verbose and (i + 1) % max(1, len(clips) // 10) == 0:
                    logger.info("sktag: decoded %d/%d clips into %s", i + 1, len(clips), data_path)
        os.replace(out.name, data_path)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        index = {
            "offsets": offsets.tolist(),
            "lengths": lengths,
            "sample_rate": float(sample_rate),
            "names": [name for name, _ in clips],
        }
        with open(index_path + ".part", "w") as f:
            json.dump(index, f)
        os.replace(index_path + ".part", index_path)
        samples = np.memmap(data_path, dtype=np.int16, mode="r")
        return cls(samples, offsets, lengths, sample_rate, index["names"])

    def __len__(self) -> int:
        return len(self.offsets)

    def crop(self, index: int, start: int, length: int) -> np.ndarray:
        """``length`` samples of clip ``index`` from ``start``, float32, zero-padded past its end.

        Returns
        -------
        crop : np.ndarray [shape=(length,), dtype=float32]
        """
        out = np.zeros(length, dtype=np.float32)
        begin = self.offsets[index] + start
        n = max(0, min(length, self.lengths[index] - start))
        out[:n] = self.samples[begin : begin + n] * np.float32(1 / 32768)
        return out
