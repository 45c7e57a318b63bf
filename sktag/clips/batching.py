"""The segments of many clips through a function in batches, decoded ahead in background threads."""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
import torch

from .._devices import decode_workers
from .._progress import Progress
from ..audio import AudioError
from .inputs import Clip
from .segments import clip_segments, warn_short_clips

logger = logging.getLogger("sktag")

__all__ = ["decode_ahead", "map_segments"]


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
    workers: int | None = None,
    with_lengths: bool = False,
) -> list[np.ndarray | None]:
    """Apply ``fn`` to batches of segments drawn from many clips, in order.

    Clips are decoded, resampled and segmented in background threads while ``fn``
    runs (:func:`decode_ahead`; ``workers`` threads, by default as many as
    :func:`sktag.runtime.decode_workers` gives for ``device``); segments of
    consecutive clips share batches.

    Parameters
    ----------
    clips : sequence of Clip [length=n_clips]
        From :func:`~sktag.clips.validate_clips`.
    fn : callable
        Maps a float32 tensor ``(batch, length)`` on ``device`` to a tensor
        ``(batch, ...)``; called under ``torch.inference_mode``.
    sample_rate : float
        The network's rate: every clip is resampled to it.
    input_rate : float or None
        The rate of array clips (``None``: the network's).
    length, hop : int
        Segment length and hop in samples.
    batch_size : int
        Segments per call of ``fn``.
    device : torch.device
        Where ``fn`` runs: each batch is moved there (through pinned memory on CUDA).
    verbose : int, default=0
        ``1``: a progress line on stderr (clips done, clips/s, time left).
    failures : dict or None, default=None
        ``None``: a clip that cannot be decoded raises its
        :class:`~sktag.audio.AudioError`. A dict: the error is stored under the
        clip's index, the other clips go on, and the clip's output is ``None``;
        clips already in it (from :func:`~sktag.clips.validate_clips`)
        are skipped.
    workers : int or None, default=None
        Decoding threads (at least 1); ``None``: :func:`sktag.runtime.decode_workers`
        for ``device``, what sktag's transformers use. The output does not depend on it.
    with_lengths : bool, default=False
        Call ``fn(x, n_valid)``: ``n_valid`` is an int64 tensor ``(batch,)`` on
        the CPU (so checking it never waits for a GPU) of how many samples of
        each segment come from its clip (``length``, less for the zero-padded
        segment of a clip shorter than one).

    Returns
    -------
    outputs : list of (np.ndarray [shape=(n_segments_of_clip, ...), dtype=float32] or None) [length=n_clips]
        One array per clip: ``fn``'s rows for its segments (``None`` if it failed).

    Raises
    ------
    sktag.audio.AudioError
        With ``failures=None``: a clip that cannot be decoded, or whose rows are not finite.

    Warns
    -----
    sktag.audio.ShortClipWarning
        Once, naming the clips shorter than ``length`` (each zero-padded to one segment).
    """
    per_clip: list[list[np.ndarray]] = [[] for _ in clips]
    batch: list[np.ndarray] = []
    valid: list[int] = []
    owners: list[int] = []
    n_segments = 0
    progress = Progress(len(clips), desc="sktag", unit="clips", enabled=verbose > 0)

    def flush():
        x = torch.from_numpy(np.stack(batch))
        if device.type == "cuda":
            x = x.pin_memory().to(device, non_blocking=True)
        with torch.inference_mode():
            output = fn(x, torch.tensor(valid)) if with_lengths else fn(x)
            rows = output.float().cpu().numpy()
        for owner, row in zip(owners, rows):
            if not np.isfinite(row).all() and owner not in (failures or {}):
                error = AudioError(
                    clips[owner][0], "the network's output is not finite (overflow: are the samples scaled to [-1, 1]?)"
                )
                if failures is None:
                    raise error
                failures[owner] = error
            per_clip[owner].append(row)
        batch.clear()
        valid.clear()
        owners.clear()

    def segments_of(index: int) -> Iterator[tuple[np.ndarray, int]]:
        if failures is not None and index in failures:
            return
        try:
            yield from clip_segments(
                clips[index], sample_rate=sample_rate, input_rate=input_rate, length=length, hop=hop, short=short
            )
        except AudioError as exc:
            if failures is None:
                raise
            failures[index] = exc  # its segments already batched are dropped below

    short: list[tuple[str, float]] = []  # (name, seconds) of clips shorter than a segment, from the decoders
    if workers is None:
        workers = decode_workers(device)
    elif workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    sources = [functools.partial(segments_of, index) for index in range(len(clips))]
    with progress:
        for index, item in decode_ahead(sources, workers=workers, maxsize=max(8, 4 * batch_size // workers)):
            if item is None:  # end of clip `index`
                progress.update(1, postfix=f"{n_segments} segments")
                continue
            segment, n_valid = item
            batch.append(segment)
            valid.append(n_valid)
            owners.append(index)
            n_segments += 1
            if len(batch) == batch_size:
                flush()
        if batch:
            flush()
    failed = failures or {}
    warn_short_clips(sorted(short), len(clips), length / sample_rate)
    return [None if index in failed else np.stack(rows) for index, rows in enumerate(per_clip)]


def decode_ahead(sources: Sequence[Callable[[], Iterable]], *, workers: int, maxsize: int) -> Iterator[tuple]:
    """The items of ``sources[0]()``, ``sources[1]()``, ... in order, produced by ``workers`` threads.

    Each source (one clip's decoding) runs in one thread; ``workers`` threads
    work on the next ``workers + 1`` sources at once, so while the caller takes
    the items of one clip the following clips are being decoded (soundfile and
    soxr release the GIL). At most ``maxsize`` items of each source wait, so
    memory stays bounded however long a clip is.

    Parameters
    ----------
    sources : sequence of callable
        Each returns an iterable of items.
    workers : int
        Producer threads (at least 1).
    maxsize : int
        Items buffered per source.

    Yields
    ------
    index, item : int, object
        The source's index and one of its items; after a source's last item,
        ``(index, None)``. An exception raised by a source is re-raised here
        when the caller reaches it.
    """
    n_sources = len(sources)
    window = workers + 1
    queues: dict[int, queue.Queue] = {}
    state = {"next": 0, "consumed": 0}
    changed = threading.Condition()
    stop = threading.Event()
    done = object()

    def put(items: queue.Queue, item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        while True:
            with changed:
                changed.wait_for(
                    lambda: stop.is_set() or state["next"] >= n_sources or state["next"] < state["consumed"] + window
                )
                if stop.is_set() or state["next"] >= n_sources:
                    return
                index = state["next"]
                state["next"] += 1
                items = queues[index] = queue.Queue(maxsize=maxsize)
                changed.notify_all()
            try:
                for item in sources[index]():
                    if not put(items, item):
                        return
                put(items, done)
            except BaseException as exc:  # re-raised in the consumer
                put(items, exc)

    threads = [
        threading.Thread(target=produce, name=f"sktag-decode-{k}", daemon=True) for k in range(min(workers, n_sources))
    ]
    for thread in threads:
        thread.start()
    try:
        for index in range(n_sources):
            with changed:
                changed.wait_for(lambda index=index: index in queues)
                items = queues[index]
            while (item := items.get()) is not done:
                if isinstance(item, BaseException):
                    raise item
                yield index, item
            yield index, None
            with changed:
                del queues[index]
                state["consumed"] = index + 1
                changed.notify_all()
    finally:
        stop.set()
        with changed:
            changed.notify_all()
        for thread in threads:
            thread.join(timeout=5)
