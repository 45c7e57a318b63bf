"""Deep bag-of-features (Nam, Herrera and Lee, arXiv:1508.04999): a dictionary of log-mel patches, fitted on clips."""

from __future__ import annotations

import logging
import time
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, _fit_context
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import MiniBatchDictionaryLearning, sparse_encode
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._deprecation import DEPRECATED, DeprecatedAttribute, renamed_state, warn_renamed
from ..audio import AudioError
from ..clips import report_failures, validate_clips
from ._logmel import clip_log_mel, mel_frontend, onset_peaks
from ._mixin import AudioTransformerMixin

__all__ = ["BagOfFeatures"]

logger = logging.getLogger("sktag")

#: Patches encoded per matrix product in transform (bounded memory for long clips).
_ENCODE_CHUNK = 8192


class BagOfFeatures(AudioTransformerMixin, BaseEstimator):
    """Bag-of-features of log-mel patches: whitening, a learned dictionary, encoding, pooling.

    The model of Nam, Herrera and Lee (arXiv:1508.04999), with the dictionary
    learned by sparse coding or k-means instead of the paper's sparse RBM.
    Each clip becomes log-mel frames (``log10(1 + 10 S)``, 128 bands, ~43 frames
    per second at any ``analysis_rate``: the front end of
    :class:`~sktag.ArtistCNNFeatures`); every run of ``patch_frames``
    consecutive frames (stride 1) is a patch; patches are PCA-whitened,
    encoded against the dictionary, passed through ``nonlinearity``,
    max-pooled over windows of ``pool_frames`` patches (~1 s) and averaged
    (``aggregate="mean_std"``: also the standard deviation) over the clip.

    ``fit`` draws at most ``max_patches`` patches, the same number from every
    clip (at random, or at onset-novelty peaks as in the paper), so its memory
    is bounded on any collection: 200,000 patches of 8 × 128 values take 820 MB.

    Parameters
    ----------
    n_atoms : int, default=1024
        Dictionary size (features per aggregate and polarity).
    dictionary : {"sparse_coding", "kmeans"}, default="sparse_coding"
        ``"sparse_coding"``: scikit-learn's
        :class:`~sklearn.decomposition.MiniBatchDictionaryLearning` (L1 penalty
        ``alpha``); ``"kmeans"``: :class:`~sklearn.cluster.MiniBatchKMeans`
        centroids (faster to fit).
    encoding : {"soft_threshold", "triangle", "lasso"}, default="soft_threshold"
        ``"soft_threshold"``: ``sign(s) max(|s| - threshold, 0)`` of the
        projections ``s`` on the unit-norm atoms (a matrix product: fast);
        ``"triangle"``: ``max(0, mean(z) - z_k)`` of the distances ``z`` to the
        atoms (Coates et al.'s k-means triangle code, non-negative);
        ``"lasso"``: the sparse code of each patch (L1 penalty ``alpha``; slow).
    nonlinearity : {"relu", "abs", "split"}, default="relu"
        Applied to the codes: positive part, magnitude, or both polarities as
        separate features (``"split"`` doubles the width; not with ``"triangle"``).
    alpha : float, default=1.0
        L1 penalty of sparse-coding dictionary learning and of ``"lasso"`` encoding.
    threshold : float, default=0.25
        Threshold of ``"soft_threshold"`` encoding.
    patch_frames : int, default=8
        Consecutive log-mel frames per patch (8 frames: 186 ms).
    variance : float, default=0.9
        Fraction of the patches' variance kept by PCA whitening (1.0 keeps every
        component).
    whiten_epsilon : float, default=0.01
        Added to each component's variance before whitening (regularisation).
    pool_frames : int, default=43
        Patches per max-pooling window (43 frames: 1.0 s); the last window of a
        clip may be shorter.
    aggregate : {"mean", "mean_std"}, default="mean"
        Statistics of the pooled codes over a clip's windows.
    max_patches : int, default=200000
        Patches drawn by ``fit`` over all clips: at most an equal share of
        ``max_patches`` from each clip (with more clips than that, a random
        ``max_patches`` of them give one each).
    patch_sampling : {"random", "onset"}, default="random"
        Where ``fit`` draws a clip's patches: uniformly, or starting at peaks of
        spectral-flux onset novelty (the paper's choice; fewer patches when a
        clip has fewer peaks than its share).
    n_mels : int, default=128
    analysis_rate : float, default=16000
        Rate of the front end (clips are resampled to it); hop
        ``512 * analysis_rate / 22050`` samples, n_fft 1024, mel bands to Nyquist.
        22050 is the paper's configuration.
    sample_rate : float or None, default=None
        Rate of array clips (``None``: ``analysis_rate``); files carry their own.
    max_iter : int, default=1
        Passes over the drawn patches when learning the dictionary (one pass
        over 200,000 patches is ~200 mini-batch updates; with 1024 atoms, a
        sparse-coding update took ~4 s on one core of a 2-core CI machine).
    dictionary_batch_size : int, default=1024
        Patches per mini-batch of dictionary learning (the ``batch_size`` of
        :class:`~sklearn.decomposition.MiniBatchDictionaryLearning` or
        :class:`~sklearn.cluster.MiniBatchKMeans`).
    batch_size : int
        The name of ``dictionary_batch_size`` before sktag 0.1 (in sktag,
        ``batch_size`` is the clips or segments per network call): still used,
        with a FutureWarning; removed in 0.3. Not with ``dictionary_batch_size``.
    n_jobs : int or None, default=None
        Clips decoded and encoded in parallel (threads), and jobs of
        dictionary learning; ``None`` is 1, ``-1`` all cores.
    on_error : {"raise", "warn"}, default="raise"
        A clip that cannot be used (missing, empty, undecodable or truncated
        file, non-finite samples): ``"raise"`` its :class:`~sktag.audio.AudioError`;
        ``"warn"``: ``fit`` draws no patches from it and ``transform`` gives it a
        NaN row, a :class:`~sktag.audio.ClipFailureWarning` names it and
        ``failed_clips_`` lists it.
    random_state : int, RandomState instance or None, default=None
        Seeds patch sampling and dictionary learning.
    verbose : int, default=0
        Log progress (``logging`` logger ``"sktag"``).

    Attributes
    ----------
    analysis_rate_ : float
        The front end's rate, ``analysis_rate`` (``sample_rate_`` before sktag
        0.1: that name warns and goes in 0.3).
    n_patches_ : int
        Patches drawn by ``fit``.
    mean_ : np.ndarray [shape=(patch_frames * n_mels,)]
        Mean patch (frame-major: frame 0's bands, then frame 1's, ...).
    whitening_ : np.ndarray [shape=(patch_frames * n_mels, n_components)]
        PCA whitening: ``(patch - mean_) @ whitening_``.
    n_components_ : int
        Whitened dimensions kept.
    atoms_ : np.ndarray [shape=(n_atoms, n_components)]
        The dictionary, in whitened coordinates (unit norm for
        ``"soft_threshold"`` and ``"lasso"``).
    n_iter_ : int
        Passes over the patches that dictionary learning ran (it stops early
        when converged).
    fit_seconds_ : dict
        Wall time of ``fit``'s stages: ``patches``, ``whitening``, ``dictionary``.
    failed_clips_ : list of (str, str)
        Set by each ``transform`` with ``on_error="warn"``: name and error of
        the clips with NaN rows.

    See Also
    --------
    sktag.MLPTagger : the paper's multi-layer perceptron head.

    Examples
    --------
    >>> import numpy as np
    >>> from sktag import BagOfFeatures
    >>> rng = np.random.default_rng(0)
    >>> clips = [rng.standard_normal(16000).astype(np.float32) for _ in range(4)]
    >>> bof = BagOfFeatures(n_atoms=16, max_patches=400, random_state=0).fit(clips)
    >>> bof.transform(clips).shape
    (4, 16)
    """

    _parameter_constraints: dict = {
        "n_atoms": [Interval(Integral, 1, None, closed="left")],
        "dictionary": [StrOptions({"sparse_coding", "kmeans"})],
        "encoding": [StrOptions({"soft_threshold", "triangle", "lasso"})],
        "nonlinearity": [StrOptions({"relu", "abs", "split"})],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "threshold": [Interval(Real, 0, None, closed="left")],
        "patch_frames": [Interval(Integral, 1, None, closed="left")],
        "variance": [Interval(Real, 0, 1, closed="right")],
        "whiten_epsilon": [Interval(Real, 0, None, closed="left")],
        "pool_frames": [Interval(Integral, 1, None, closed="left")],
        "aggregate": [StrOptions({"mean", "mean_std"})],
        "max_patches": [Interval(Integral, 2, None, closed="left")],
        "patch_sampling": [StrOptions({"random", "onset"})],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "analysis_rate": [Interval(Real, 0, None, closed="neither")],
        "sample_rate": [None, Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "dictionary_batch_size": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), Hidden(StrOptions({DEPRECATED}))],
        "n_jobs": [None, Integral],
        "on_error": [StrOptions({"raise", "warn"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_atoms=1024,
        *,
        dictionary="sparse_coding",
        encoding="soft_threshold",
        nonlinearity="relu",
        alpha=1.0,
        threshold=0.25,
        patch_frames=8,
        variance=0.9,
        whiten_epsilon=0.01,
        pool_frames=43,
        aggregate="mean",
        max_patches=200_000,
        patch_sampling="random",
        n_mels=128,
        analysis_rate=16000,
        sample_rate=None,
        max_iter=1,
        dictionary_batch_size=1024,
        batch_size=DEPRECATED,
        n_jobs=None,
        on_error="raise",
        random_state=None,
        verbose=0,
    ):
        self.n_atoms = n_atoms
        self.dictionary = dictionary
        self.encoding = encoding
        self.nonlinearity = nonlinearity
        self.alpha = alpha
        self.threshold = threshold
        self.patch_frames = patch_frames
        self.variance = variance
        self.whiten_epsilon = whiten_epsilon
        self.pool_frames = pool_frames
        self.aggregate = aggregate
        self.max_patches = max_patches
        self.patch_sampling = patch_sampling
        self.n_mels = n_mels
        self.analysis_rate = analysis_rate
        self.sample_rate = sample_rate
        self.max_iter = max_iter
        self.dictionary_batch_size = dictionary_batch_size
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.on_error = on_error
        self.random_state = random_state
        self.verbose = verbose

    # -- fitting ----------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Draw patches from the clips, fit the whitening and learn the dictionary.

        Parameters
        ----------
        X : sequence of (str or np.ndarray [shape=(n,)]) or np.ndarray [shape=(n_clips, n_samples)]
            Paths and/or 1-D waveforms at ``sample_rate``.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        if self.encoding == "triangle" and self.nonlinearity == "split":
            raise ValueError("triangle codes are non-negative: nonlinearity='split' would only add zeros; use 'relu'")
        dictionary_batch_size = self._dictionary_batch_size()
        failures = {} if self.on_error == "warn" else None
        clips = validate_clips(X, failures=failures)
        rng = check_random_state(self.random_state)
        seeds = rng.randint(np.iinfo(np.int32).max, size=len(clips))
        self.analysis_rate_ = float(self.analysis_rate)
        frontend = mel_frontend(self.analysis_rate_, self.n_mels)
        shares = np.full(len(clips), self.max_patches // len(clips))
        shares[rng.permutation(len(clips))[: self.max_patches % len(clips)]] += 1
        self.fit_seconds_ = {}

        started = time.perf_counter()
        drawn = Parallel(n_jobs=self.n_jobs, prefer="threads", return_as="generator")(
            delayed(self._guarded)(
                self._draw_patches, index, clips[index], failures, frontend, share, np.random.RandomState(seed)
            )
            for index, (share, seed) in enumerate(zip(shares, seeds))
            if share
        )
        patches = np.empty((int(shares.sum()), self.patch_frames * self.n_mels), dtype=np.float32)
        filled = 0
        for block in drawn:  # copied into one buffer as they come: never two copies of the sample
            if block is not None:
                patches[filled : filled + len(block)] = block
                filled += len(block)
        patches = patches[:filled]
        report_failures(clips, failures)
        self.n_patches_ = len(patches)
        self.fit_seconds_["patches"] = time.perf_counter() - started
        if self.verbose:
            logger.info(
                "sktag: BagOfFeatures drew %d patches from %d clips in %.1f s",
                len(patches),
                len(clips),
                self.fit_seconds_["patches"],
            )
        if len(patches) < max(2, self.n_atoms):
            raise ValueError(
                f"BagOfFeatures drew {len(patches)} patch(es) from {len(clips)} clip(s) (n_samples = "
                f"{len(patches)}), but learning {self.n_atoms} atoms needs at least {max(2, self.n_atoms)}:"
                " give more or longer clips, or lower n_atoms"
            )

        started = time.perf_counter()
        self._fit_whitening(patches)
        whitened = self._whiten(patches)
        del patches
        self.fit_seconds_["whitening"] = time.perf_counter() - started
        if self.verbose:
            logger.info(
                "sktag: whitening keeps %d dimensions (%.0f %% of the variance)",
                self.n_components_,
                100 * self.variance,
            )

        started = time.perf_counter()
        self.atoms_ = self._learn_dictionary(whitened, int(rng.randint(np.iinfo(np.int32).max)), dictionary_batch_size)
        self.fit_seconds_["dictionary"] = time.perf_counter() - started
        if self.verbose:
            logger.info(
                "sktag: %s dictionary of %d atoms learned in %.1f s",
                self.dictionary,
                self.n_atoms,
                self.fit_seconds_["dictionary"],
            )
        return self

    #: The name of ``analysis_rate_`` before sktag 0.1 (a FutureWarning; removed in 0.3).
    sample_rate_ = DeprecatedAttribute("analysis_rate_")

    def __setstate__(self, state):
        super().__setstate__(renamed_state(state, {"sample_rate_": "analysis_rate_"}))  # pickled before 0.1

    def _dictionary_batch_size(self) -> int:
        """``dictionary_batch_size``, or the deprecated ``batch_size`` that gave it before sktag 0.1."""
        if self.batch_size == DEPRECATED:
            return self.dictionary_batch_size
        if self.dictionary_batch_size != 1024:
            raise ValueError(
                f"BagOfFeatures got batch_size={self.batch_size!r} and dictionary_batch_size="
                f"{self.dictionary_batch_size!r}: batch_size is the old name of dictionary_batch_size; "
                "give dictionary_batch_size only"
            )
        warn_renamed(
            "BagOfFeatures(batch_size=...)",
            "dictionary_batch_size=... (the same mini-batch of dictionary learning)",
            stacklevel=5,
        )
        return self.batch_size

    def _frames(self, clip, frontend) -> np.ndarray:
        """A clip's log-mel frames, zero-padded (silence) to at least one patch."""
        frames = clip_log_mel(clip, frontend=frontend, sample_rate=self.analysis_rate_, input_rate=self.sample_rate)
        if len(frames) < self.patch_frames:
            frames = np.concatenate(
                [frames, np.zeros((self.patch_frames - len(frames), frames.shape[1]), frames.dtype)]
            )
        return frames

    def _draw_patches(self, clip, frontend, share: int, rng: np.random.RandomState) -> np.ndarray:
        frames = self._frames(clip, frontend)
        n_starts = len(frames) - self.patch_frames + 1
        if self.patch_sampling == "onset":
            starts = np.minimum(onset_peaks(frames), n_starts - 1)
        else:
            starts = np.arange(n_starts)
        if len(starts) > share:
            starts = np.sort(rng.choice(starts, share, replace=False))
        return _patches(frames, self.patch_frames)[starts]

    def _fit_whitening(self, patches: np.ndarray) -> None:
        """PCA whitening from the patches' covariance, accumulated in chunks (no copy of the patches)."""
        mean = patches.mean(axis=0, dtype=np.float64)
        covariance = np.zeros((patches.shape[1],) * 2)
        for start in range(0, len(patches), _ENCODE_CHUNK):
            centred = patches[start : start + _ENCODE_CHUNK] - mean
            covariance += centred.T @ centred
        variances, components = np.linalg.eigh(covariance / (len(patches) - 1))
        variances, components = np.maximum(variances[::-1], 0), components[:, ::-1]  # largest first
        keep = len(variances)
        if self.variance < 1:
            keep = int(np.searchsorted(np.cumsum(variances) / variances.sum(), self.variance, side="right")) + 1
        keep = min(keep, len(patches))
        self.mean_ = mean.astype(np.float32)
        self.whitening_ = (components[:, :keep] / np.sqrt(variances[:keep] + self.whiten_epsilon)).astype(np.float32)
        self.n_components_ = keep

    def _whiten(self, patches: np.ndarray) -> np.ndarray:
        whitened = np.empty((len(patches), self.n_components_), dtype=np.float32)
        for start in range(0, len(patches), _ENCODE_CHUNK):
            whitened[start : start + _ENCODE_CHUNK] = (
                patches[start : start + _ENCODE_CHUNK] - self.mean_
            ) @ self.whitening_
        return whitened

    def _learn_dictionary(self, whitened: np.ndarray, seed: int, batch_size: int) -> np.ndarray:
        if self.dictionary == "kmeans":
            learner = MiniBatchKMeans(
                n_clusters=self.n_atoms, batch_size=batch_size, max_iter=self.max_iter, n_init=1, random_state=seed
            ).fit(whitened)
            atoms = learner.cluster_centers_
        else:
            # Initial atoms: random patches. (scikit-learn's default, an SVD with n_atoms components, holds
            # an n_patches x n_atoms float64 matrix: 1.6 GB at the default sizes.)
            start = whitened[np.random.RandomState(seed).choice(len(whitened), self.n_atoms, replace=False)]
            start = start / np.maximum(np.linalg.norm(start, axis=1, keepdims=True), 1e-12)
            learner = MiniBatchDictionaryLearning(  # coordinate descent: 3.5x faster than LARS at 1024 atoms
                n_components=self.n_atoms,
                alpha=self.alpha,
                batch_size=batch_size,
                max_iter=self.max_iter,
                fit_algorithm="cd",
                dict_init=start.astype(np.float64),
                n_jobs=self.n_jobs,
                random_state=seed,
            ).fit(whitened.astype(np.float64))  # float64: float32 duality gaps never reach the tolerance
            atoms = learner.components_
        self.n_iter_ = int(learner.n_iter_)
        if self.encoding != "triangle":
            atoms = atoms / np.maximum(np.linalg.norm(atoms, axis=1, keepdims=True), 1e-12)
        return atoms.astype(np.float32)

    # -- transforming -------------------------------------------------------------------
    def transform(self, X) -> np.ndarray:
        """Encode, pool and aggregate the patches of each clip.

        Parameters
        ----------
        X : sequence of (str or np.ndarray [shape=(n,)]) or np.ndarray [shape=(n_clips, n_samples)]
            Paths and/or 1-D waveforms at ``sample_rate``.

        Returns
        -------
        features : np.ndarray [shape=(n_clips, n_features), dtype=float32]
            In the order of :meth:`get_feature_names_out`.
        """
        check_is_fitted(self, "atoms_")
        failures = {} if self.on_error == "warn" else None
        clips = validate_clips(X, failures=failures)
        frontend = mel_frontend(self.analysis_rate_, self.n_mels)
        done = 0

        def encode_clip(index) -> np.ndarray:
            nonlocal done
            row = self._guarded(
                lambda clip: self._clip_features(self._frames(clip, frontend)), index, clips[index], failures
            )
            done += 1
            if self.verbose and (done == len(clips) or done % max(1, len(clips) // 10) == 0):
                logger.info("sktag: BagOfFeatures encoded %d/%d clips", done, len(clips))
            return row

        rows = Parallel(n_jobs=self.n_jobs, prefer="threads")(delayed(encode_clip)(i) for i in range(len(clips)))
        if failures is not None:  # on_error="warn" only: transform otherwise leaves the estimator unchanged
            self.failed_clips_ = report_failures(clips, failures)
        width = len(self.get_feature_names_out())
        return np.stack([np.full(width, np.nan) if r is None else r for r in rows]).astype(np.float32, copy=False)

    @staticmethod
    def _guarded(work, index: int, clip, failures: dict | None, *args):
        """``work(clip, *args)``, or ``None`` for a clip that failed (its error recorded in ``failures``)."""
        if failures is not None and index in failures:
            return None
        try:
            return work(clip, *args)
        except AudioError as exc:
            if failures is None:
                raise
            failures[index] = exc
            return None

    def _clip_features(self, frames: np.ndarray) -> np.ndarray:
        patches = _patches(frames, self.patch_frames)
        windows = []
        step = _ENCODE_CHUNK // self.pool_frames * self.pool_frames or self.pool_frames
        for start in range(0, len(patches), step):
            codes = self._encode(self._whiten(patches[start : start + step]))
            edges = np.arange(0, len(codes), self.pool_frames)
            windows.append(np.maximum.reduceat(codes, edges, axis=0))
        pooled = np.concatenate(windows)
        stats = [pooled.mean(axis=0)]
        if self.aggregate == "mean_std":
            stats.append(pooled.std(axis=0))
        return np.concatenate(stats)

    def _encode(self, whitened: np.ndarray) -> np.ndarray:
        """Codes of whitened patches after the non-linearity, ``(n, n_atoms)`` or ``(n, 2 n_atoms)`` for split."""
        if self.encoding == "triangle":
            distances = np.sqrt(
                np.maximum(
                    (whitened**2).sum(axis=1, keepdims=True)
                    - 2 * whitened @ self.atoms_.T
                    + (self.atoms_**2).sum(axis=1),
                    0,
                )
            )
            return np.maximum(distances.mean(axis=1, keepdims=True) - distances, 0)
        if self.encoding == "lasso":
            codes = sparse_encode(
                whitened.astype(np.float64), self.atoms_.astype(np.float64), algorithm="lasso_cd", alpha=self.alpha
            ).astype(np.float32)  # float64: float32 duality gaps stall
        else:
            projections = whitened @ self.atoms_.T
            codes = np.sign(projections) * np.maximum(np.abs(projections) - self.threshold, 0)
        if self.nonlinearity == "abs":
            return np.abs(codes)
        if self.nonlinearity == "split":
            return np.concatenate([np.maximum(codes, 0), np.maximum(-codes, 0)], axis=1)
        return np.maximum(codes, 0)

    # -- feature names -------------------------------------------------------------------
    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output features, such as ``atom0042_mean`` or ``atom0042_neg_std``.

        Parameters
        ----------
        input_features : None
            Ignored (audio clips have no input feature names).

        Returns
        -------
        names : np.ndarray [shape=(n_features,), dtype=object]
            ``atom<k>[_pos|_neg]_<aggregate>``, aggregates outermost.
        """
        check_is_fitted(self, "atoms_")
        polarities = ["_pos", "_neg"] if self.nonlinearity == "split" else [""]
        aggregates = ["mean", "std"] if self.aggregate == "mean_std" else ["mean"]
        names = [
            f"atom{k:04d}{polarity}_{aggregate}"
            for aggregate in aggregates
            for polarity in polarities
            for k in range(self.n_atoms)
        ]
        return np.asarray(names, dtype=object)


def _patches(frames: np.ndarray, patch_frames: int) -> np.ndarray:
    """Every run of ``patch_frames`` consecutive frames, flattened frame-major: ``(n - p + 1, p * n_mels)``."""
    frames = np.ascontiguousarray(frames)
    n_frames, n_mels = frames.shape
    return np.lib.stride_tricks.as_strided(
        frames,
        shape=(n_frames - patch_frames + 1, patch_frames * n_mels),
        strides=(frames.strides[0], frames.strides[1]),
        writeable=False,
    )
