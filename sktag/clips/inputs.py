"""The input contract of everything that takes clips: what X may be, how each clip is named and keyed."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

import joblib
import numpy as np
from scipy import sparse

from .. import audio
from ..weights import file_sha256

__all__ = ["Clip", "DecodedFile", "clip_content_key", "report_failures", "validate_clips"]


class DecodedFile:
    """A file decoded once and handed to several extractors, still known as that file.

    :class:`~sktag.MultiScaleFeatures` decodes each file once and gives its members
    these instead of bare waveforms: a member names the clip by its path and keys
    its activation cache by the file's bytes, exactly as if it had been given the
    path, so single extractors and unions share one cache. Resampling the whole
    waveform gives the same samples as decoding the file in streamed blocks.

    Parameters
    ----------
    path : str
        The decoded file.
    waveform : np.ndarray [shape=(n,), dtype=float32]
        Its mono samples (from :func:`sktag.audio.load`).
    sample_rate : float
        The rate of ``waveform``.
    """

    def __init__(self, path: str, waveform: np.ndarray, sample_rate: float):
        self.path = path
        self.waveform = waveform
        self.sample_rate = sample_rate
        self._content_key: str | None = None

    @property
    def content_key(self) -> str:
        """``"file-<sha256 of the file>"``, hashed on first use."""
        if self._content_key is None:
            self._content_key = "file-" + file_sha256(self.path)
        return self._content_key


#: One clip: ``(name, source)``. The name is its path, or ``"X[i]"`` for an array; the source is a path,
#: a validated 1-D float32 array ``(n,)`` or a :class:`DecodedFile` (``None`` for a clip that failed its check).
Clip = tuple[str, str | np.ndarray | DecodedFile | None]


def validate_clips(X: object, *, check_files: bool = True, failures: dict | None = None) -> list[Clip]:
    """Turn X into a list of named clips, checking types, shapes and values.

    Parameters
    ----------
    X : sequence of (str, os.PathLike, np.ndarray [shape=(n,)] or list of float) or \
            np.ndarray [shape=(n_clips, n_samples)]
        Paths and/or 1-D waveforms, or a 2-D array whose rows are equal-length clips;
        a one-column table of paths (a DataFrame, as ``ColumnTransformer`` passes
        one column) is its column of paths.
        Integer arrays are read as PCM and scaled to [-1, 1]. :class:`DecodedFile`
        items (from :class:`~sktag.MultiScaleFeatures`) pass as they are.
    check_files : bool, default=True
        Check that every path exists (decoding errors surface at transform time).
    failures : dict or None, default=None
        With a dict, a clip that fails its check (a missing file, a bad array)
        does not raise: its :class:`~sktag.audio.AudioError` is stored under its
        index and the clip is kept, with a ``None`` source.

    Returns
    -------
    clips : list of Clip [length=n_clips]
        The name of each clip (its path, or ``"X[i]"``) and its source: a
        path, a float32 array ``(n,)`` or a :class:`DecodedFile` (``None``
        for a clip recorded in ``failures``).

    Raises
    ------
    TypeError
        X is a single path, or holds something that is neither path nor array.
    ValueError
        No clips, a 1-D numeric X, or a bad array (see :func:`sktag.audio.check_audio`);
        :class:`sktag.audio.AudioFileNotFoundError` for a missing file.
    """
    if isinstance(X, (str, bytes, os.PathLike)):
        raise TypeError("X must be a sequence of clips, not a single path; wrap it in a list: [path]")
    if sparse.issparse(X):
        raise TypeError("sparse input is not supported: X must hold audio clips (paths or dense arrays)")
    if not isinstance(X, (list, tuple)) and hasattr(X, "__array__"):
        X = _array_to_clips(np.asarray(X))
    try:
        items = list(X)
    except TypeError:
        raise TypeError(f"X must be a sequence of clips (paths or 1-D arrays), got {type(X).__name__}") from None
    if not items:
        raise ValueError("X holds 0 clips; at least 1 is required")
    clips: list[Clip] = []
    for i, item in enumerate(items):
        if isinstance(item, (str, os.PathLike)):
            path = os.fspath(item)
            try:
                if check_files and not os.path.isfile(path):
                    if os.path.isdir(path):
                        raise audio.AudioError(path, "is a directory, not an audio file")
                    raise audio.AudioFileNotFoundError(path, "file not found")
            except audio.AudioError as exc:
                if failures is None:
                    raise
                failures[i] = exc
                path = None
            clips.append((os.fspath(item), path))
        elif isinstance(item, DecodedFile):
            clips.append((item.path, item))
        elif isinstance(item, (np.ndarray, list, tuple)):
            name = f"X[{i}]"
            try:
                clips.append((name, audio.check_audio(np.asarray(item), clip=name, mono=True)))
            except audio.AudioError as exc:
                if failures is None:
                    raise
                failures[i] = exc
                clips.append((name, None))
        else:
            raise TypeError(
                f"X[{i}] is a {type(item).__name__}; each clip must be a path (str or os.PathLike) "
                "or a 1-D numpy array of samples"
            )
    return clips


def report_failures(clips: Sequence[Clip], failures: dict | None) -> list[tuple[str, str]]:
    """``(name, error)`` of the failed clips, in order, after one warning naming them.

    Parameters
    ----------
    clips : sequence of Clip [length=n_clips]
        From :func:`validate_clips`.
    failures : dict of int to Exception, or None
        The errors of the failed clips, by index in ``clips``.

    Returns
    -------
    failed : list of (str, str) [length=len(failures)]
        Name and error message of each failed clip, by index.

    Warns
    -----
    sktag.audio.ClipFailureWarning
        Once, naming up to five of the failed clips; nothing when no clip failed.
    """
    if not failures:
        return []
    failed = [(clips[i][0], str(failures[i])) for i in sorted(failures)]
    shown = "; ".join(error for _, error in failed[:5]) + (f"; and {len(failed) - 5} more" if len(failed) > 5 else "")
    warnings.warn(
        f"{len(failed)} of {len(clips)} clip(s) failed; their rows are NaN: {shown}",
        audio.ClipFailureWarning,
        stacklevel=3,
    )
    return failed


def _array_to_clips(X: np.ndarray) -> list:
    if (
        X.ndim == 2
        and X.shape[1] == 1
        and (
            X.dtype.kind in "US"
            or X.dtype == object
            and all(isinstance(x, (str, os.PathLike, np.ndarray)) for x in X[:, 0])
        )
    ):
        X = X[:, 0]  # one column of paths, as ColumnTransformer(..., ["path"]) passes a DataFrame's column
    if X.ndim == 2:
        if X.shape[1] == 0:
            raise ValueError(f"0 feature(s) (shape={X.shape}) while a minimum of 1 is required: clips have zero length")
        if X.dtype == object:
            X = X.astype(np.float64)
        return list(X)
    if X.ndim == 1 and (X.dtype == object or X.dtype.kind in "US"):
        return [x if isinstance(x, (np.ndarray, os.PathLike)) else str(x) for x in X]
    if X.ndim == 1:
        raise ValueError(
            f"X is a 1-D array of {X.shape[0]} numbers. Reshape your data: give one clip as [y] or X.reshape(1, -1), "
            "and several equal-length clips as a 2-D array (n_clips, n_samples)"
        )
    raise ValueError(f"X must be a sequence of clips or a 2-D array (n_clips, n_samples), got shape {X.shape}")


def clip_content_key(clip: Clip, input_rate: float | None) -> str:
    """A hash of what a clip contains: file bytes (of a path or a :class:`DecodedFile`), or array samples and rate.

    Parameters
    ----------
    clip : Clip
        From :func:`validate_clips`.
    input_rate : float or None
        The rate of an array clip (part of its key).

    Returns
    -------
    key : str
        ``"file-<sha256>"`` or ``"array-<joblib hash>"``.
    """
    _, source = clip
    if isinstance(source, str):
        return "file-" + file_sha256(source)
    if isinstance(source, DecodedFile):
        return source.content_key
    return "array-" + joblib.hash((source, input_rate))
