"""Fuzzing the transformers (hypothesis): any array or file in, correct features or an AudioError naming the clip
out."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sktag import ArtistCNNFeatures, BagOfFeatures, SampleCNNFeatures
from sktag.audio import AudioError

TINY_SAMPLECNN = {"m": 2, "n": 3, "widths": [4, 4, 8], "stem_width": 4}  # 16-sample segments
TINY_ARTIST = {"sample_rate": 8000, "n_fft": 64, "hop_length": 16, "n_mels": 8, "widths": [4, 4, 4, 4, 8]}
# Any length, zero-padded to one segment where it is shorter: the warning saying so is expected.
pytestmark = pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _fitted():
    rng = np.random.default_rng(0)
    clips = [rng.standard_normal(4000).astype(np.float32) * 0.1 for _ in range(3)]
    return [
        SampleCNNFeatures(weights=None, architecture=TINY_SAMPLECNN, random_state=0, sample_rate=8000).fit(clips),
        ArtistCNNFeatures(weights=None, architecture=TINY_ARTIST, random_state=0, sample_rate=8000).fit(clips),
        BagOfFeatures(4, n_mels=8, dictionary="kmeans", random_state=0, sample_rate=8000).fit(clips),
    ]


TRANSFORMERS = _fitted()
REFERENCE = np.random.default_rng(1).standard_normal(3000).astype(np.float32) * 0.1

# Values: ordinary, huge, denormal, clipped, and the non-finite ones.
_special = st.sampled_from([0.0, 1.0, -1.0, 1e-42, -1e-42, 1e30, -1e30, np.nan, np.inf, -np.inf])
_arrays = st.one_of(
    hnp.arrays(
        st.sampled_from([np.float32, np.float64]),
        st.integers(0, 30_000),
        elements=st.one_of(st.floats(-2, 2, width=32), _special),
    ),
    hnp.arrays(st.sampled_from([np.int16, np.int32, np.uint8, np.int8]), st.integers(0, 30_000)),
    hnp.arrays(np.float32, st.tuples(st.integers(0, 3), st.integers(0, 3000)), elements=st.floats(-1, 1, width=32)),
)


def _check_outcome(transformer, X, bad_name):
    """Finite features of the right shape with the good clip's row unchanged, or an AudioError naming the clip."""
    try:
        features = transformer.transform(X)
    except AudioError as exc:
        assert exc.clip == bad_name and bad_name in str(exc)
        return
    except (TypeError, ValueError) as exc:  # wrong shapes and kinds of X itself: also documented
        assert not isinstance(exc, AudioError)
        return
    assert features.shape == (len(X), len(transformer.get_feature_names_out()))
    assert np.isfinite(features).all()
    np.testing.assert_allclose(features[0], transformer.transform([REFERENCE])[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=lambda t: type(t).__name__)
@FUZZ
@given(y=_arrays)
def test_arrays_of_any_dtype_shape_length_and_value(transformer, y):
    _check_outcome(transformer, [REFERENCE, y], "X[1]")


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=lambda t: type(t).__name__)
@FUZZ
@given(data=st.data())
def test_damaged_files_under_audio_extensions(transformer, data, fixtures_dir, tmp_path_factory):
    source = (fixtures_dir / "short_0p5s_16k.wav").read_bytes()
    flac = (fixtures_dir / "stereo_44k_10s.flac").read_bytes()[:20_000]
    kind = data.draw(st.sampled_from(["truncated", "bit_flipped", "random"]))
    original = data.draw(st.sampled_from([source, flac]))
    if kind == "truncated":
        payload = original[: data.draw(st.integers(0, len(original)))]
    elif kind == "bit_flipped":
        payload = bytearray(original)
        for position in data.draw(st.lists(st.integers(0, len(original) - 1), min_size=1, max_size=20)):
            payload[position] ^= 1 << data.draw(st.integers(0, 7))
        payload = bytes(payload)
    else:
        payload = data.draw(st.binary(max_size=4000))
    extension = data.draw(st.sampled_from([".wav", ".flac", ".mp3", ".ogg"]))
    path = tmp_path_factory.mktemp("fuzz") / f"clip{extension}"
    path.write_bytes(payload)
    _check_outcome(transformer, [REFERENCE, str(path)], str(path))


@pytest.mark.parametrize("transformer", TRANSFORMERS[1:], ids=lambda t: type(t).__name__)
def test_overflowing_samples_are_refused_not_turned_into_inf(transformer):
    # Found by the fuzzer: [1e30] made the log-mel front end overflow to inf features.
    with pytest.raises(AudioError, match=r"X\[1\].*not finite"):
        transformer.transform([REFERENCE, np.full(3000, 1e30, dtype=np.float32)])
