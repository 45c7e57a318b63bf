"""ArtistCNNFeatures: the shared transformer contract over the artist-label CNN."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktag import ArtistCNNFeatures, SampleCNNFeatures
from sktag.nn import ArtistCNN, SampleCNN
from sktag.weights import save_checkpoint
from tests.features.test_samplecnn import _philharmonia

SMALL = {"sample_rate": 8000, "n_fft": 256, "hop_length": 64, "n_mels": 32}  # 8192-sample segments


@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # most notes are shorter than a segment
def test_pipeline_on_real_clips_beats_chance():
    """Random-init features of the paper's configuration separate cello from flute."""
    X_train, y_train = _philharmonia("train", 20)
    X_test, y_test = _philharmonia("test", 15)
    features = ArtistCNNFeatures(weights=None, random_state=0)
    clf = make_pipeline(features, StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
    assert features.analysis_rate_ == 22050 and features.segment_length_ == 65536
    assert clf.score(X_test, y_test) >= 0.7


def test_checkpoint_is_loaded_and_a_samplecnn_checkpoint_is_refused(tmp_path):
    torch.manual_seed(0)
    net = ArtistCNN(n_classes=4, **SMALL)
    net.train()
    net(torch.randn(4, 8192))  # non-trivial input standardisation statistics
    net.eval()
    path = tmp_path / "artist.pt"
    save_checkpoint(path, net, config={"n_classes": 4, **SMALL}, meta={"sample_rate": 8000})
    y = np.random.default_rng(1).standard_normal(8192 * 3).astype(np.float32)
    features = ArtistCNNFeatures(weights=str(path), layers=["block5", "embedding"], pooling="mean", device="cpu").fit(
        [y]
    )  # the reference runs on the CPU
    with torch.inference_mode():
        acts = net.forward_intermediates(torch.from_numpy(y.reshape(3, 8192)), ["block5", "embedding"])
    expected = np.concatenate([a.mean(-1).mean(0).numpy() for a in acts])
    np.testing.assert_allclose(features.transform([y])[0], expected, rtol=1e-4, atol=1e-5)
    assert list(features.get_feature_names_out()[:1]) == ["block5_mean_mean_0000"]

    sample_cnn = tmp_path / "samplecnn.pt"
    save_checkpoint(sample_cnn, SampleCNN(m=3, n=4), config={"m": 3, "n": 4}, meta={"sample_rate": 8000})
    with pytest.raises(ValueError, match="holds architecture 'SampleCNN', but ArtistCNNFeatures runs 'ArtistCNN'"):
        ArtistCNNFeatures(weights=str(sample_cnn)).fit([y])
    with pytest.raises(ValueError, match="holds architecture 'ArtistCNN', but SampleCNNFeatures"):
        SampleCNNFeatures(weights=str(path)).fit([y])


def test_unknown_layer_names_the_artist_layers():
    with pytest.raises(ValueError, match="embedding"):
        ArtistCNNFeatures(weights=None, architecture=SMALL, layers=["block9"]).fit([np.zeros(100)])
