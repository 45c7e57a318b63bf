"""End-to-end training and fine-tuning of sktag networks (skorch)."""

from .clip_head import save_clip_head
from .mlp import MLPTagger
from .siamese import SiameseArtistCNN
from .store import AudioStore
from .tagger import ArtistCNNTagger, MelCNNTagger, SampleCNNTagger

__all__ = [
    "ArtistCNNTagger",
    "AudioStore",
    "MLPTagger",
    "MelCNNTagger",
    "SampleCNNTagger",
    "SiameseArtistCNN",
    "save_clip_head",
]
