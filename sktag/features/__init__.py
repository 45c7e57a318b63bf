"""scikit-learn transformers over sktag's networks."""

from .._catalog import FAMILIES
from ._base import NetworkFeatures
from .artist import ArtistCNNFeatures
from .bag import BagOfFeatures
from .melcnn import MelCNNFeatures
from .multiscale import MultiScaleFeatures
from .samplecnn import SampleCNNFeatures

__all__ = [
    "FEATURES_BY_ARCHITECTURE",
    "ArtistCNNFeatures",
    "BagOfFeatures",
    "MelCNNFeatures",
    "MultiScaleFeatures",
    "NetworkFeatures",
    "SampleCNNFeatures",
]

#: The feature transformer of each checkpoint architecture (:data:`sktag.weights.ARCHITECTURES`), from the
#: registry of network families (:data:`sktag.weights.FAMILIES`).
FEATURES_BY_ARCHITECTURE = {name: globals()[family.features] for name, family in FAMILIES.items()}
