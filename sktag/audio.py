"""Audio input: decoding, validation, mono mix-down, resampling and segmenting.

Every entry point names the clip it is working on in its errors, so a bad file in
a collection of thousands is found at once. Files are decoded block by block
(float32, never the whole file at float64) and resampled with a streaming soxr
resampler, so hour-long recordings stream through in bounded memory.

Shapes follow librosa's convention: a mono signal is ``(n,)``, a multi-channel
array is ``(channels, n)``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator

import numpy as np
import soundfile
import soxr

from . import _ffmpeg
from ._progress import CapturedStderr, capture_c_stderr

__all__ = [
    "AudioError",
    "AudioFileNotFoundError",
    "AudioTypeError",
    "check_audio",
    "ClipFailureWarning",
    "ShortClipWarning",
    "to_mono",
    "resample",
    "load",
    "stream",
    "frame",
    "iter_segments",
    "clip_name",
]

PathLike = str | os.PathLike

#: Frames decoded per read when streaming a file (about 1.5 s at 44.1 kHz).
BLOCK_FRAMES = 65536

logger = logging.getLogger("sktag")


class AudioError(ValueError):
    """A clip that cannot be used: unreadable, empty, non-finite or of the wrong shape.

    Parameters
    ----------
    clip : str
        The clip's name: its path, or ``"X[i]"`` for an in-memory array.
    message : str
        What is wrong with it.
    """

    def __init__(self, clip: str, message: str):
        self.clip = clip
        super().__init__(f"clip {clip!r}: {message}")


class AudioFileNotFoundError(AudioError, FileNotFoundError):
    """The clip's file does not exist."""


class AudioTypeError(AudioError, TypeError):
    """The clip is not an array of audio samples (wrong type or dtype)."""


class ClipFailureWarning(UserWarning):
    """Clips that could not be used were skipped (``on_error="warn"``): their feature rows are NaN."""


class ShortClipWarning(UserWarning):
    """A clip shorter than one network segment was zero-padded to one: coarse layers and tags partly see silence."""


def clip_name(clip: object, index: int | None = None) -> str:
    """Name a clip for messages: its path, or ``X[index]`` for arrays."""
    if isinstance(clip, (str, os.PathLike)):
        return os.fspath(clip)
    return "array" if index is None else f"X[{index}]"


def _to_float32(y: np.ndarray, clip: str) -> np.ndarray:
    """Scale integer PCM to float32 in [-1, 1]; cast floats to float32."""
    kind = y.dtype.kind
    if kind == "f":
        return y.astype(np.float32, copy=False)
    if kind == "i":
        scale = float(2 ** (8 * y.dtype.itemsize - 1))
        return (y.astype(np.float32) / np.float32(scale)).astype(np.float32, copy=False)
    if kind == "u":
        half = float(2 ** (8 * y.dtype.itemsize - 1))
        return ((y.astype(np.float64) - half) / half).astype(np.float32)
    if kind == "c":
        raise AudioTypeError(clip, "Complex data not supported; audio must be real-valued")
    raise AudioTypeError(
        clip,
        f"audio must be a real number array (float or integer PCM), got dtype {y.dtype}",
    )


def check_audio(y: object, *, clip: str = "array", mono: bool = False) -> np.ndarray:
    """Validate an audio array and return it as float32.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)]
        Float samples, or integer PCM (int8/16/32/64 signed, uint8 offset binary),
        which is scaled to [-1, 1].
    clip : str, default="array"
        The clip's name, used in error messages.
    mono : bool, default=False
        Require a 1-D array.

    Returns
    -------
    y : np.ndarray [shape=(n,) or (channels, n), dtype=float32]

    Raises
    ------
    AudioTypeError
        Not a numpy array, or a dtype that is not audio (bool, complex, object).
    AudioError
        Wrong number of dimensions, no samples, or NaN/inf values.
    """
    if not isinstance(y, np.ndarray):
        raise AudioTypeError(clip, f"audio must be a numpy array, got {type(y).__name__}")
    max_ndim = 1 if mono else 2
    if y.ndim == 0 or y.ndim > max_ndim:
        expected = "(n,)" if mono else "(n,) or (channels, n)"
        raise AudioError(clip, f"audio must have shape {expected}, got shape {y.shape}")
    y = _to_float32(y, clip)
    if y.shape[-1] == 0 or y.size == 0:
        raise AudioError(clip, "audio has zero length")
    if not np.isfinite(y).all():
        n_bad = int(np.size(y) - np.count_nonzero(np.isfinite(y)))
        raise AudioError(clip, f"audio has {n_bad} non-finite (NaN or inf) samples")
    return y


def to_mono(y: np.ndarray) -> np.ndarray:
    """Average the channels of ``(channels, n)`` audio; 1-D audio is returned as is.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n), dtype=float32]

    Returns
    -------
    y_mono : np.ndarray [shape=(n,), dtype=float32]
    """
    if y.ndim == 1:
        return y
    return y.mean(axis=0, dtype=np.float32)


def resample(y: np.ndarray, *, orig_sr: float, target_sr: float, quality: str = "HQ") -> np.ndarray:
    """Resample with soxr; equal rates return ``y`` unchanged.

    Parameters
    ----------
    y : np.ndarray [shape=(n,), dtype=float32]
    orig_sr, target_sr : float
        Sample rates in Hz.
    quality : {"QQ", "LQ", "MQ", "HQ", "VHQ"}, default="HQ"

    Returns
    -------
    y_resampled : np.ndarray [shape=(round(n * target_sr / orig_sr),), dtype=float32]
    """
    if orig_sr <= 0 or target_sr <= 0:
        raise ValueError(f"sample rates must be positive, got {orig_sr} and {target_sr}")
    if orig_sr == target_sr:
        return y
    return soxr.resample(y, orig_sr, target_sr, quality=quality).astype(np.float32, copy=False)


class _SequentialSoundFile(soundfile.SoundFile):
    """A read-only SoundFile that never seeks between reads.

    ``SoundFile.read`` on a seekable file seeks to ``tell() + frames`` after every
    block. For MP3 that is an ``mpg123_seek`` which restarts decoding at a frame
    boundary without the bit reservoir ("part2_3_length ... too large" on stderr):
    samples change slightly, and in some files everything after the first few
    blocks decodes as zeros. libsndfile keeps its own read position and stops at
    the end of the file, so sequential reads need no seek.
    """

    def seekable(self) -> bool:
        return False


def _decoder_said(captured: CapturedStderr) -> str:
    """The decoder's own messages (mpg123's ``Note: Illegal Audio-MPEG-Header ...``) for an error message."""
    summary = captured.summary()
    if not summary:
        return ""
    if captured.overlapped:  # another thread decoded meanwhile: the text may be another clip's
        return f"; decoder messages of this and concurrently decoded clips: {summary}"
    return f"; decoder said: {summary}"


def _libsndfile_says(exc: BaseException, captured: CapturedStderr) -> str:
    """libsndfile's error in words that fit a file that exists, with the decoder's messages."""
    text = str(getattr(exc, "error_string", "") or exc).strip()
    if text.startswith("Error opening "):  # soundfile's prefix repeats the path, which the AudioError has
        text = text.partition(": ")[2] or text
    if "does not exist" in text or "not a regular file" in text:
        # What libsndfile says when no format (mp3 last) recognises the bytes of a file that does exist.
        text = "not audio in a format it recognises, or damaged"
    return f"libsndfile: {text.rstrip('.')}{_decoder_said(captured)}"


def _open(path: PathLike) -> soundfile.SoundFile | _ffmpeg.FFmpegReader:
    """libsndfile, or FFmpeg (PyAV, if installed) for the formats libsndfile cannot read (``FFMPEG_EXTENSIONS``).

    What the decoders write to the C-level stderr while opening goes into the
    error message (or, for a file that opens, to the ``"sktag"`` logger at DEBUG).
    """
    name = os.fspath(path)
    if not os.path.exists(name):
        raise AudioFileNotFoundError(name, "file not found")
    if os.path.isdir(name):
        raise AudioError(name, "is a directory, not an audio file")
    if os.path.getsize(name) == 0:
        raise AudioError(name, "cannot be decoded: the file is empty (0 bytes)")
    try:
        with capture_c_stderr() as captured:
            f = _SequentialSoundFile(name)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
        sndfile_error, tried = exc, _libsndfile_says(exc, captured)
    else:
        if captured.text.strip():
            logger.debug("sktag: %s: decoder said while opening: %s", name, captured.summary())
        return f
    if not name.lower().endswith(_ffmpeg.FFMPEG_EXTENSIONS):  # libsndfile's formats: its verdict stands
        raise AudioError(name, f"cannot be decoded (tried {tried})") from sndfile_error
    if not _ffmpeg.available():
        raise AudioError(
            name,
            f"cannot be decoded (tried {tried}); libsndfile does not read this format: "
            'pip install "sktag[ffmpeg]" to decode it through FFmpeg',
        ) from sndfile_error
    try:
        return _ffmpeg.FFmpegReader(name)
    except ValueError as exc:
        raise AudioError(name, f"cannot be decoded (tried {tried}; PyAV: {exc})") from exc


def stream(path: PathLike, *, sr: float | None = None, block_frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
    """Decode a file block by block into mono float32 at ``sr``.

    Only one block of the file is in memory at a time; a streaming soxr
    resampler carries the filter state across blocks, so the output equals
    resampling the whole file at once (up to float rounding).

    Parameters
    ----------
    path : str or os.PathLike
        A file that libsndfile decodes (wav, flac, ogg/vorbis, opus, mp3, ...)
        or, with PyAV installed (``pip install "sktag[ffmpeg]"``), any audio
        FFmpeg decodes: AAC or ALAC in .m4a/.mp4, WMA, ...
    sr : float, optional
        Target sample rate in Hz; ``None`` keeps the file's rate.
    block_frames : int, default=65536
        Frames decoded per read.

    Yields
    ------
    block : np.ndarray [shape=(k,), dtype=float32]
        Consecutive mono blocks at ``sr``; their concatenation is the clip.

    Raises
    ------
    AudioFileNotFoundError, AudioError
        Missing file, undecodable bytes, zero-length audio, NaN/inf samples.
    """
    name = os.fspath(path)
    n_total = 0
    noise: list[str] = []  # what the decoder wrote to the C-level stderr while reading
    with _open(name) as f:
        resampler = None
        if sr is not None and float(sr) != float(f.samplerate):
            resampler = soxr.ResampleStream(f.samplerate, sr, 1, dtype="float32", quality="HQ")
        sndfile = isinstance(f, soundfile.SoundFile)
        while True:
            try:
                if sndfile:  # mpg123 reports damaged frames on fd 2: kept off the user's terminal
                    with capture_c_stderr() as captured:
                        block = f.read(block_frames, dtype="float32", always_2d=True)
                    if captured.text.strip():
                        noise.append(captured.summary())
                else:
                    block = f.read(block_frames, dtype="float32", always_2d=True)
            except (soundfile.LibsndfileError, RuntimeError) as exc:
                reason = _libsndfile_says(exc, captured) if sndfile else str(exc)
                raise AudioError(name, f"decoding failed after {n_total} frames ({reason})") from exc
            last = len(block) < block_frames
            if len(block):
                if not np.isfinite(block).all():
                    raise AudioError(name, f"non-finite (NaN or inf) samples after frame {n_total}")
                n_total += len(block)
                mono = block[:, 0] if block.shape[1] == 1 else block.mean(axis=1, dtype=np.float32)
                mono = np.ascontiguousarray(mono)
            else:
                mono = np.zeros(0, dtype=np.float32)
            if resampler is not None:
                mono = resampler.resample_chunk(mono, last=last)
            if len(mono):
                yield mono
            if last:
                break
    if noise:
        logger.debug("sktag: %s: decoded; the decoder said: %s", name, " / ".join(noise)[:1000])
    if n_total == 0:
        raise AudioError(name, "audio has zero length")


def load(path: PathLike, *, sr: float | None = None) -> tuple[np.ndarray, float]:
    """Load a whole file as mono float32, resampled to ``sr``.

    Parameters
    ----------
    path : str or os.PathLike
    sr : float, optional
        Target sample rate; ``None`` keeps the file's rate.

    Returns
    -------
    y : np.ndarray [shape=(n,), dtype=float32]
    sr : float
        The sample rate of ``y``.
    """
    name = os.fspath(path)
    if sr is None:
        with _open(name) as f:
            sr = f.samplerate
    blocks = list(stream(name, sr=sr))
    if not blocks:  # e.g. a 1-frame file resampled down: soxr gives no samples
        raise AudioError(name, f"audio too short: no samples left after resampling to {sr} Hz")
    return np.concatenate(blocks), sr


def frame(y: np.ndarray, *, length: int, hop: int) -> np.ndarray:
    """Cut a 1-D signal into fixed-length segments (a strided view, no copy).

    The tail that does not fill a whole segment is dropped, as in the papers'
    evaluation; a signal shorter than one segment is zero-padded at the end to
    one segment (a copy).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
    length : int
        Samples per segment.
    hop : int
        Samples between segment starts.

    Returns
    -------
    segments : np.ndarray [shape=(max(1, 1 + (n - length) // hop), length)]
    """
    _check_segmenting(length, hop)
    if len(y) < length:
        padded = np.zeros(length, dtype=y.dtype)
        padded[: len(y)] = y
        return padded[np.newaxis]
    n_segments = 1 + (len(y) - length) // hop
    return np.lib.stride_tricks.as_strided(
        y,
        shape=(n_segments, length),
        strides=(hop * y.strides[0], y.strides[0]),
        writeable=False,
    )


def _check_segmenting(length: int, hop: int) -> None:
    if int(length) < 1 or int(hop) < 1:
        raise ValueError(f"segment length and hop must be >= 1, got {length} and {hop}")


def iter_segments(blocks: Iterable[np.ndarray], *, length: int, hop: int) -> Iterator[np.ndarray]:
    """Cut a stream of blocks into fixed-length segments, like :func:`frame`.

    Memory holds one segment plus one block, whatever the stream's length.

    Parameters
    ----------
    blocks : iterable of np.ndarray [shape=(k,)]
        Consecutive pieces of one signal (e.g. from :func:`stream`).
    length, hop : int
        Segment length and hop in samples.

    Yields
    ------
    segment : np.ndarray [shape=(length,), dtype=float32]
        At least one: a stream shorter than ``length`` gives one zero-padded segment.
    """
    _check_segmenting(length, hop)
    buffer = np.zeros(0, dtype=np.float32)
    skip = 0  # samples still to drop before the next segment starts (hop > length)
    n_yielded = 0
    for block in blocks:
        block = np.asarray(block, dtype=np.float32)  # float64 blocks must not upcast the buffer
        if skip:
            dropped = min(skip, len(block))
            block, skip = block[dropped:], skip - dropped
        buffer = np.concatenate([buffer, block]) if len(buffer) else np.asarray(block, np.float32)
        start = 0
        while len(buffer) - start >= length:
            yield buffer[start : start + length].copy()
            n_yielded += 1
            start += hop
        if start > len(buffer):
            skip = start - len(buffer)
        buffer = buffer[min(start, len(buffer)) :]
    if n_yielded == 0:
        padded = np.zeros(length, dtype=np.float32)
        padded[: len(buffer)] = buffer
        yield padded
