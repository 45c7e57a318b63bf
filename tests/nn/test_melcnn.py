"""MelCNN (the multi-scale local log-mel CNNs of arXiv:1703.01793): shapes, layers, errors.

Training one and its features: tests/training/test_tagger.py.
"""

import numpy as np
import pytest
import torch

from sktag.nn import SPL_POOL_SIZES, ArtistCNN, MelCNN


@pytest.mark.parametrize("n_frames", sorted(SPL_POOL_SIZES))
def test_each_paper_scale_pools_its_input_to_one_frame(n_frames):
    torch.manual_seed(0)
    net = MelCNN(50, sample_rate=16000, hop_length=372, fmax=8000, n_frames=n_frames).eval()
    depth = 4 if n_frames == 54 else 3
    assert net.layer_names == [f"block{i}" for i in range(1, depth + 1)] + ["embedding"]
    assert net.input_length == (n_frames - 1) * 372
    x = torch.randn(2, net.input_length)
    with torch.inference_mode():
        acts = net.forward_intermediates(x)
        assert [a.shape[1] for a in acts] == [256] * (depth - 1) + [512, 512]
        assert acts[depth - 1].shape[-1] == 1  # the last conv layer sees one frame
        torch.testing.assert_close(acts[-1], acts[depth - 1])  # so its average is itself
        logits, _ = net.forward_intermediates(x, intermediates_only=False)
        torch.testing.assert_close(logits, net(x))
    assert logits.shape == (2, 50)
    assert [f["reduction"] for f in net.feature_info[:-1]] == list(372 * np.cumprod(SPL_POOL_SIZES[n_frames]))


def test_artist_cnn_is_a_mel_cnn_with_the_artist_papers_kernels_and_pools():
    torch.manual_seed(0)
    artist = ArtistCNN(7)
    torch.manual_seed(0)
    general = MelCNN(
        7, n_frames=129, widths=(128, 128, 128, 128, 256), kernel_sizes=(4, 4, 4, 2, 1), pool_sizes=(4, 4, 4, 2, None)
    )
    assert isinstance(artist, MelCNN)
    assert artist.state_dict().keys() == general.state_dict().keys()
    assert all(torch.equal(a, b) for a, b in zip(artist.state_dict().values(), general.state_dict().values()))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_frames": 30}, r"pass pool_sizes for n_frames=30"),
        ({"n_frames": 8, "pool_sizes": (3, 3)}, r"n_frames must be >= 9"),
        ({"widths": (8, 8)}, r"one entry per conv layer, got 2, 3 and 3"),
        ({"kernel_sizes": (3,)}, r"one entry per conv layer, got 3, 1 and 3"),
    ],
)
def test_inconsistent_configurations_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MelCNN(**kwargs)
