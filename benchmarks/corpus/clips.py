"""Stage 5: cut a track into 29.1 s clips the way shared ``game_music`` was cut.

1. decode with :func:`sktag.audio.load`: mono mix-down, soxr (HQ) to 16 kHz;
2. consecutive, non-overlapping 29.1 s segments (465,600 samples) from t = 0;
   the tail shorter than 29.1 s is dropped (a track shorter than that gives no clip);
3. segments with RMS < 1e-3 are skipped as silent;
4. of the rest, at most 16, evenly spaced on the grid
   (``np.round(np.linspace(0, n - 1, 16))`` over the kept segments);
5. each clip written as 16 kHz mono MP3, 32 kbps CBR (libsndfile/LAME).

Nothing here is random: the same source gives the same clips.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from sktag.audio import load

__all__ = [
    "CLIP_SAMPLES",
    "CLIP_SECONDS",
    "MAX_CLIPS",
    "SAMPLE_RATE",
    "SILENCE_RMS",
    "Segment",
    "TrackCut",
    "cut_track",
    "segment_rms",
    "select_segments",
    "write_mp3",
]

SAMPLE_RATE = 16000
CLIP_SECONDS = 29.1
CLIP_SAMPLES = 465_600  # 29.1 s at 16 kHz
MAX_CLIPS = 16
SILENCE_RMS = 1e-3


@dataclass(frozen=True)
class Segment:
    """One segment on a track's 29.1 s grid.

    Parameters
    ----------
    index : int
        Position on the grid (``start_s = index * 29.1``).
    rms : float
        RMS of the 16 kHz segment.
    """

    index: int
    rms: float

    @property
    def start_s(self) -> float:
        """Offset of the segment in the original track, in seconds."""
        return round(self.index * CLIP_SECONDS, 3)


@dataclass(frozen=True)
class TrackCut:
    """What cutting one track gave.

    Parameters
    ----------
    n_samples : int
        Length of the 16 kHz mono decode.
    n_possible : int
        Whole 29.1 s segments on the grid (``n_possible_clips``).
    n_silent : int
        Of those, how many were silent (``n_silent_skipped``).
    segments : list of Segment
        The selected segments, whose clips were written.
    """

    n_samples: int
    n_possible: int
    n_silent: int
    segments: list[Segment]


def segment_rms(y: np.ndarray, length: int = CLIP_SAMPLES) -> np.ndarray:
    """RMS of each whole, non-overlapping segment of ``y``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
    length : int, default=465600

    Returns
    -------
    rms : np.ndarray [shape=(n // length,), dtype=float64]
    """
    n = len(y) // length
    segments = y[: n * length].reshape(n, length).astype(np.float64)
    return np.sqrt(np.mean(segments**2, axis=1))


def select_segments(rms: np.ndarray, max_clips: int = MAX_CLIPS, silence: float = SILENCE_RMS) -> list[Segment]:
    """Drop silent segments, then keep at most ``max_clips`` evenly spaced ones.

    Parameters
    ----------
    rms : np.ndarray [shape=(n_segments,)]
        From :func:`segment_rms`.
    max_clips : int, default=16
    silence : float, default=1e-3
        Segments with RMS below this are skipped.

    Returns
    -------
    segments : list of Segment
        In grid order.
    """
    audible = np.flatnonzero(rms >= silence)
    if len(audible) > max_clips:
        audible = audible[np.round(np.linspace(0, len(audible) - 1, max_clips)).astype(int)]
    return [Segment(int(i), float(rms[i])) for i in audible]


def write_mp3(path: Path, clip: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write a mono clip as MP3, 32 kbps CBR at 16 kHz, atomically (temporary name, then rename).

    ``compression_level=0.85`` with ``bitrate_mode="CONSTANT"`` is what gives
    libsndfile/LAME's 32 kbps at 16 kHz mono (as for shared ``game_music``).

    Parameters
    ----------
    path : Path
    clip : np.ndarray [shape=(n,), dtype=float32]
    sample_rate : int, default=16000
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    soundfile.write(
        str(tmp),
        clip,
        sample_rate,
        format="MP3",
        subtype="MPEG_LAYER_III",
        compression_level=0.85,
        bitrate_mode="CONSTANT",
    )
    os.replace(tmp, path)


def cut_track(source: Path, clip_path: Callable[[int], Path]) -> TrackCut:
    """Decode a track, pick its clips and write them.

    Parameters
    ----------
    source : Path
        The original audio file.
    clip_path : callable
        Maps a segment's grid index to the MP3 path to write it to.

    Returns
    -------
    cut : TrackCut
    """
    y, _ = load(source, sr=SAMPLE_RATE)
    rms = segment_rms(y)
    segments = select_segments(rms)
    for seg in segments:
        start = seg.index * CLIP_SAMPLES
        write_mp3(clip_path(seg.index), y[start : start + CLIP_SAMPLES])
    return TrackCut(n_samples=len(y), n_possible=len(rms), n_silent=int(np.sum(rms < SILENCE_RMS)), segments=segments)
