"""Log-mel frames of whole clips in bounded memory, and their onset novelty (for the bag-of-features)."""

from __future__ import annotations

import numpy as np
import torch
from scipy.ndimage import maximum_filter1d

from .. import audio
from ..clips import Clip, clip_blocks
from ..nn.mel import LogMelSpectrogram

__all__ = ["clip_log_mel", "onset_peaks", "mel_frontend"]

#: Frames computed per STFT call: an hour at 16 kHz takes 38 calls of ~48 MB each.
CHUNK_FRAMES = 4096
#: Reference configuration of the papers (22050 Hz, hop 512: 43.07 frames per second).
_PAPER_RATE, _PAPER_HOP, _N_FFT = 22050, 512, 1024


def mel_frontend(sample_rate: float, n_mels: int) -> LogMelSpectrogram:
    """The bag-of-features front end at ``sample_rate``: the papers' frame rate and ``log10(1 + 10 S)``.

    ``n_fft`` 1024 and a hop of ``512 * sample_rate / 22050`` (512 at 22050 Hz,
    372 at 16 kHz), so frames last the same time at every rate; mel bands up to
    Nyquist. Frames start at their sample (``center=False``) so that
    :func:`clip_log_mel` can compute long clips in chunks.
    """
    hop = max(1, round(_PAPER_HOP * sample_rate / _PAPER_RATE))
    n_fft = max(_N_FFT, hop)
    return LogMelSpectrogram(sample_rate, n_fft, hop, n_mels, center=False)


def clip_log_mel(
    clip: Clip, *, frontend: LogMelSpectrogram, sample_rate: float, input_rate: float | None
) -> np.ndarray:
    """Log-mel frames of a whole clip, as ``LogMelSpectrogram(center=True)`` would give them.

    The clip is decoded (and resampled) to ``sample_rate`` once; the STFT runs
    over chunks of :data:`CHUNK_FRAMES` frames, so memory beyond the decoded
    samples stays bounded for hour-long files.

    Parameters
    ----------
    clip : (str, str or np.ndarray)
        From :func:`sktag.clips.validate_clips`.
    frontend : LogMelSpectrogram
        With ``center=False`` (see :func:`mel_frontend`).
    sample_rate : float
        The front end's rate.
    input_rate : float or None
        Rate of an array clip (``None``: already at ``sample_rate``).

    Returns
    -------
    frames : np.ndarray [shape=(1 + n_samples // hop_length, n_mels), dtype=float32]
    """
    blocks = list(clip_blocks(clip, sample_rate=sample_rate, input_rate=input_rate))
    n_samples = sum(len(b) for b in blocks)
    if n_samples == 0:
        raise audio.AudioError(clip[0], "holds no samples")
    half, hop, n_fft = frontend.n_fft // 2, frontend.hop_length, frontend.n_fft
    padded = np.zeros(n_samples + 2 * half, dtype=np.float32)  # zero padding of centred frames
    np.concatenate(blocks, out=padded[half : half + n_samples])
    del blocks
    n_frames = 1 + n_samples // hop
    frames = np.empty((n_frames, frontend.n_mels), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, n_frames, CHUNK_FRAMES):
            stop = min(start + CHUNK_FRAMES, n_frames)
            piece = torch.from_numpy(padded[start * hop : (stop - 1) * hop + n_fft])
            frames[start:stop] = frontend(piece[None])[0].T.numpy()
    if not np.isfinite(frames).all():
        raise audio.AudioError(
            clip[0], "its log-mel spectrum is not finite (overflow: are the samples scaled to [-1, 1]?)"
        )
    return frames


def onset_peaks(frames: np.ndarray, *, radius: int = 3, relative_height: float = 0.1) -> np.ndarray:
    """Frames where the spectral-flux onset novelty peaks.

    Novelty is the summed positive difference of log-mel bands between
    consecutive frames; a peak is the largest value within ``radius`` frames
    on either side and rises above the clip's median novelty by at least
    ``relative_height`` of the way to its maximum (decay tails are not onsets).

    Parameters
    ----------
    frames : np.ndarray [shape=(n_frames, n_mels)]
    radius : int, default=3
    relative_height : float, default=0.1

    Returns
    -------
    peaks : np.ndarray [shape=(n_peaks,), dtype=int64]
        Frame indices, ascending.
    """
    if len(frames) < 2:
        return np.zeros(0, dtype=np.int64)
    novelty = np.maximum(np.diff(frames, axis=0), 0).sum(axis=1)
    novelty = np.concatenate([[0.0], novelty])
    floor = np.median(novelty)
    is_peak = novelty == maximum_filter1d(novelty, 2 * radius + 1, mode="nearest")
    is_peak &= novelty > floor + relative_height * (novelty.max() - floor)
    return np.flatnonzero(is_peak)
