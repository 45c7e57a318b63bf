"""End-to-end training and fine-tuning of sktag networks (skorch)."""

from .store import AudioStore
from .tagger import SampleCNNTagger

__all__ = ["AudioStore", "SampleCNNTagger"]
