"""The HEAR API: the rules of the HEAR validator (hearbenchmark/hear-validator), encoded as tests."""

import math

import numpy as np
import pytest
import torch

from sktag import SampleCNNFeatures, hear
from sktag.nn import SampleCNN
from sktag.weights import save_checkpoint


@pytest.fixture(scope="module")
def model():
    return hear.load_model()


def _noise(n_sounds, seconds, sample_rate, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand((n_sounds, int(seconds * sample_rate)), generator=generator) * 2 - 1


def test_model_attributes(model):
    assert isinstance(model, torch.nn.Module)
    assert model.sample_rate in (16000, 22050, 44100, 48000)
    assert isinstance(model.scene_embedding_size, int) and isinstance(model.timestamp_embedding_size, int)
    assert (model.scene_embedding_size, model.timestamp_embedding_size) == (1024, 1536)  # 3^9 widths


@pytest.mark.parametrize("seconds", [1.07, 1.98, 4.0])
def test_timestamp_embeddings_follow_the_validator_rules(model, seconds):
    embeddings, timestamps = hear.get_timestamp_embeddings(_noise(2, seconds, model.sample_rate), model)
    assert embeddings.dtype == torch.float32 and embeddings.ndim == 3 and timestamps.ndim == 2
    assert embeddings.shape[0] == 2 and embeddings.shape[:2] == timestamps.shape
    assert embeddings.shape[2] == model.timestamp_embedding_size
    steps = np.diff(timestamps.numpy())
    average = steps.mean()
    assert np.abs(steps - average).max() <= 1  # regular: no deviation above 1 ms
    assert average <= 50  # the validator's suggested bound for transcription tasks
    first, last = float(timestamps.min()), float(timestamps.max())
    assert first <= average
    assert 1000 * seconds - average <= last <= 1000 * seconds  # embeddings up to the end, none past it
    assert torch.isfinite(embeddings).all()


def test_scene_embeddings_follow_the_validator_rules(model):
    embeddings = hear.get_scene_embeddings(_noise(4, 2.74, model.sample_rate), model)
    assert embeddings.dtype == torch.float32 and embeddings.shape == (4, model.scene_embedding_size)
    assert torch.isfinite(embeddings).all() and not torch.allclose(embeddings[0], embeddings[1])


def test_a_sound_gets_the_same_embeddings_alone_and_in_a_batch(model):
    audio = _noise(3, 1.5, model.sample_rate, seed=1)
    together, _ = hear.get_timestamp_embeddings(audio, model)
    alone, _ = hear.get_timestamp_embeddings(audio[1:2], model)
    torch.testing.assert_close(together[1:2], alone, rtol=1e-5, atol=1e-5)


def test_scene_embeddings_are_sktag_multi_level_features(model):
    audio = _noise(1, 2 * 59049 / 16000, 16000, seed=2)  # two whole segments
    scene = hear.get_scene_embeddings(audio, model).numpy()
    features = SampleCNNFeatures("default", layers=model.scene_layers).fit_transform(audio.numpy())
    np.testing.assert_allclose(scene, features, rtol=1e-4, atol=1e-5)


@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # SampleCNNFeatures warns of the 0.5 s sound
def test_a_sound_shorter_than_a_segment_is_pooled_over_the_frames_it_reaches(model):
    audio = _noise(2, 0.5, 16000, seed=4)  # 8000 samples: 2 of block7's 9 frames
    scene = hear.get_scene_embeddings(audio, model).numpy()
    features = SampleCNNFeatures("default", layers=model.scene_layers).fit_transform(audio.numpy())
    np.testing.assert_allclose(scene, features, rtol=1e-4, atol=1e-5)
    padded = torch.nn.functional.pad(audio, (0, 59049 - 8000))  # a whole segment of which most is silence
    whole = hear.get_scene_embeddings(padded, model).numpy()
    assert np.abs(scene - whole).max() > 1e-3
    frames, _ = hear.get_timestamp_embeddings(audio, model)  # frames keep the padding: those past the end are cut
    assert frames.shape[1] == math.ceil(8000 / model.timestamp_hop - 0.5)


def test_timestamp_frames_carry_each_layer_at_its_place(model):
    audio = _noise(1, 59049 / 16000, 16000, seed=3)
    frames, _ = hear.get_timestamp_embeddings(audio, model)
    block5, block9 = model.network.forward_intermediates(audio, ["block5", "block9"])
    torch.testing.assert_close(frames[0, :, :256], block5[0].T, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(frames[0, 40, -512:], block9[0, :, 0], rtol=1e-5, atol=1e-5)


def test_timestamps_do_not_drift_on_long_audio():
    timestamps = hear.frame_timestamps(100_000, 1102, 44100).numpy()  # about 42 minutes
    expected = (np.arange(100_000) + 0.5) * 1102 / 44100 * 1000
    assert np.abs(timestamps - expected).max() < 0.5


def test_load_model_from_a_checkpoint_with_chosen_layers_and_clear_errors(tmp_path):
    network = SampleCNN(3, 4, widths=[8, 8, 16, 16], stem_width=8)
    path = tmp_path / "tiny.pt"
    save_checkpoint(
        path, network, config={"m": 3, "n": 4, "widths": [8, 8, 16, 16], "stem_width": 8}, meta={"sample_rate": 22050}
    )
    model = hear.load_model(str(path), timestamp_layers=["block2", "block4"], scene_layers=["block4"])
    assert (model.sample_rate, model.timestamp_embedding_size, model.scene_embedding_size) == (22050, 24, 16)
    assert model.timestamp_hop == 27
    frames, timestamps = hear.get_timestamp_embeddings(_noise(2, 0.1, 22050), model)
    assert frames.shape == (2, timestamps.shape[1], 24) and timestamps[0, 1] - timestamps[0, 0] == pytest.approx(
        27 / 22.05, abs=1e-4
    )
    with pytest.raises(ValueError, match="unknown or global layer"):
        hear.load_model(str(path), scene_layers=["fc"])
    save_checkpoint(
        path, network, config={"m": 3, "n": 4, "widths": [8, 8, 16, 16], "stem_width": 8}, meta={"sample_rate": 8000}
    )
    with pytest.raises(ValueError, match="HEAR admits"):
        hear.load_model(str(path))
    with pytest.raises(ValueError, match="n_sounds, n_samples"):
        hear.get_scene_embeddings(torch.zeros(16000), model)
    with pytest.raises(ValueError, match="NaN"):
        hear.get_scene_embeddings(torch.full((1, 100), float("nan")), model)
