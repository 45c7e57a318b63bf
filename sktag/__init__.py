"""sktag: sample-level CNNs for music auto-tagging, as scikit-learn estimators."""

from .features import ArtistCNNFeatures, BagOfFeatures, MelCNNFeatures, MultiScaleFeatures, SampleCNNFeatures
from .training import MLPTagger

__version__ = "0.1.0.dev0"

__all__ = [
    "ArtistCNNFeatures",
    "BagOfFeatures",
    "MLPTagger",
    "MelCNNFeatures",
    "MultiScaleFeatures",
    "SampleCNNFeatures",
    "__version__",
]
