"""The error policy of the feature transformers: raise (default) or warn with NaN rows, never losing good clips."""

import numpy as np
import pytest

from sktag import ArtistCNNFeatures, BagOfFeatures, SampleCNNFeatures
from sktag.audio import AudioError, ClipFailureWarning

SMALL_SAMPLECNN = {"m": 3, "n": 4, "widths": [8, 8, 8, 16], "stem_width": 8}  # 243-sample segments
SMALL_ARTIST = {"sample_rate": 8000, "n_fft": 64, "hop_length": 16, "n_mels": 8, "widths": [4, 4, 4, 4, 8]}


def _transformers():
    return [
        SampleCNNFeatures(weights=None, architecture=SMALL_SAMPLECNN, random_state=0, sample_rate=16000),
        ArtistCNNFeatures(weights=None, architecture=SMALL_ARTIST, random_state=0, sample_rate=8000),
        BagOfFeatures(4, n_mels=8, dictionary="kmeans", random_state=0),
    ]


@pytest.fixture
def messy(tmp_path, write_audio):
    rng = np.random.default_rng(0)
    good_a = rng.standard_normal(4000).astype(np.float32) * 0.1
    good_b = write_audio("good.wav", rng.standard_normal(6000) * 0.1, 16000)
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(write_audio("whole.wav", rng.standard_normal(8000) * 0.1, 16000).read_bytes()[:30])
    random_bytes = tmp_path / "noise.mp3"
    random_bytes.write_bytes(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    empty = tmp_path / "empty.flac"
    empty.write_bytes(b"")
    with_nan = good_a.copy()
    with_nan[10] = np.nan
    missing = str(tmp_path / "missing.ogg")
    X = [good_a, str(truncated), str(good_b), str(random_bytes), str(empty), with_nan, missing]
    return X, [0, 2], {1: "truncated.wav", 3: "noise.mp3", 4: "empty.flac", 5: "X[5]", 6: "missing.ogg"}


@pytest.mark.parametrize("transformer", _transformers(), ids=lambda t: type(t).__name__)
def test_warn_gives_nan_rows_and_keeps_the_good_clips(transformer, messy):
    X, good, bad = messy
    expected = transformer.fit([X[i] for i in good]).transform([X[i] for i in good])
    transformer.set_params(on_error="warn").fit([X[i] for i in good])
    with pytest.warns(ClipFailureWarning, match="5 of 7 clip"):
        features = transformer.transform(X)
    np.testing.assert_allclose(features[good], expected, rtol=1e-5, atol=1e-6)
    assert np.isnan(features[list(bad)]).all()
    assert [name for name, _ in transformer.failed_clips_] == [
        name for name in (X[i] if isinstance(X[i], str) else f"X[{i}]" for i in sorted(bad))
    ]
    for (name, error), fragment in zip(transformer.failed_clips_, bad.values()):
        assert fragment in name and fragment in error


@pytest.mark.parametrize("transformer", _transformers(), ids=lambda t: type(t).__name__)
@pytest.mark.parametrize("bad_index", [1, 3, 4, 5, 6])
def test_raise_names_the_clip(transformer, messy, bad_index):
    X, good, bad = messy
    transformer.fit([X[i] for i in good])
    name = "X[1]" if bad[bad_index].startswith("X[") else bad[bad_index]  # its index in the 2-clip X
    with pytest.raises(AudioError, match=name.replace(".", r"\.").replace("[", r"\[")):
        transformer.transform([X[0], X[bad_index]])


def test_warn_with_the_memory_cache_never_caches_a_failure(messy, tmp_path):
    X, good, bad = messy
    features = SampleCNNFeatures(
        weights=None,
        architecture=SMALL_SAMPLECNN,
        random_state=0,
        sample_rate=16000,
        memory=str(tmp_path / "cache"),
        on_error="warn",
    ).fit(X[:1])
    with pytest.warns(ClipFailureWarning):
        first = features.transform(X)
    with pytest.warns(ClipFailureWarning):
        second = features.transform(X)  # cached clips come back; failed ones fail again, not NaN from the cache
    np.testing.assert_array_equal(first, second)
    assert len(features.failed_clips_) == len(bad)
    plain = SampleCNNFeatures(weights=None, architecture=SMALL_SAMPLECNN, random_state=0, sample_rate=16000).fit(X[:1])
    np.testing.assert_allclose(first[good], plain.transform([X[i] for i in good]), rtol=1e-5, atol=1e-6)


def test_no_failures_no_warning(messy, recwarn):
    X, good, _ = messy
    features = SampleCNNFeatures(
        weights=None, architecture=SMALL_SAMPLECNN, random_state=0, sample_rate=16000, on_error="warn"
    )
    features.fit([X[i] for i in good]).transform([X[i] for i in good])
    assert features.failed_clips_ == []
    assert not [w for w in recwarn if issubclass(w.category, ClipFailureWarning)]


def test_bag_of_features_fit_skips_failed_clips(messy):
    X, good, bad = messy
    with pytest.warns(ClipFailureWarning, match="5 of 7"):
        bof = BagOfFeatures(4, n_mels=8, dictionary="kmeans", random_state=0, on_error="warn").fit(X)
    alone = BagOfFeatures(4, n_mels=8, dictionary="kmeans", random_state=0).fit([X[i] for i in good])
    assert bof.n_patches_ == alone.n_patches_
