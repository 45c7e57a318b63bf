"""Run a function over the segments of many clips in batches, decoding in a background thread."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..audio import AudioError
from ._clips import Clip, clip_segments

logger = logging.getLogger("sktag")

__all__ = ["map_segments"]


def map_segments(
    clips: Sequence[Clip],
    fn: Callable[[torch.Tensor], torch.Tensor],
    *,
    sample_rate: float,
    input_rate: float | None,
    length: int,
    hop: int,
    batch_size: int,
    device: torch.device,
    verbose: int = 0,
    failures: dict | None = None,
) -> list[np.ndarray | None]:
    """Apply ``fn`` to batches of segments drawn from many clips, in order.

    Clips are decoded, resampled and segmented in a background thread (bounded
    queue) while ``fn`` runs; segments of consecutive clips share batches.

    Parameters
    ----------
    clips : sequence of (str, str or np.ndarray)
        From :func:`sktag.features._clips.validate_clips`.
    fn : callable
        Maps a float32 tensor ``(batch, length)`` on ``device`` to a tensor
        ``(batch, ...)``; called under ``torch.inference_mode``.
    sample_rate, input_rate : float
        The network's rate, and the rate of array clips (``None``: the network's).
    length, hop : int
        Segment length and hop in samples.
    batch_size : int
        Segments per call of ``fn``.
    device : torch.device
    verbose : int, default=0
        Log progress (clips/s) to the ``"sktag"`` logger.
    failures : dict or None, default=None
        ``None``: a clip that cannot be decoded raises its
        :class:`~sktag.audio.AudioError`. A dict: the error is stored under the
        clip's index, the other clips go on, and the clip's output is ``None``;
        clips already in it (from :func:`~sktag.features._clips.validate_clips`)
        are skipped.

    Returns
    -------
    outputs : list of (np.ndarray [shape=(n_segments_of_clip, ...), dtype=float32] or None)
        One array per clip: ``fn``'s rows for its segments (``None`` if it failed).
    """
    per_clip: list[list[np.ndarray]] = [[] for _ in clips]
    batch: list[np.ndarray] = []
    owners: list[int] = []
    started, n_done, n_segments = time.perf_counter(), 0, 0

    def flush():
        x = torch.from_numpy(np.stack(batch))
        if device.type == "cuda":
            x = x.pin_memory().to(device, non_blocking=True)
        with torch.inference_mode():
            rows = fn(x).float().cpu().numpy()
        for owner, row in zip(owners, rows):
            if not np.isfinite(row).all() and owner not in (failures or {}):
                error = AudioError(clips[owner][0], "the network's output is not finite (overflow: are the "
                                                    "samples scaled to [-1, 1]?)")
                if failures is None:
                    raise error
                failures[owner] = error
            per_clip[owner].append(row)
        batch.clear()
        owners.clear()

    def segments():
        for index, clip in enumerate(clips):
            if failures is not None and index in failures:
                yield index, None
                continue
            try:
                for segment in clip_segments(clip, sample_rate=sample_rate, input_rate=input_rate, length=length,
                                             hop=hop):
                    yield index, segment
            except AudioError as exc:
                if failures is None:
                    raise
                failures[index] = exc  # its segments already batched are dropped below
            yield index, None

    for index, segment in _prefetch(segments(), maxsize=4 * batch_size):
        if segment is None:  # end of clip `index`
            n_done += 1
            if verbose and (n_done % max(1, len(clips) // 10) == 0 or n_done == len(clips)):
                rate = n_done / max(time.perf_counter() - started, 1e-9)
                logger.info("sktag: %d/%d clips, %d segments, %.1f clips/s", n_done, len(clips), n_segments, rate)
            continue
        batch.append(segment)
        owners.append(index)
        n_segments += 1
        if len(batch) == batch_size:
            flush()
    if batch:
        flush()
    failed = failures or {}
    return [None if index in failed else np.stack(rows) for index, rows in enumerate(per_clip)]


def _prefetch(iterator, maxsize: int):
    """Run ``iterator`` in a background thread (decoding overlaps the network).

    Exceptions raised by the iterator are re-raised in the caller; at most
    ``maxsize`` items wait in between, so memory stays bounded.
    """
    items: queue.Queue = queue.Queue(maxsize=maxsize)
    done = object()
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in iterator:
                if not put(item):
                    return
            put(done)
        except BaseException as exc:  # re-raised in the consumer
            put(exc)

    worker = threading.Thread(target=produce, name="sktag-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)
