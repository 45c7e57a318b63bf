"""SampleCNNFeatures: multi-level features of a sample-level CNN, as a scikit-learn transformer."""

from __future__ import annotations

from ..nn import SampleCNN
from ._base import NetworkFeatures, fill_shared_docs

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
    weights : str, os.PathLike or None, default="default"
        The pretrained network: ``"default"`` is the shipped ``"samplecnn-3x9-multiteacher-v3"``
        (the basic 3^9 SampleCNN distilled from three musicnn teachers on 19 games' music at 16 kHz; its
        blocks are ``"samplecnn-3x9-multiteacher-v2"``'s, with a clip-level tag head added);
        or the name of other shipped weights (:data:`sktag.weights.SHIPPED_WEIGHTS`)
        or a sktag checkpoint path (the network and its sample rate come from it).
        ``None`` builds a randomly initialised network from ``architecture``,
        seeded by ``random_state``.
    architecture : dict or None, default=None
        Keyword arguments of :class:`sktag.nn.SampleCNN` for ``weights=None``
        (default: the paper's 3^9 basic network); needs ``weights=None``.
    layers : str, int, sequence of (str or int) or None, default=None
        Layers to take features from, e.g. ``("block7", "block8", "block9")``;
        ``None`` = the last three blocks, as in the papers. Names: ``"stem"``,
        ``"block1"`` .. ``"block<n>"``, ``"fc"`` (the penultimate dense layer);
        ints are positions in that list, negative from the end (``-1`` is
        ``"fc"``, ``[-4, -3, -2]`` the last three blocks).
    %(shared_parameters)s
    Attributes
    ----------
    layers_ : list of str
        The layers features come from.
    %(shared_attributes)s
    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.standard_normal(16000).astype(np.float32) for _ in range(4)]
    >>> features = SampleCNNFeatures(weights=None, architecture={"m": 3, "n": 5}, random_state=0)
    >>> features.fit_transform(X).shape
    (4, 1024)
    >>> clf = make_pipeline(features, LogisticRegression()).fit(X, [0, 1, 0, 1])
    """

    _network_class = SampleCNN


fill_shared_docs(SampleCNNFeatures)
