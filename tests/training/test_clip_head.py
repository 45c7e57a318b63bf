"""Checkpoints with a clip-level tag head (save_clip_head) and the tagger that uses it."""

import numpy as np
import pytest
import torch

from sktag import SampleCNNFeatures
from sktag.training import SampleCNNTagger, save_clip_head

LAYERS = ["block2", "block4"]


@pytest.fixture(scope="module")
def tagger_file(tiny_tagger_checkpoint, tmp_path_factory):
    """The tiny tagger's checkpoint (3 tags, ``TINY_SAMPLECNN``) and a folder for the checkpoints made from it."""
    return str(tiny_tagger_checkpoint[1]), tmp_path_factory.mktemp("clip_head")


def _clips():
    rng = np.random.default_rng(1)
    # whole segments with a tail, and one clip shorter than a segment (pooled over the frames it reaches)
    return [(0.3 * rng.standard_normal(n)).astype(np.float32) for n in (1000, 730, 100)]


@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # the 100-sample clip, on purpose
def test_the_tagger_gives_the_sigmoid_of_the_linear_map_of_the_features(tagger_file):
    source, folder = tagger_file
    features = SampleCNNFeatures(weights=source, layers=LAYERS, pooling="max+mean", precision="fp32")
    X = _clips()
    F = features.fit_transform(X)
    assert F.shape == (3, 2 * (8 + 16))
    rng = np.random.default_rng(2)
    coef, intercept = rng.standard_normal((3, F.shape[1])), rng.standard_normal(3)
    path = folder / "with_head.pt"
    save_clip_head(path, source, LAYERS, coef, intercept, meta={"clip_head_fit": "random"}, half=False)
    tagger = SampleCNNTagger.from_checkpoint(path)
    assert tagger.net_.module_.clip_head_layers == tuple(LAYERS)
    expected = 1 / (1 + np.exp(-(F @ coef.T + intercept)))
    np.testing.assert_allclose(tagger.predict_proba(X), expected, rtol=1e-4, atol=1e-5)
    # the blocks are unchanged: the same features; the old tagger averages its segment outputs instead
    again = SampleCNNFeatures(weights=str(path), layers=LAYERS, pooling="max+mean", precision="fp32").fit_transform(X)
    np.testing.assert_array_equal(again, F)
    assert not np.allclose(SampleCNNTagger.from_checkpoint(source).predict_proba(X), expected, atol=1e-3)
    meta = torch.load(path, weights_only=True)["meta"]
    assert meta["clip_head_fit"] == "random" and meta["tags"] == ["calm", "loud", "weird"]


def test_fine_tuning_leaves_the_clip_head_out(tagger_file):
    source, folder = tagger_file
    width = 2 * (8 + 16)
    path = folder / "to_tune.pt"
    save_clip_head(path, source, LAYERS, np.ones((3, width)), np.zeros(3))
    X = _clips()[:2]
    tuned = SampleCNNTagger(weights=str(path), recipe="adam", max_epochs=1, batch_size=2, verbose=0, precision="fp32")
    tuned.cache_dir = str(folder / "tune-cache")
    tuned.fit(X, np.array([[1, 0, 0], [0, 1, 1]], dtype=np.float32))
    assert tuned.net_.module_.clip_head is None and "clip_head" not in tuned.config_
    saved = folder / "tuned.pt"
    tuned.save(saved)
    assert "clip_head" not in torch.load(saved, weights_only=True)["config"]


def test_coefficients_that_do_not_fit_are_refused(tagger_file, tmp_path):
    source, _ = tagger_file
    with pytest.raises(ValueError, match=r"coef must be \(3, 48\)"):
        save_clip_head(tmp_path / "bad.pt", source, LAYERS, np.ones((3, 47)), np.zeros(3))
    with pytest.raises(ValueError, match="intercept"):
        save_clip_head(tmp_path / "bad.pt", source, LAYERS, np.ones((3, 48)), np.zeros(2))
    with pytest.raises(ValueError, match="clip_head names"):
        save_clip_head(tmp_path / "bad.pt", source, ["block9"], np.ones((3, 48)), np.zeros(3))


def test_a_head_for_other_tags_replaces_the_output_layer_with_zeros(tagger_file):
    source, folder = tagger_file
    X = _clips()[:2]
    F = SampleCNNFeatures(weights=source, layers=LAYERS, pooling="max+mean", precision="fp32").fit_transform(X)
    rng = np.random.default_rng(3)
    coef, intercept = rng.standard_normal((2, F.shape[1])), rng.standard_normal(2)
    path = folder / "instruments.pt"
    save_clip_head(path, source, LAYERS, coef, intercept, tags=["flute", "cello"], half=False)
    tagger = SampleCNNTagger.from_checkpoint(path)
    assert list(tagger.classes_) == ["flute", "cello"]
    np.testing.assert_allclose(tagger.predict_proba(X), 1 / (1 + np.exp(-(F @ coef.T + intercept))), rtol=1e-4)
    network = tagger.net_.module_
    assert network.classifier.out_features == 2 and not network.classifier.weight.any()
    with torch.inference_mode():
        assert not network(torch.from_numpy(X[0][:243])[None]).any()  # the segment outputs say nothing
    with pytest.raises(ValueError, match=r"coef must be \(3, 48\)"):
        save_clip_head(folder / "bad.pt", source, LAYERS, coef, intercept, tags=["a", "b", "c"])


def test_the_checkpoints_metrics_stay_with_its_own_tags_only(tagger_file):
    source, folder = tagger_file
    width = 2 * (8 + 16)
    scored = folder / "scored.pt"
    save_clip_head(scored, source, LAYERS, np.ones((3, width)), np.zeros(3), meta={"metrics": {"test": 0.9}})
    assert torch.load(scored, weights_only=True)["meta"]["metrics"] == {"test": 0.9}
    again = folder / "again.pt"
    save_clip_head(again, str(scored), LAYERS, np.ones((3, width)), np.zeros(3))
    assert torch.load(again, weights_only=True)["meta"]["metrics"] == {"test": 0.9}
    other = folder / "other.pt"
    save_clip_head(other, str(scored), LAYERS, np.ones((1, width)), np.zeros(1), tags=["loud"])
    assert "metrics" not in torch.load(other, weights_only=True)["meta"]
