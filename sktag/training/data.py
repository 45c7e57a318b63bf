"""torch Datasets over an AudioStore: random crops for training, every segment for evaluation."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from .augment import WaveformAugment
from .store import AudioStore

__all__ = ["RandomCrops", "AllSegments"]


class RandomCrops(Dataset):
    """``per_clip`` random ``length``-sample crops of each clip per pass (new crops every epoch).

    Item ``i``: ``(crop, target)`` of clip ``i % n_clips``, with ``crop`` a float32
    tensor ``(length,)`` starting at a uniform random offset (drawn from torch's RNG,
    so ``torch.manual_seed`` makes epochs reproducible) and zero-padded when the
    clip is shorter.

    Parameters
    ----------
    store : AudioStore
    targets : np.ndarray [shape=(n_clips, n_tags)]
    length : int
    per_clip : int, default=1
        Crops of every clip in one pass (one epoch).
    augment : WaveformAugment or None, default=None
        Random changes to every crop (and mixing of crops and targets).
    """

    def __init__(
        self,
        store: AudioStore,
        targets: np.ndarray,
        length: int,
        per_clip: int = 1,
        augment: WaveformAugment | None = None,
    ):
        self.store, self.targets, self.length = store, np.asarray(targets, dtype=np.float32), int(length)
        self.per_clip = int(per_clip)
        self.augment = augment if augment is not None and augment.active else None

    def __len__(self) -> int:
        return len(self.store) * self.per_clip

    def __getitem__(self, index: int):
        index = index % len(self.store)
        if self.augment is not None:
            return self._augmented(index)
        room = int(self.store.lengths[index]) - self.length
        start = int(torch.randint(room + 1, ())) if room > 0 else 0
        return torch.from_numpy(self.store.crop(index, start, self.length)), torch.from_numpy(self.targets[index])

    def _augmented(self, index: int):
        augment = self.augment
        x, y = augment.crop(self.store, index, self.length), self.targets[index]
        if augment.wants_mix():
            other = int(torch.randint(len(self.store), ()))
            x, y = augment.mix_in(x, y, augment.crop(self.store, other, self.length), self.targets[other])
        return torch.from_numpy(x), torch.from_numpy(y)


class AllSegments(Dataset):
    """Every non-overlapping ``length``-sample segment of every clip, in order.

    A clip's tail shorter than a segment is dropped; a clip shorter than one
    segment gives one zero-padded segment (as the feature transformers do).

    Attributes
    ----------
    clip_index : np.ndarray [shape=(n_segments,), dtype=int64]
        The clip each segment comes from.
    """

    def __init__(self, store: AudioStore, targets: np.ndarray, length: int):
        self.store, self.targets, self.length = store, np.asarray(targets, dtype=np.float32), int(length)
        counts = np.maximum(1, store.lengths // self.length)
        self.clip_index = np.repeat(np.arange(len(store)), counts)
        self.starts = np.concatenate([np.arange(c) * self.length for c in counts]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.clip_index)

    def __getitem__(self, index: int):
        clip = int(self.clip_index[index])
        crop = self.store.crop(clip, int(self.starts[index]), self.length)
        return torch.from_numpy(crop), torch.from_numpy(self.targets[clip])

    def clip_mean(self, segment_values: np.ndarray) -> np.ndarray:
        """Average per-segment rows ``(n_segments, k)`` into per-clip rows ``(n_clips, k)``."""
        sums = np.zeros((len(self.store), segment_values.shape[1]), dtype=np.float64)
        np.add.at(sums, self.clip_index, segment_values)
        return (sums / np.bincount(self.clip_index, minlength=len(self.store))[:, None]).astype(np.float32)
