"""One clip as a stream: decoded, mixed to mono and resampled blocks, then fixed-length segments."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np

from .. import audio
from .inputs import Clip, DecodedFile

__all__ = ["clip_blocks", "clip_segments", "warn_short_clips"]


def clip_blocks(clip: Clip, *, sample_rate: float, input_rate: float | None) -> Iterator[np.ndarray]:
    """One clip as consecutive mono float32 blocks at ``sample_rate``.

    A file is decoded and resampled block by block (:func:`sktag.audio.stream`);
    an array is resampled whole, from ``input_rate`` (``None``: already at
    ``sample_rate``), and comes as one block; so is a :class:`DecodedFile`, from
    its own rate.

    Parameters
    ----------
    clip : Clip
        From :func:`~sktag.clips.validate_clips`.
    sample_rate : float
        The rate the blocks are wanted at.
    input_rate : float or None
        The rate of an array clip (``None``: already at ``sample_rate``).

    Yields
    ------
    block : np.ndarray [shape=(k,), dtype=float32]
        Consecutive samples; their lengths ``k`` add up to the clip's length at ``sample_rate``.

    Raises
    ------
    sktag.audio.AudioError
        A file that cannot be decoded (raised when the stream reaches it).
    """
    _, source = clip
    if isinstance(source, str):
        yield from audio.stream(source, sr=sample_rate)
    elif isinstance(source, DecodedFile):
        yield audio.resample(source.waveform, orig_sr=source.sample_rate, target_sr=sample_rate)
    elif input_rate is None:
        yield source
    else:
        yield audio.resample(source, orig_sr=input_rate, target_sr=sample_rate)


def clip_segments(
    clip: Clip,
    *,
    sample_rate: float,
    input_rate: float | None,
    length: int,
    hop: int,
    short: list[tuple[str, float]] | None = None,
) -> Iterator[tuple[np.ndarray, int]]:
    """Segments of one clip at the network's rate, streamed (see :func:`clip_blocks`), each with its clip samples.

    Parameters
    ----------
    clip : Clip
        From :func:`~sktag.clips.validate_clips`.
    sample_rate : float
        The network's rate.
    input_rate : float or None
        The rate of array clips (``None``: already at ``sample_rate``).
    length, hop : int
        Segment length and hop, in samples at ``sample_rate``.
    short : list of (str, float) or None, default=None
        Where a clip shorter than ``length`` is recorded as ``(name, seconds)``,
        for :func:`warn_short_clips`; ``None``: it is warned about at once.

    Yields
    ------
    segment : np.ndarray [shape=(length,), dtype=float32]
    n_valid : int
        How many of its samples come from the clip: ``length``, except for the one
        zero-padded segment of a clip shorter than ``length`` (its duration in samples).

    Warns
    -----
    sktag.audio.ShortClipWarning
        The clip is shorter than ``length`` (zero-padded to one segment), and ``short`` is ``None``.
    """
    n_samples = 0

    def counted(blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        nonlocal n_samples
        for block in blocks:
            n_samples += len(block)
            yield block

    blocks = counted(clip_blocks(clip, sample_rate=sample_rate, input_rate=input_rate))
    if isinstance(clip[1], str):
        segments = audio.iter_segments(blocks, length=length, hop=hop)
    else:  # an array or a decoded file is one block: strided views, no copies
        segments = audio.frame(next(blocks), length=length, hop=hop)
    for segment in segments:  # counted before a padded segment comes: the count is final then
        yield segment, min(n_samples, length)
    if n_samples < length:
        if short is None:
            warn_short_clips([(clip[0], n_samples / sample_rate)], 1, length / sample_rate)
        else:
            short.append((clip[0], n_samples / sample_rate))


def warn_short_clips(short: list[tuple[str, float]], n_clips: int, segment_seconds: float) -> None:
    """One :class:`~sktag.audio.ShortClipWarning` naming the clips (up to 5) that were shorter than a segment.

    Parameters
    ----------
    short : list of (str, float)
        Name and duration in seconds of each short clip (as :func:`clip_segments` records them);
        nothing is warned when it is empty.
    n_clips : int
        How many clips there were in all.
    segment_seconds : float
        The segment's duration.
    """
    if not short:
        return
    named = ", ".join(f"{name!r} ({seconds:.2f} s)" for name, seconds in short[:5])
    more = f" and {len(short) - 5} more" if len(short) > 5 else ""
    warnings.warn(
        f"{len(short)} of {n_clips} clip(s) shorter than the network's segment ({segment_seconds:.2f} s) "
        f"were zero-padded to one segment (features pool only the frames a clip reaches, but the last blocks "
        f"and the tags see the padding too): {named}{more}",
        audio.ShortClipWarning,
        stacklevel=3,
    )
