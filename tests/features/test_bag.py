"""BagOfFeatures: the chunked log-mel front end, patch sampling, whitening, encodings, pooling."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sktag import BagOfFeatures
from sktag.audio import AudioError, load
from sktag.clips import validate_clips
from sktag.features import _logmel
from sktag.features.bag import _patches
from sktag.nn.mel import LogMelSpectrogram

SR = 16000

# Sparse coding (the default dictionary, and encoding="lasso") runs scikit-learn's coordinate-descent lasso, whose
# duality gap on these few synthetic patches stalls just above its tolerance (5.08e-08 against 4.99e-08): a
# ConvergenceWarning per mini-batch that says nothing about what these tests check.
pytestmark = pytest.mark.filterwarnings("ignore:Objective did not converge:sklearn.exceptions.ConvergenceWarning")


def _tone(freq, seconds=1.0, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _noise(seed, seconds=1.0, sr=SR):
    return (0.1 * np.random.default_rng(seed).standard_normal(int(seconds * sr))).astype(np.float32)


@pytest.mark.parametrize("chunk", [4096, 7])
def test_clip_log_mel_equals_the_centred_front_end(fixtures_dir, monkeypatch, chunk):
    monkeypatch.setattr(_logmel, "CHUNK_FRAMES", chunk)  # 7: many chunk boundaries inside the clip
    path = str(fixtures_dir / "game_music" / "wesnoth_t002_c00.mp3")
    frontend = _logmel.mel_frontend(SR, 128)
    assert (frontend.n_fft, frontend.hop_length) == (1024, 372)  # the artist CNN's 16 kHz front end
    frames = _logmel.clip_log_mel(validate_clips([path])[0], frontend=frontend, sample_rate=SR, input_rate=None)
    y, _ = load(path, sr=SR)
    expected = LogMelSpectrogram(SR, 1024, 372, 128)(torch.from_numpy(y)[None])[0].T.numpy()
    assert frames.shape == expected.shape == (1 + len(y) // 372, 128)
    np.testing.assert_allclose(frames, expected, rtol=0, atol=1e-5)


def test_clip_log_mel_refuses_an_empty_clip():
    frontend = _logmel.mel_frontend(SR, 16)
    with pytest.raises(AudioError, match="X\\[0\\].*no samples"):
        _logmel.clip_log_mel(("X[0]", np.zeros(0, np.float32)), frontend=frontend, sample_rate=SR, input_rate=None)


def test_onset_peaks_find_the_bursts():
    frontend = _logmel.mel_frontend(SR, 64)
    signal = np.zeros(3 * SR, np.float32)
    onsets_s = [0.5, 1.3, 2.2]
    note = _tone(1000, 0.4) * np.exp(-np.arange(int(0.4 * SR)) / (0.05 * SR))  # plucked: sharp attack, decay
    for start in onsets_s:
        signal[int(start * SR) : int(start * SR) + len(note)] = note
    frames = _logmel.clip_log_mel(("x", signal), frontend=frontend, sample_rate=SR, input_rate=None)
    peaks = _logmel.onset_peaks(frames)
    expected = [round(s * SR / 372) for s in onsets_s]
    assert len(peaks) == len(expected)
    assert np.all(np.abs(peaks - expected) <= 2)


def test_patches_are_consecutive_frames_frame_major():
    frames = np.arange(5 * 3, dtype=np.float32).reshape(5, 3)
    patches = _patches(frames, 2)
    assert patches.shape == (4, 6)
    np.testing.assert_array_equal(patches[1], frames[1:3].reshape(-1))


def _clips():
    return [_tone(f) for f in (220, 330, 440)] + [_noise(s) for s in range(3)]


@pytest.mark.parametrize(
    "params, width",
    [
        ({}, 16),
        ({"dictionary": "kmeans", "encoding": "triangle"}, 16),
        ({"encoding": "lasso", "nonlinearity": "split"}, 32),
        ({"nonlinearity": "abs", "aggregate": "mean_std"}, 32),
        ({"patch_sampling": "onset", "dictionary": "kmeans"}, 16),
    ],
)
def test_shapes_names_and_reproducibility(params, width):
    clips = _clips()
    bof = BagOfFeatures(16, max_patches=600, n_mels=32, random_state=0, **params).fit(clips)
    features = bof.transform(clips)
    assert features.shape == (len(clips), width) and features.dtype == np.float32
    assert np.isfinite(features).all()
    names = bof.get_feature_names_out()
    assert len(names) == width and len(set(names)) == width
    assert bof.atoms_.shape == (16, bof.n_components_)
    assert bof.whitening_.shape == (8 * 32, bof.n_components_)
    again = BagOfFeatures(16, max_patches=600, n_mels=32, random_state=0, **params).fit(clips).transform(clips)
    np.testing.assert_array_equal(features, again)
    if params.get("encoding") == "triangle" or "nonlinearity" not in params:
        assert features.min() >= 0


def test_whitening_whitens_and_keeps_the_asked_variance():
    clips = _clips()
    bof = BagOfFeatures(8, max_patches=2000, n_mels=16, variance=0.8, whiten_epsilon=0.0, random_state=0).fit(clips)
    frontend = _logmel.mel_frontend(SR, 16)
    patches = np.concatenate([_patches(bof._frames(c, frontend), 8) for c in validate_clips(clips)])
    whitened = bof._whiten(patches)
    covariance = np.cov(whitened, rowvar=False)
    np.testing.assert_allclose(np.diag(covariance), 1, atol=0.25)  # the drawn patches are a sample of these
    assert bof.n_components_ < 8 * 16


def test_patch_budget_is_shared_across_clips():
    clips = _clips()
    bof = BagOfFeatures(4, max_patches=100, n_mels=16, dictionary="kmeans", random_state=0).fit(clips)
    assert bof.n_patches_ == 100  # 17 or 16 from each of 6 one-second clips (36 patches each)
    many = [_noise(s, 0.2) for s in range(12)]
    bof = BagOfFeatures(2, max_patches=5, n_mels=16, dictionary="kmeans", random_state=0).fit(many)
    assert bof.n_patches_ == 5


def test_soft_threshold_zeroes_small_projections():
    clips = _clips()
    bof = BagOfFeatures(8, max_patches=400, n_mels=16, threshold=1e6, random_state=0).fit(clips)
    assert not bof.transform(clips).any()


def test_max_pooling_windows_and_mean_std():
    bof = BagOfFeatures(4, n_mels=16, pool_frames=10, aggregate="mean_std", random_state=0)
    bof.fit(_clips())
    frames = bof._frames(("x", _noise(7, 2.0)), _logmel.mel_frontend(SR, 16))
    codes = bof._encode(bof._whiten(_patches(frames, 8)))
    pooled = np.stack([codes[i : i + 10].max(axis=0) for i in range(0, len(codes), 10)])
    np.testing.assert_allclose(
        bof._clip_features(frames), np.concatenate([pooled.mean(0), pooled.std(0)]), rtol=1e-5, atol=1e-6
    )


def test_triangle_with_split_is_refused():
    with pytest.raises(ValueError, match="non-negative"):
        BagOfFeatures(4, encoding="triangle", nonlinearity="split").fit(_clips())


def test_too_few_patches_for_the_dictionary():
    with pytest.raises(ValueError, match="n_samples = 1.*16 atoms"):
        BagOfFeatures(16, n_mels=16).fit([_noise(0, 0.01)])


def test_a_missing_file_is_named(tmp_path):
    missing = str(tmp_path / "gone.mp3")
    with pytest.raises(FileNotFoundError, match="gone.mp3"):
        BagOfFeatures(4).fit([missing])


def test_short_clips_are_padded_to_one_patch_and_long_ones_are_chunked(monkeypatch):
    monkeypatch.setattr("sktag.features.bag._ENCODE_CHUNK", 64)
    bof = BagOfFeatures(8, n_mels=16, dictionary="kmeans", random_state=0).fit(_clips())
    short, long = _noise(1, 0.05), _noise(2, 12.0)
    features = bof.transform([short, long])
    assert np.isfinite(features).all()
    frames = bof._frames(("x", long), _logmel.mel_frontend(SR, 16))
    monkeypatch.setattr("sktag.features.bag._ENCODE_CHUNK", 10**6)
    np.testing.assert_allclose(features[1], bof._clip_features(frames), rtol=1e-5, atol=1e-6)


def test_pickles_and_sets_pandas_output():
    pytest.importorskip("pandas")
    clips = _clips()
    bof = BagOfFeatures(8, n_mels=16, dictionary="kmeans", random_state=0).fit(clips)
    restored = pickle.loads(pickle.dumps(bof))
    np.testing.assert_array_equal(restored.transform(clips), bof.transform(clips))
    frame = bof.set_output(transform="pandas").transform(clips)
    assert list(frame.columns) == list(bof.get_feature_names_out())


def test_separates_tones_from_noise_in_a_pipeline():
    rng = np.random.default_rng(0)
    tones = [_tone(f) for f in rng.uniform(200, 2000, 12)]
    noises = [_noise(s) for s in range(12)]
    X, y = tones + noises, [1] * 12 + [0] * 12
    clf = make_pipeline(BagOfFeatures(16, n_mels=32, dictionary="kmeans", random_state=0), LogisticRegression())
    clf.fit(X[::2], y[::2])
    assert clf.score(X[1::2], y[1::2]) == 1.0
