"""MelCNN (the multi-scale local log-mel CNNs of arXiv:1703.01793): shapes, layers, errors, training, features."""

import numpy as np
import pytest
import torch
from test_training import _tone_clips  # two classes of tones in noise

from sktag import MelCNNFeatures, MultiScaleFeatures
from sktag.nn import SPL_POOL_SIZES, ArtistCNN, MelCNN
from sktag.training import ArtistCNNTagger, MelCNNTagger


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


TINY = {"sample_rate": 8000, "n_fft": 128, "hop_length": 32, "n_mels": 16, "n_frames": 18, "widths": [8, 8, 16]}


def test_tagger_learns_tags_and_its_checkpoint_feeds_multi_scale_features(tmp_path):
    X, y = _tone_clips(seconds=0.5)
    tagger = MelCNNTagger(
        architecture=TINY,
        recipe="adam",
        lr=3e-3,
        max_epochs=8,
        batch_size=4,
        cache_dir=str(tmp_path / "cache"),
        random_state=0,
        verbose=0,
        precision="fp32",
    )
    tagger.fit(X, y, X_valid=X, y_valid=y, tags=["low", "high"])
    assert tagger.analysis_rate_ == 8000 and tagger.score(X, y) > 0.8
    path = tmp_path / "mel18.pt"
    tagger.save(path, half=False)
    features = MelCNNFeatures(weights=str(path)).fit(X)
    assert features.layers_ == ["block1", "block2", "block3"]  # every conv layer, as the paper aggregates
    assert features.transform(X).shape == (12, 8 + 8 + 16)
    scales = MultiScaleFeatures(
        [
            ("f18", MelCNNFeatures(weights=str(path))),
            ("f27", MelCNNFeatures(weights=None, architecture={**TINY, "n_frames": 27}, random_state=0)),
        ]
    ).fit(X)
    Z = scales.transform(X)
    assert Z.shape == (12, 32 + 32) and np.isfinite(Z).all()
    np.testing.assert_allclose(Z[:, :32], features.transform(X), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="holds architecture 'MelCNN', but ArtistCNNTagger"):
        ArtistCNNTagger(str(path), recipe="adam", cache_dir=str(tmp_path / "cache")).fit(X, y)
