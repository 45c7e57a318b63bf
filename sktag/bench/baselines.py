"""Hand-crafted baseline features for the benchmarks: MFCC statistics (librosa)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from joblib import Parallel, delayed

from .._deprecation import warn_renamed
from ..audio import load

#: MFCCs per frame; with deltas, mean and standard deviation: 4 x 20 = 80 features per clip.
N_MFCC = 20


def _clip_mfcc_statistics(path: str, analysis_rate: float) -> np.ndarray:
    try:
        import librosa  # a benchmark dependency (the bench extra), not one of sktag's
    except ImportError as error:
        raise ImportError("the MFCC baseline needs librosa: pip install 'sktag[bench]'") from error

    y, _ = load(path, sr=analysis_rate)
    y = np.pad(y, (0, max(0, 2048 - len(y))))
    mfcc = librosa.feature.mfcc(y=y, sr=analysis_rate, n_mfcc=N_MFCC, n_fft=1024, hop_length=372)
    delta = librosa.feature.delta(mfcc, width=9, mode="nearest")
    both = np.concatenate([mfcc, delta])
    return np.concatenate([both.mean(axis=1), both.std(axis=1)]).astype(np.float32)


def mfcc_statistics(
    paths: Sequence[str], *, analysis_rate: float = 16000, n_jobs: int = 2, sample_rate: float | None = None
) -> np.ndarray:
    """Mean and standard deviation of 20 MFCCs and their deltas per clip.

    Parameters
    ----------
    paths : sequence of str
    analysis_rate : float, default=16000
        The rate every file is resampled to before the MFCCs.
    n_jobs : int, default=2
    sample_rate : float or None, default=None
        The name of ``analysis_rate`` before sktag 0.1 (a FutureWarning; removed in 0.3).

    Returns
    -------
    features : np.ndarray [shape=(n_clips, 80), dtype=float32]
    """
    if sample_rate is not None:
        warn_renamed("mfcc_statistics(sample_rate=...)", "analysis_rate=...")
        analysis_rate = sample_rate
    rows = Parallel(n_jobs=n_jobs)(delayed(_clip_mfcc_statistics)(str(p), analysis_rate) for p in paths)
    return np.stack(rows)
