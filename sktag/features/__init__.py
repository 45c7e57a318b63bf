"""scikit-learn transformers over sktag's networks."""

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
    "SampleCNNFeatures",
]

#: The feature transformer of each checkpoint architecture (:data:`sktag.weights.ARCHITECTURES`).
FEATURES_BY_ARCHITECTURE = {"SampleCNN": SampleCNNFeatures, "ArtistCNN": ArtistCNNFeatures, "MelCNN": MelCNNFeatures}
