"""sktag: sample-level CNNs for music auto-tagging, as scikit-learn estimators."""

from .features import ArtistCNNFeatures, SampleCNNFeatures

__version__ = "0.1.0.dev0"

__all__ = ["ArtistCNNFeatures", "SampleCNNFeatures", "__version__"]
