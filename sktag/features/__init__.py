"""scikit-learn transformers over sktag's networks."""

from .artist import ArtistCNNFeatures
from .bag import BagOfFeatures
from .multiscale import MultiScaleFeatures
from .samplecnn import SampleCNNFeatures

__all__ = ["ArtistCNNFeatures", "BagOfFeatures", "MultiScaleFeatures", "SampleCNNFeatures"]
