"""MultiScaleFeatures: several sktag extractors over one decode of each clip, features concatenated."""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import check_is_fitted

from .. import audio
from ..clips import DecodedFile, report_failures, validate_clips
from ._mixin import AudioTransformerMixin
from .samplecnn import SampleCNNFeatures

__all__ = ["MultiScaleFeatures", "PAPER_SCALES"]

#: The members of ``MultiScaleFeatures()``: the shipped basic SampleCNNs trained at three input sizes
#: (3^8, 3^9 and 3^10 samples: 1.2, 3.7 and 11.1 s at 16 kHz), each giving its last three blocks:
#: the multi-level, multi-scale features of arXiv:1706.06810 on sktag's shipped weights.
PAPER_SCALES = ("samplecnn-3x8", "samplecnn-3x9", "samplecnn-3x10")


def _paper_extractors() -> list[tuple[str, SampleCNNFeatures]]:
    return [(name, SampleCNNFeatures(name)) for name in PAPER_SCALES]


class MultiScaleFeatures(AudioTransformerMixin, _BaseComposition):
    """Features of several extractors (networks, scales, layers) side by side, each clip decoded once.

    The multi-scale aggregation of arXiv:1706.06810: each member is any sktag
    feature transformer (for example SampleCNNs trained at different input
    sizes, an artist-label CNN, a bag of features), each with its own layers,
    pooling and aggregation; their clip rows are concatenated. ``transform``
    decodes every file once, in chunks (the next chunk is decoded while the
    members work on the current one), and hands each member the decoded
    waveforms, which it resamples to its own rate. A member still sees each
    file as that file: failures name its path, and with ``memory`` its
    activations are cached under the file's content, so a union reuses what
    the same extractor computed alone on the same files, and the reverse.

    Members are grid-searchable like a :class:`~sklearn.pipeline.FeatureUnion`:
    ``<name>__<parameter>`` sets a member's parameter, and ``<name>`` replaces
    it, or drops it with ``"drop"``. With ``memory``, a grid search over layers,
    pooling, aggregation and members runs each network at most once per clip.

    Parameters
    ----------
    extractors : list of (str, estimator or "drop") or None, default=None
        Named members. Names must be unique and must not contain ``"__"``.
        ``None``: the multi-scale set of arXiv:1706.06810 on the shipped weights,
        the basic SampleCNNs trained at three input sizes, each with its last
        three blocks: ``[(name, SampleCNNFeatures(name)) for name in
        PAPER_SCALES]`` with names ``"samplecnn-3x8"``, ``"samplecnn-3x9"`` and
        ``"samplecnn-3x10"`` (3 x 1,024 features). Setting a member's parameter,
        as ``samplecnn-3x9__layers``, turns ``None`` into that list first.
    sample_rate : float or None, default=None
        Sample rate of array clips, passed to every member; ``None`` means
        arrays are already at each member's rate (only sensible when the members
        share one rate). Files carry their own rate.
    memory : str, joblib.Memory or None, default=None
        Given to every member that has a ``memory`` parameter left at ``None``
        (the network extractors' per-clip, per-layer activation cache).
    chunk_size : int, default=32
        Clips decoded and held at a time (whole, as mono float32 at the file's
        rate: mind hour-long files).
    on_error : {"raise", "warn"}, default="raise"
        Given to every member. ``"raise"``: a clip that cannot be used raises
        its :class:`~sktag.audio.AudioError`, naming it. ``"warn"``: its row is
        NaN (in every member's columns), a :class:`~sktag.audio.ClipFailureWarning`
        names it, and ``failed_clips_`` lists it.
    verbose : int, default=0
        Given to every member that has a ``verbose`` parameter.

    Attributes
    ----------
    extractors_ : list of (str, estimator)
        The fitted members (clones; ``"drop"`` left out).
    failed_clips_ : list of (str, str)
        Set by each ``transform`` with ``on_error="warn"``: name and error of
        every clip that got a NaN row.

    Examples
    --------
    >>> import numpy as np
    >>> from sktag import ArtistCNNFeatures, MultiScaleFeatures, SampleCNNFeatures
    >>> X = [np.random.default_rng(i).standard_normal(16000).astype(np.float32) for i in range(3)]
    >>> union = MultiScaleFeatures([
    ...     ("m3", SampleCNNFeatures(weights=None, architecture={"m": 3, "n": 5}, random_state=0)),
    ...     ("m2", SampleCNNFeatures(weights=None, architecture={"m": 2, "n": 8}, layers="block8", random_state=0)),
    ... ])
    >>> union.fit_transform(X).shape
    (3, 1536)
    >>> union.get_feature_names_out()[0]
    'm3__block3_max_mean_0000'
    """

    _parameter_constraints: dict = {
        "extractors": [None, list],
        "sample_rate": [None, Interval(Real, 0, None, closed="neither")],
        "memory": [None, str, HasMethods(["cache"])],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "on_error": [StrOptions({"raise", "warn"})],
        "verbose": ["verbose"],
    }

    def __init__(self, extractors=None, *, sample_rate=None, memory=None, chunk_size=32, on_error="raise", verbose=0):
        self.extractors = extractors
        self.sample_rate = sample_rate
        self.memory = memory
        self.chunk_size = chunk_size
        self.on_error = on_error
        self.verbose = verbose

    def get_params(self, deep: bool = True) -> dict:
        """Parameters of this transformer and, with ``deep``, of its members as ``<name>__<param>``."""
        return self._get_params("extractors", deep=deep)

    def set_params(self, **params) -> MultiScaleFeatures:
        """Set parameters; ``<name>`` replaces a member (or drops it with ``"drop"``)."""
        if params.get("extractors", self.extractors) is None and any(
            key != "extractors" and key not in self.get_params(deep=False) for key in params
        ):
            params["extractors"] = _paper_extractors()  # members named by a default set
        self._set_params("extractors", **params)
        return self

    def _members(self) -> list[tuple[str, object]]:
        extractors = _paper_extractors() if self.extractors is None else self.extractors
        try:
            names, members = zip(*extractors)
        except (TypeError, ValueError):
            raise ValueError("extractors must be a non-empty list of (name, transformer) pairs") from None
        self._validate_names(names)
        for name, member in extractors:
            if member != "drop" and not all(hasattr(member, m) for m in ("fit", "transform", "get_feature_names_out")):
                raise TypeError(f"extractor {name!r} must be an sktag feature transformer or 'drop', got {member!r}")
        kept = [(name, member) for name, member in extractors if member != "drop"]
        if not kept:
            raise ValueError("every extractor is 'drop'; keep at least one")
        return kept

    def _member_clone(self, member):
        own = member.get_params(deep=False)
        shared = {"sample_rate": self.sample_rate, "on_error": self.on_error, "verbose": self.verbose}
        if "memory" in own and own["memory"] is None:
            shared["memory"] = self.memory
        return clone(member).set_params(**{k: v for k, v in shared.items() if k in own})

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit every member on X (the network extractors only load their networks).

        Parameters
        ----------
        X : sequence of (str or np.ndarray [shape=(n,)]) or np.ndarray [shape=(n_clips, n_samples)]
            Paths and/or 1-D waveforms at ``sample_rate``.
        y : array-like or None
            Passed to the members.

        Returns
        -------
        self : object
        """
        members = self._members()
        validate_clips(X, failures={} if self.on_error == "warn" else None)
        self.extractors_ = [(name, self._member_clone(member).fit(X, y)) for name, member in members]
        self._widths = [len(member.get_feature_names_out()) for _, member in self.extractors_]
        return self

    def transform(self, X) -> np.ndarray:
        """Concatenated member features of each clip.

        Parameters
        ----------
        X : sequence of (str or np.ndarray [shape=(n,)]) or np.ndarray [shape=(n_clips, n_samples)]
            Paths and/or 1-D waveforms at ``sample_rate``.

        Returns
        -------
        features : np.ndarray [shape=(n_clips, sum of the members' n_features), dtype=float32]
            The members' features in ``extractors`` order (see :meth:`get_feature_names_out`).
        """
        check_is_fitted(self, "extractors_")
        failures = {} if self.on_error == "warn" else None
        clips = validate_clips(X, failures=failures)
        features = np.full((len(clips), sum(self._widths)), np.nan, dtype=np.float32)
        chunks = [
            range(start, min(start + self.chunk_size, len(clips))) for start in range(0, len(clips), self.chunk_size)
        ]
        with ThreadPoolExecutor(max_workers=1) as decoder:
            pending = decoder.submit(self._decode, clips, chunks[0], failures)
            for k in range(len(chunks)):
                decoded = pending.result()
                if k + 1 < len(chunks):
                    pending = decoder.submit(self._decode, clips, chunks[k + 1], failures)
                self._transform_decoded(clips, decoded, features, failures)
        if failures is not None:
            features[sorted(failures)] = np.nan
            self.failed_clips_ = report_failures(clips, failures)
        return features

    def _decode(self, clips, indices, failures: dict | None) -> dict[int, DecodedFile | np.ndarray]:
        """Clip index -> what every member is given, for the usable clips of one chunk.

        A file becomes a :class:`DecodedFile` (members name it and cache it as the
        file); an array clip is passed on as it is.
        """
        decoded = {}
        for i in indices:
            name, source = clips[i]
            if source is None:  # failed validation, recorded in failures
                continue
            if not isinstance(source, str):
                decoded[i] = source
                continue
            try:
                decoded[i] = DecodedFile(source, *audio.load(source))
            except audio.AudioError as exc:
                if failures is None:
                    raise
                failures[i] = exc
        return decoded

    def _transform_decoded(self, clips, decoded: dict, features: np.ndarray, failures: dict | None) -> None:
        """Fill the rows of ``decoded`` clips in ``features``, each member once per chunk."""
        indices = list(decoded)
        items = [decoded[i] for i in indices]
        # a member names a clip by its path, or "X[j]" for the j-th item it was given
        owners = defaultdict(list)
        for j, item in enumerate(items):
            owners[item.path if isinstance(item, DecodedFile) else f"X[{j}]"].append(indices[j])
        start = 0
        for (name, member), width in zip(self.extractors_, self._widths):
            try:
                rows = member.transform(items)
            except audio.AudioError as exc:  # on_error="raise": name the clip, not its place in the chunk
                if exc.clip not in owners:
                    raise
                raise audio.AudioError(clips[owners[exc.clip][0]][0], str(exc)) from exc
            features[indices, start : start + width] = rows
            start += width
            for failed_name, error in getattr(member, "failed_clips_", []) if failures is not None else []:
                for i in owners[failed_name]:
                    failures.setdefault(i, audio.AudioError(clips[i][0], f"{name}: {error}"))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``<member name>__<member feature name>`` for every feature, in column order.

        Parameters
        ----------
        input_features : None
            Ignored (audio clips have no input feature names).

        Returns
        -------
        names : np.ndarray [shape=(n_features,), dtype=object]
        """
        check_is_fitted(self, "extractors_")
        return np.asarray(
            [f"{name}__{feature}" for name, member in self.extractors_ for feature in member.get_feature_names_out()],
            dtype=object,
        )
