"""SampleCNNFeatures: multi-level features of a sample-level CNN, as a scikit-learn transformer."""

from __future__ import annotations

import json

from torch import nn

from ..nn import SampleCNN
from ._base import NetworkFeatures

__all__ = ["SampleCNNFeatures"]


class SampleCNNFeatures(NetworkFeatures):
    """Aggregated multi-level features of a SampleCNN (arXiv:1703.01789, 1706.06810, 1710.10451).

    Each clip is decoded, mixed to mono, resampled to the network's rate and cut
    into segments of ``m ** (n + 1)`` samples (59049 for 3^9); segments from
    many clips go through the network in batches; each chosen layer's activations
    are pooled over time within a segment (``pooling``) and the segment vectors of
    a clip are aggregated (``aggregate``) into one row.

    Parameters
    ----------
    weights : str, os.PathLike or None, default=None
        A sktag checkpoint path or the name of shipped weights (the network and
        its sample rate come from it); ``None`` builds a randomly initialised
        network from ``architecture``, seeded by ``random_state`` and run at 16 kHz.
    architecture : dict or None, default=None
        Keyword arguments of :class:`sktag.nn.SampleCNN` for ``weights=None``
        (default: the paper's 3^9 basic network); must be ``None`` with a checkpoint.
    layers : str, sequence of str or None, default=None
        Layers to take features from, e.g. ``("block7", "block8", "block9")``;
        ``None`` = the last three blocks, as in the papers. Names: ``"stem"``,
        ``"block1"`` .. ``"block<n>"``, ``"fc"`` (the penultimate dense layer).
    pooling : {"max", "mean", "max+mean"}, default="max"
        Pooling over time within a segment, per layer.
    aggregate : {"mean", "max", "mean+std"}, default="mean"
        Aggregation over the segments of a clip.
    sample_rate : float or None, default=None
        Sample rate of array clips (resampled to the network's rate); ``None``
        means they are already at the network's rate. Files carry their own rate.
    segment_hop : int or None, default=None
        Hop between segments in samples at the network's rate; ``None`` = the
        segment length (no overlap). A clip's tail shorter than a segment is
        dropped; a clip shorter than one segment is zero-padded to one.
    batch_size : int or "auto", default="auto"
        Segments per network call (segments of several clips share a batch).
        ``"auto"``: 64 on GPU; on CPU as many as keep the largest activation under
        16 MiB (for the 3^9 network 1 in fp32, 3 in bf16), which the speed
        benchmark shows is fastest there: bigger batches fall out of cache.
    device : str, default="auto"
        ``"auto"`` runs on CUDA when available, else CPU; or any torch device.
    precision : {"fp32", "bf16", "auto"}, default="fp32"
        The network's arithmetic: ``"bf16"`` runs it under bfloat16 autocast
        (pooling and aggregation stay float32), about 1.5x faster on CPUs with
        AVX512-BF16 or AMX and on recent GPUs, with features within a few
        percent of fp32 (``benchmarks/results/precision.md``); ``"auto"`` picks
        bf16 where the hardware has it. ``"fp32"`` gives the same features on
        every machine.
    memory : str, joblib.Memory or None, default=None
        Cache of per-clip, per-layer pooled activations, keyed by clip content and
        weights. With it, changing ``layers``, ``pooling`` or ``aggregate`` (as a
        grid search does) never runs the network again on a clip it has seen.
    random_state : int, RandomState instance or None, default=None
        Seeds the random initialisation for ``weights=None``.
    verbose : int, default=0
        Log progress (clips/s) to the ``"sktag"`` logger.

    Attributes
    ----------
    layers_ : list of str
        The layers features come from.
    sample_rate_ : float
        The network's sample rate; every clip is resampled to it.
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

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.standard_normal(16000).astype(np.float32) for _ in range(4)]
    >>> features = SampleCNNFeatures(architecture={"m": 3, "n": 5}, random_state=0)
    >>> features.fit_transform(X).shape
    (4, 1024)
    >>> clf = make_pipeline(features, LogisticRegression()).fit(X, [0, 1, 0, 1])
    """

    _parameter_constraints = {**NetworkFeatures._parameter_constraints, "architecture": [None, dict]}
    _network_name = "SampleCNN"

    def __init__(
        self,
        weights=None,
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
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        if self.weights is not None and self.architecture is not None:
            raise ValueError("architecture applies to weights=None only; a checkpoint defines its own network")
        return super().fit(X, y)

    fit.__doc__ = NetworkFeatures.fit.__doc__

    def _random_model(self) -> nn.Module:
        return SampleCNN(**(self.architecture or {}))

    def _random_config_id(self) -> str:
        return "SampleCNN" + json.dumps(self.architecture or {}, sort_keys=True)

    def _segment_length(self, model: nn.Module) -> int:
        return model.input_length
