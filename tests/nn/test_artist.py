"""The artist-label CNN (arXiv:1710.06648): shapes of the paper's configuration, heads, 16 kHz variant."""

import pytest
import torch

from sktag.nn import ArtistCNN, fold_batchnorm


@pytest.fixture(scope="module")
def patch():
    return torch.randn(3, 65536, generator=torch.Generator().manual_seed(0))  # 129 frames at hop 512


def test_paper_configuration_shapes(patch):
    model = ArtistCNN(n_classes=40).eval()
    assert model.input_length == 65536  # 2.97 s at 22050 Hz
    acts = model.forward_intermediates(patch)
    assert [tuple(a.shape[1:]) for a in acts] == [(128, 32), (128, 8), (128, 2), (128, 1), (256, 1), (256, 1)]
    assert model(patch).shape == (3, 40)
    assert model.embed(patch).shape == (3, 256)
    assert [info["reduction"] for info in model.feature_info] == [2048, 8192, 32768, 65536, 65536, None]
    conv_kernels = [m.kernel_size[0] for m in model.modules() if isinstance(m, torch.nn.Conv1d)]
    assert conv_kernels == [4, 4, 4, 2, 1]
    assert model.frontend.mel_basis.shape == (128, 513)


def test_embedding_network_and_16k_variant():
    model = ArtistCNN(sample_rate=16000, hop_length=372, fmax=8000).eval()  # the paper's 3 s and 23 ms hop at 16 kHz
    assert model.classifier is None and model.input_length == 128 * 372
    x = torch.randn(2, model.input_length)
    assert model(x).shape == (2, 256)
    logits, acts = model.forward_intermediates(x, ["block1"], intermediates_only=False)
    assert logits.shape == (2, 256) and acts[0].shape == (2, 128, 32)
    with pytest.raises(ValueError, match="needs at least"):
        model(torch.randn(2, 1000))
    with pytest.raises(ValueError, match="n_frames"):
        ArtistCNN(n_frames=64)


def test_fold_batchnorm_keeps_outputs(patch):
    model = ArtistCNN(n_classes=5)
    model.train()
    for _ in range(3):  # give BatchNorm non-trivial running statistics
        model(patch * 3 + 1)
    model.eval()
    folded = fold_batchnorm(model)
    torch.testing.assert_close(
        folded.forward_intermediates(patch), model.forward_intermediates(patch), rtol=1e-4, atol=1e-4
    )
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in folded.modules()) == 1  # only the input standardiser
