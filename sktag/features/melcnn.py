"""MelCNNFeatures: features of the multi-scale local log-mel CNNs (arXiv:1703.01793), as a transformer."""

from __future__ import annotations

from ..nn import MelCNN
from ._base import NetworkFeatures, fill_shared_docs

__all__ = ["MelCNNFeatures"]


class MelCNNFeatures(NetworkFeatures):
    """Aggregated multi-level features of a local log-mel CNN (arXiv:1703.01793).

    The same input contract, segmenting, batching, pooling, aggregation, caching
    and devices as :class:`~sktag.SampleCNNFeatures`; the network is an
    :class:`sktag.nn.MelCNN`, whose log-mel front end runs on the network's
    device. Segments are the network's input patch (27 frames by default:
    13312 samples at 22050 Hz, 0.60 s), so a clip yields many more, shorter
    segments than a SampleCNN's. Several of them trained at different input
    sizes, side by side in a :class:`~sktag.MultiScaleFeatures`, give the
    paper's multi-level, multi-scale features.

    Parameters
    ----------
    weights : str, os.PathLike or None, default="default"
        The pretrained network: ``"default"`` is the shipped ``"melcnn-54f"``
        (the 54-frame local log-mel CNN at 16 kHz);
        or the name of other shipped weights (:data:`sktag.weights.SHIPPED_WEIGHTS`)
        or a sktag checkpoint path (the network and its sample rate come from it).
        ``None`` builds a randomly initialised network from ``architecture``,
        seeded by ``random_state``.
    architecture : dict or None, default=None
        Keyword arguments of :class:`sktag.nn.MelCNN` for ``weights=None``
        (default: the 27-frame network at 22050 Hz); needs ``weights=None``.
    layers : str, int, sequence of (str or int) or None, default=None
        Layers to take features from; ``None`` = every conv layer (the paper
        aggregates all of them). Names: ``"block1"`` .. ``"blockK"`` and
        ``"embedding"`` (the average over time of the last conv layer); ints
        are positions in that list, negative from the end.
    %(shared_parameters)s
    Attributes
    ----------
    layers_ : list of str
        The layers features come from.
    %(shared_attributes)s

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.standard_normal(30000).astype(np.float32) for _ in range(3)]
    >>> features = MelCNNFeatures(weights=None, random_state=0).fit(X)
    >>> features.layers_
    ['block1', 'block2', 'block3']
    >>> features.transform(X).shape
    (3, 1024)
    """

    _network_class = MelCNN

    def _default_layers(self, model) -> list[str]:
        """Every conv layer, as the paper aggregates them."""
        return [name for name in model.layer_names if name.startswith("block")]


fill_shared_docs(MelCNNFeatures)
