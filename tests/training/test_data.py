"""The training datasets over an AudioStore: random crops and every segment of each clip."""

import numpy as np
import torch

from sktag.training import AudioStore
from sktag.training.data import AllSegments, RandomCrops


def test_random_crops_and_all_segments(cache):
    X = [np.arange(1000, dtype=np.float32) / 1000, np.ones(100, dtype=np.float32) * 0.5]
    targets = np.array([[1, 0], [0, 1]], dtype=np.float32)
    store = AudioStore.build(X, sample_rate=8000, cache_dir=cache)
    crops = RandomCrops(store, targets, 243)
    torch.manual_seed(0)
    first = [crops[0][0][0].item() for _ in range(20)]
    assert len(set(first)) > 5  # a new random start each time
    torch.manual_seed(0)
    assert [crops[0][0][0].item() for _ in range(20)] == first  # reproducible from the seed
    assert crops[1][0].shape == (243,) and crops[1][0][100:].abs().sum() == 0
    segments = AllSegments(store, targets, 243)
    assert len(segments) == 4 + 1 and list(segments.clip_index) == [0, 0, 0, 0, 1]
    values = np.arange(10, dtype=np.float32).reshape(5, 2)
    np.testing.assert_allclose(segments.clip_mean(values), [[3, 4], [8, 9]])
    three = RandomCrops(store, targets, 243, per_clip=3)
    assert len(three) == 6
    assert [three[i][1].argmax().item() for i in range(6)] == [0, 1, 0, 1, 0, 1]  # every clip 3 times a pass
