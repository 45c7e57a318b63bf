"""scikit-learn transformers over sktag's networks."""

from .samplecnn import SampleCNNFeatures

__all__ = ["SampleCNNFeatures"]
