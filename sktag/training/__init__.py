"""End-to-end training and fine-tuning of sktag networks (skorch)."""

from .store import AudioStore
from .siamese import SiameseArtistCNN
from .tagger import ArtistCNNTagger, SampleCNNTagger

__all__ = ["ArtistCNNTagger", "AudioStore", "SampleCNNTagger", "SiameseArtistCNN"]
