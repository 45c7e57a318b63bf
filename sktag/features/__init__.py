"""scikit-learn transformers over sktag's networks."""

from .artist import ArtistCNNFeatures
from .samplecnn import SampleCNNFeatures

__all__ = ["ArtistCNNFeatures", "SampleCNNFeatures"]
