"""The shared base of sktag's network feature transformers.

decode -> segment -> batch (across clips) -> network -> per-layer pooling within
each segment -> aggregation over the segments of a clip.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections import OrderedDict
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_memory

from .. import weights as sktag_weights
from .._deprecation import DeprecatedAttribute, renamed_state
from .._devices import resolve_device, resolve_precision
from .._runtime import settle_glibc_malloc, settle_torch_threads
from ..clips import clip_content_key, layer_statistics, report_failures, validate_clips
from ..nn.inference import fold_batchnorm
from ._mixin import AudioTransformerMixin

logger = logging.getLogger("sktag")

__all__ = ["NetworkFeatures"]

POOLINGS = {"max": ("max",), "mean": ("mean",), "max+mean": ("max", "mean")}
AGGREGATES = {"mean": ("mean",), "max": ("max",), "mean+std": ("mean", "std")}
#: Order of the within-segment statistics computed by the network pass.
_POOL_INDEX = {"max": 0, "mean": 1}

#: On CPU, "auto" batches keep the largest activation of a network call under this
#: size: bigger tensors fall out of cache and, above glibc's mmap threshold (<= 32 MiB),
#: are page-faulted afresh on every call (benchmarks/results/speed.md: the 3^9
#: network runs about 1.7x faster one segment per call than 16 per call).
CPU_ACTIVATION_BUDGET = 16 * 2**20
#: "auto" batch on CUDA, and the cap on CPU.
MAX_AUTO_BATCH = 64

#: Part of the ``memory`` cache key of segment statistics: bumped when the same clip and network
#: give other statistics ("reached": short clips pooled over the frames they reach, sktag 0.1).
_STATS_VERSION = "reached"

#: Networks kept per process, keyed by what defines them (weights, seed, device).
_MODEL_CACHE: OrderedDict = OrderedDict()
_MODEL_CACHE_SIZE = 4
_MODEL_LOCK = threading.Lock()


#: Parameter and attribute docs shared by every network transformer (numpydoc).
SHARED_PARAMETERS_DOC = """\
    pooling : {"max", "mean", "max+mean"}, default="max"
        Pooling over time within a segment, per layer.
    aggregate : {"mean", "max", "mean+std"}, default="mean"
        Aggregation over the segments of a clip.
    sample_rate : float or None, default=None
        Sample rate of array clips (resampled to the network's rate,
        ``analysis_rate_``); ``None`` means they are already at the network's
        rate. Files carry their own rate.
    segment_hop : int or None, default=None
        Hop between segments in samples at the network's rate; ``None`` = the
        segment length (no overlap). A clip's tail shorter than a segment is
        dropped; a clip shorter than one segment is zero-padded to one.
    batch_size : int or "auto", default="auto"
        Segments per network call (segments of several clips share a batch).
        ``"auto"``: 64 on GPU; on CPU as many as keep the largest activation under
        16 MiB (for the 3^9 SampleCNN 1 in fp32, 3 in bf16), which the speed
        benchmark shows is fastest there: bigger batches fall out of cache.
    device : str, default="auto"
        ``"auto"`` runs on CUDA when available, else CPU; or any torch device.
    precision : {"fp32", "bf16", "auto"}, default="fp32"
        The network's arithmetic: ``"bf16"`` runs it under bfloat16 autocast
        (pooling and aggregation stay float32), faster on CPUs with AVX512-BF16
        or AMX and on recent GPUs (``benchmarks/results/speed.md`` and
        ``precision_*.md`` give the measured speed and feature error);
        ``"auto"`` picks bf16 where the hardware has it. ``"fp32"`` gives the
        same features on every machine.
    memory : str, joblib.Memory or None, default=None
        Cache of per-clip, per-layer pooled activations, keyed by clip content and
        weights. With it, changing ``layers``, ``pooling`` or ``aggregate`` (as a
        grid search does) never runs the network again on a clip it has seen.
    on_error : {"raise", "warn"}, default="raise"
        A clip that cannot be used (missing, empty, undecodable or truncated
        file, non-finite samples): ``"raise"`` its :class:`~sktag.audio.AudioError`,
        which names it; ``"warn"``: its row is NaN, a
        :class:`~sktag.audio.ClipFailureWarning` names it, ``failed_clips_``
        lists it, and every other clip's features are computed as usual.
    random_state : int, RandomState instance or None, default=None
        Seeds the random initialisation for ``weights=None`` (``None``: a fresh
        seed, drawn in ``fit`` and kept in ``seed_``).
    verbose : int, default=0
        Log progress (clips/s) to the ``"sktag"`` logger.
"""
SHARED_ATTRIBUTES_DOC = """\
    analysis_rate_ : float
        The network's sample rate (the checkpoint's; for ``weights=None`` the
        architecture's, else 16 kHz); every clip is resampled to it. Named
        ``sample_rate_`` before sktag 0.1; that name warns and goes in 0.3.
    segment_length_ : int
        Samples per segment.
    weights_id_ : str
        What identifies the network (checkpoint sha256, or architecture and seed).
    seed_ : int
        The seed of the random initialisation (``weights=None`` only).
    autocast_dtype_ : torch.dtype or None
        ``precision`` resolved for the device: ``torch.bfloat16`` or ``None`` (fp32).
    model_ : torch.nn.Module
        The network (a property: loaded lazily, cached per process, never pickled).
    batch_size_ : int
        Segments per network call of ``transform``: ``batch_size`` resolved for
        the fitted network, precision and device (a property).
    failed_clips_ : list of (str, str)
        Set by each ``transform`` with ``on_error="warn"``: the name and error
        of every clip that got a NaN row; empty when all succeeded.
"""


def fill_shared_docs(cls: type) -> type:
    """Put the shared parameter and attribute docs into ``cls.__doc__`` (its placeholders)."""
    doc = re.sub(r"^ *%\(shared_parameters\)s", lambda _: SHARED_PARAMETERS_DOC, cls.__doc__, flags=re.M)
    cls.__doc__ = re.sub(r"^ *%\(shared_attributes\)s", lambda _: SHARED_ATTRIBUTES_DOC, doc, flags=re.M)
    return cls


def _cached_model(key: tuple, build) -> torch.nn.Module:
    with _MODEL_LOCK:
        if key in _MODEL_CACHE:
            _MODEL_CACHE.move_to_end(key)
            return _MODEL_CACHE[key]
        model = build()
        _MODEL_CACHE[key] = model
        while len(_MODEL_CACHE) > _MODEL_CACHE_SIZE:
            _MODEL_CACHE.popitem(last=False)
        return model


def _stored_segment_stats(clip_key: str, model_key: str, computed):
    """Identity whose result joblib.Memory stores under (clip_key, model_key)."""
    return computed


class NetworkFeatures(AudioTransformerMixin, BaseEstimator):
    """Base class: multi-level, segment-aggregated features from a pretrained network.

    Subclasses set ``_network_class`` (a class of :mod:`sktag.nn`, built from
    ``architecture`` for ``weights=None``) and declare their parameters in
    ``__init__``. Networks must expose ``input_length`` (samples per segment),
    ``layer_names``, ``feature_info`` and ``forward_intermediates(x, names)``
    returning ``(batch, channels, frames)`` tensors (see :class:`sktag.nn.SampleCNN`);
    a ``sample_rate`` attribute, if present, is the rate of a random network
    (else 16 kHz).
    """

    #: The name of ``analysis_rate_`` before sktag 0.1 (a FutureWarning; removed in 0.3).
    sample_rate_ = DeprecatedAttribute("analysis_rate_")

    _parameter_constraints: dict = {
        "weights": [None, str, os.PathLike],
        "architecture": [None, dict],
        "layers": [None, str, Integral, list, tuple],
        "pooling": [StrOptions(set(POOLINGS))],
        "aggregate": [StrOptions(set(AGGREGATES))],
        "sample_rate": [None, Interval(Real, 0, None, closed="neither")],
        "segment_hop": [None, Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "device": [str],
        "precision": [StrOptions({"fp32", "bf16", "auto"})],
        "memory": [None, str, HasMethods(["cache"])],
        "on_error": [StrOptions({"raise", "warn"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    _network_class: type[torch.nn.Module]
    #: Rate of a random network that does not state its own.
    _random_analysis_rate = 16000

    def _default_layers(self, model: torch.nn.Module) -> list[str]:
        """The last three blocks, as in the papers' multi-level features."""
        blocks = [name for name in model.layer_names if name.startswith("block")]
        return blocks[-3:]

    def __init__(
        self,
        weights="default",
        *,
        architecture=None,
        layers=None,
        pooling="max",
        aggregate="mean",
        sample_rate=None,
        segment_hop=None,
        batch_size="auto",
        device="auto",
        precision="fp32",
        memory=None,
        on_error="raise",
        random_state=None,
        verbose=0,
    ):
        self.weights = weights
        self.architecture = architecture
        self.layers = layers
        self.pooling = pooling
        self.aggregate = aggregate
        self.sample_rate = sample_rate
        self.segment_hop = segment_hop
        self.batch_size = batch_size
        self.device = device
        self.precision = precision
        self.memory = memory
        self.on_error = on_error
        self.random_state = random_state
        self.verbose = verbose

    # -- fitting ----------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and X, and load the network (nothing is learned).

        Parameters
        ----------
        X : sequence of (str or np.ndarray [shape=(n,)]) or np.ndarray [shape=(n_clips, n_samples)]
            Paths and/or 1-D waveforms at ``sample_rate``, or a 2-D array of
            equal-length clips.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        validate_clips(X, failures={} if self.on_error == "warn" else None)
        self.autocast_dtype_ = resolve_precision(self.precision, resolve_device(self.device))
        network = self._network_class.__name__
        if self.weights is None:
            self.seed_ = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
            config = json.dumps(self.architecture or {}, sort_keys=True, default=str)
            self.weights_id_ = f"random-{network}{config}-seed{self.seed_}"
            checkpoint = None
        else:
            checkpoint = sktag_weights.get_network_checkpoint(
                self.weights, network, user=type(self).__name__, config=self.architecture
            )
            self.weights_id_ = "sha256-" + sktag_weights.file_sha256(checkpoint.source)
        model = self._model(checkpoint)
        if checkpoint is None:
            self.analysis_rate_ = float(getattr(model, "sample_rate", self._random_analysis_rate))
        else:
            self.analysis_rate_ = float(checkpoint.meta["sample_rate"])
        self.layers_ = self._resolve_layers(model)
        self.segment_length_ = model.input_length
        widths = {info["name"]: info["num_chs"] for info in model.feature_info}
        self._layer_widths = [widths[name] for name in self.layers_]
        return self

    def _network_batch_size(self, model: torch.nn.Module) -> int:
        """``batch_size`` resolved; "auto" keeps the largest activation in budget on CPU."""
        if self.batch_size != "auto":
            return int(self.batch_size)
        if next(model.parameters()).device.type != "cpu":
            return MAX_AUTO_BATCH
        largest = max(
            info["num_chs"] * (self.segment_length_ // info["reduction"])
            for info in model.feature_info
            if info["reduction"]
        )
        itemsize = 4 if self.autocast_dtype_ is None else self.autocast_dtype_.itemsize  # bf16 activations: 2
        return int(np.clip(CPU_ACTIVATION_BUDGET // (itemsize * largest), 1, MAX_AUTO_BATCH))

    @property
    def batch_size_(self) -> int:
        """Segments per network call of ``transform``: ``batch_size`` resolved for the fitted network.

        An int ``batch_size`` as it is; ``"auto"`` gives 64 on a GPU and, on a CPU, as
        many segments as keep the network's largest activation under 16 MiB at its
        precision (1 for the 3^9 SampleCNN in fp32, 3 in bf16).
        """
        return self._network_batch_size(self.model_)

    def _resolve_layers(self, model: torch.nn.Module) -> list[str]:
        """``layers`` as names: names stay, positions in ``layer_names`` (negative from the end) become names."""
        if self.layers is None:
            return self._default_layers(model)
        layers = [self.layers] if isinstance(self.layers, (str, Integral)) else list(self.layers)
        if not layers:
            raise ValueError("layers is empty; name at least one layer")
        bad = [layer for layer in layers if not isinstance(layer, (str, Integral)) or isinstance(layer, bool)]
        if bad:
            raise ValueError(f"layers holds {bad}: give layer names or positions (ints, negative from the end)")
        unknown = [name for name in layers if isinstance(name, str) and name not in model.layer_names]
        if unknown:
            raise ValueError(f"unknown layers {unknown}; this network has {model.layer_names}")
        n_layers = len(model.layer_names)
        outside = [index for index in layers if not isinstance(index, str) and not -n_layers <= index < n_layers]
        if outside:
            raise ValueError(
                f"layer positions {outside} are out of range: this network has {n_layers} layers "
                f"{model.layer_names} (-1 is {model.layer_names[-1]!r})"
            )
        layers = [name if isinstance(name, str) else model.layer_names[name] for name in layers]
        if len(set(layers)) != len(layers):
            raise ValueError(f"layers lists a layer twice: {layers}")
        return layers

    @property
    def model_(self) -> torch.nn.Module:
        """The inference network (eval mode, BatchNorm folded into the convs) on its device.

        Built by ``fit`` (or on first use after unpickling) and cached per process
        by (weights, device); never pickled or copied by ``clone``. A checkpoint
        whose file changed since ``fit`` is refused.
        """
        check_is_fitted(self, "weights_id_")
        return self._model(None)

    def _model(self, checkpoint: sktag_weights.Checkpoint | None) -> torch.nn.Module:
        """The cached network; on a cache miss, built from ``checkpoint`` if given (``fit`` has
        just loaded it), else from ``weights``."""
        device = resolve_device(self.device)
        key = (type(self).__name__, self.weights_id_, str(device))

        def build():
            if self.weights is None:
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(self.seed_)
                    model = self._network_class(**(self.architecture or {}))
            else:
                sha256 = self.weights_id_.removeprefix("sha256-")
                model = (checkpoint or sktag_weights.get_checkpoint(self.weights, sha256=sha256)).build()
            model = fold_batchnorm(model).to(device)
            if device.type == "cpu":
                settle_glibc_malloc()
                settle_torch_threads()
            logger.info("sktag: %s (%s) loaded on %s", type(model).__name__, self.weights_id_, device)
            return model

        return _cached_model(key, build)

    # -- transforming -------------------------------------------------------------------
    def transform(self, X) -> np.ndarray:
        """Extract aggregated features of each clip.

        Parameters
        ----------
        X : sequence of (str or np.ndarray [shape=(n,)]) or np.ndarray [shape=(n_clips, n_samples)]
            Paths (any format libsndfile decodes, any rate and channel count) and/or
            1-D waveforms at ``sample_rate``.

        Returns
        -------
        features : np.ndarray [shape=(n_clips, n_features), dtype=float32]
            For each layer, pooling and aggregate, the layer's channels, in the
            order of :meth:`get_feature_names_out`.
        """
        check_is_fitted(self, "weights_id_")
        failures = {} if self.on_error == "warn" else None
        clips = validate_clips(X, failures=failures)
        model = self.model_
        if self.memory is None:
            stats = self._segment_stats(clips, model, self.layers_, failures)
            columns = None
        else:
            stats = self._cached_segment_stats(clips, model, failures)
            columns = self._layer_columns(model)
        if failures is not None:  # on_error="warn" only: transform otherwise leaves the estimator unchanged
            self.failed_clips_ = report_failures(clips, failures)
        width = len(self.get_feature_names_out())
        rows = [np.full(width, np.nan) if s is None else self._aggregate(s, columns) for s in stats]
        return np.stack(rows).astype(np.float32, copy=False)

    def _hop(self) -> int:
        return self.segment_length_ if self.segment_hop is None else int(self.segment_hop)

    def _layer_columns(self, model: torch.nn.Module) -> np.ndarray:
        """Column indices of ``layers_`` in stats computed over all layers."""
        starts = np.cumsum([0] + [info["num_chs"] for info in model.feature_info])
        index = {info["name"]: i for i, info in enumerate(model.feature_info)}
        return np.concatenate([np.arange(starts[index[name]], starts[index[name] + 1]) for name in self.layers_])

    def _aggregate(self, stats: np.ndarray, columns: np.ndarray | None) -> np.ndarray:
        """(n_segments, 2, channels) segment statistics -> one feature row."""
        if columns is not None:
            stats = stats[:, :, columns]
        parts = []
        start = 0
        for width in self._layer_widths:
            layer = stats[:, :, start : start + width]
            start += width
            for pool in POOLINGS[self.pooling]:
                values = layer[:, _POOL_INDEX[pool]]
                for aggregate in AGGREGATES[self.aggregate]:
                    parts.append(getattr(np, aggregate)(values, axis=0))
        return np.concatenate(parts)

    def _cached_segment_stats(self, clips, model, failures: dict | None) -> list[np.ndarray | None]:
        memory = check_memory(self.memory)
        store = memory.cache(_stored_segment_stats, ignore=["computed"])
        model_key = (
            f"{self.weights_id_}-len{self.segment_length_}-hop{self._hop()}-{self._precision_name()}-{_STATS_VERSION}"
        )
        usable = [i for i, clip in enumerate(clips) if clip[1] is not None]
        keys = {i: clip_content_key(clips[i], self.sample_rate) for i in usable}
        missing = [i for i in usable if not store.check_call_in_cache(keys[i], model_key, None)]
        new_failures = None if failures is None else {}
        computed = self._segment_stats([clips[i] for i in missing], model, model.layer_names, new_failures)
        if new_failures:
            failures.update({missing[j]: exc for j, exc in new_failures.items()})
        computed = dict(zip(missing, computed))
        return [
            store(keys[i], model_key, computed.get(i)) if i in keys and (not failures or i not in failures) else None
            for i in range(len(clips))
        ]

    def _segment_stats(self, clips, model, layer_names, failures: dict | None = None) -> list[np.ndarray | None]:
        """Per clip, ``(n_segments, 2, sum of widths)``: the max and mean over time of each layer in each segment.

        ``None`` for a clip that failed (recorded in ``failures``, see :func:`~sktag.clips.network_rows`).
        """
        if not clips:
            return []

        return layer_statistics(
            clips,
            model,
            layer_names,
            sample_rate=self.analysis_rate_,
            input_rate=self.sample_rate,
            hop=self._hop(),
            batch_size=self._network_batch_size(model),
            autocast_dtype=self.autocast_dtype_,
            verbose=self.verbose,
            failures=failures,
        )

    def __setstate__(self, state):
        super().__setstate__(renamed_state(state, {"sample_rate_": "analysis_rate_"}))  # pickled before 0.1

    def _precision_name(self) -> str:
        return "fp32" if self.autocast_dtype_ is None else str(self.autocast_dtype_).removeprefix("torch.")

    # -- feature names ---------------------------------------------------------------
    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output features, such as ``block7_max_mean_0123``.

        Parameters
        ----------
        input_features : None
            Ignored (audio clips have no input feature names).

        Returns
        -------
        names : np.ndarray [shape=(n_features,), dtype=object]
            ``<layer>_<pooling>_<aggregate>_<channel>``.
        """
        check_is_fitted(self, "weights_id_")
        names = [
            f"{layer}_{pool}_{aggregate}_{channel:04d}"
            for layer, width in zip(self.layers_, self._layer_widths)
            for pool in POOLINGS[self.pooling]
            for aggregate in AGGREGATES[self.aggregate]
            for channel in range(width)
        ]
        return np.asarray(names, dtype=object)
