"""ArtistCNNFeatures: features of the artist-label CNN (arXiv:1710.06648), as a scikit-learn transformer."""

from __future__ import annotations

from ..nn import ArtistCNN
from ._base import NetworkFeatures, fill_shared_docs

__all__ = ["ArtistCNNFeatures"]


class ArtistCNNFeatures(NetworkFeatures):
    """Aggregated multi-level features of the artist-label CNN (arXiv:1710.06648).

    The same input contract, segmenting, batching, pooling, aggregation, caching
    and devices as :class:`~sktag.SampleCNNFeatures`; the network is an
    :class:`sktag.nn.ArtistCNN`, whose log-mel front end runs on the network's
    device. Segments are the network's input patch (129 frames: 65536 samples
    at 22050 Hz in the paper's configuration, 2.97 s).

    Parameters
    ----------
    weights : str, os.PathLike or None, default="default"
        The pretrained network: ``"default"`` is the shipped ``"artist-basic-gamemusic2"``
        (the artist-label CNN trained on 26 composers of 19 games' soundtracks at 16 kHz);
        or the name of other shipped weights (:data:`sktag.weights.SHIPPED_WEIGHTS`)
        or a sktag checkpoint path (the network and its sample rate come from it).
        ``None`` builds a randomly initialised network from ``architecture``,
        seeded by ``random_state``.
    architecture : dict or None, default=None
        Keyword arguments of :class:`sktag.nn.ArtistCNN` for ``weights=None``
        (default: the paper's configuration at 22050 Hz); needs ``weights=None``.
    layers : str, int, sequence of (str or int) or None, default=None
        Layers to take features from; ``None`` = the last three conv blocks
        (``block3``, ``block4``, ``block5``). Names: ``"block1"`` .. ``"block5"``
        and ``"embedding"`` (the 256-d average over time of ``block5``); ints
        are positions in that list, negative from the end.
        ``layers="block5"`` with the default pooling and aggregation is the
        paper's transfer feature (max over time, mean over segments).
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
    >>> X = [rng.standard_normal(70000).astype(np.float32) for _ in range(3)]
    >>> features = ArtistCNNFeatures(weights=None, layers="block5", random_state=0).fit(X)
    >>> features.transform(X).shape
    (3, 256)
    """

    _network_class = ArtistCNN


fill_shared_docs(ArtistCNNFeatures)
