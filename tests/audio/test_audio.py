"""Tests for sktag.audio: decoding, validation, mono mix-down, resampling, segmenting."""

import csv
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr
from hypothesis import given, settings
from hypothesis import strategies as st

from sktag import audio
from sktag.audio import AudioError, AudioFileNotFoundError, AudioTypeError

SINE_SR = 22050
SINE_HZ = 440.0
SINE_AMP = 0.5

GAME_MUSIC_SAMPLES = 467136


def _sine(sr=SINE_SR, seconds=2.0, hz=SINE_HZ, amp=SINE_AMP):
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _dominant_hz(y, sr):
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spectrum)]


def _rms(y):
    return float(np.sqrt(np.mean(np.asarray(y, np.float64) ** 2)))


def _fixture_rows(fixtures_dir):
    with open(fixtures_dir / "fixtures.csv", newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------------------
# Shared fixture clips
# ---------------------------------------------------------------------------


def test_fixtures_csv_lists_every_clip(fixtures_dir):
    rows = _fixture_rows(fixtures_dir)
    listed = {r["path"] for r in rows}
    on_disk = {
        str(p.relative_to(fixtures_dir)) for p in fixtures_dir.rglob("*") if p.suffix in {".mp3", ".wav", ".flac"}
    }
    assert listed == on_disk
    assert len(rows) == 18


def test_load_every_fixture_matches_csv(fixtures_dir):
    """Each shared clip decodes (mono float32) at its native rate and with its listed duration."""
    for row in _fixture_rows(fixtures_dir):
        path = fixtures_dir / row["path"]
        y, sr = audio.load(path)
        assert sr == int(row["sample_rate"]), row["path"]
        assert y.dtype == np.float32 and y.ndim == 1, row["path"]
        assert abs(len(y) / sr - float(row["duration_s"])) <= 6e-4, row["path"]
        assert np.isfinite(y).all() and np.abs(y).max() <= 1.0, row["path"]
        assert _rms(y) > 1e-3, row["path"]  # not silence


def test_game_music_mp3_decodes_to_expected_length(fixtures_dir):
    paths = sorted((fixtures_dir / "game_music").glob("*.mp3"))
    assert len(paths) == 6
    for path in paths:
        blocks = list(audio.stream(path, block_frames=10000))
        assert all(b.dtype == np.float32 and b.ndim == 1 for b in blocks)
        assert sum(len(b) for b in blocks) == GAME_MUSIC_SAMPLES, path.name
        y, sr = audio.load(path, sr=16000)
        assert sr == 16000 and len(y) == GAME_MUSIC_SAMPLES
        np.testing.assert_array_equal(np.concatenate(blocks), y)


def test_mp3_fixture_matches_soundfile_decode(fixtures_dir):
    path = fixtures_dir / "game_music" / "wesnoth_t002_c00.mp3"
    y, sr = audio.load(path)
    ref, ref_sr = soundfile.read(path, dtype="float32")
    assert sr == ref_sr == 16000
    np.testing.assert_array_equal(y, ref)


@pytest.mark.parametrize("name", ["philh_02174.mp3", "philh_02175.mp3", "philh_02176.mp3"])
def test_philharmonia_flute_a4_pitch(fixtures_dir, name):
    y, sr = audio.load(fixtures_dir / "philharmonia" / name)
    assert abs(_dominant_hz(y, sr) - 440.0) < 15.0


@pytest.mark.parametrize("name", ["philh_00677.mp3", "philh_00678.mp3", "philh_00679.mp3"])
def test_philharmonia_cello_a2_dominant_is_a_harmonic(fixtures_dir, name):
    y, sr = audio.load(fixtures_dir / "philharmonia" / name)
    ratio = _dominant_hz(y, sr) / 110.0
    assert ratio > 0.9 and abs(ratio - round(ratio)) < 0.05 * round(ratio)


@pytest.mark.parametrize("name", ["0_jackson_0.wav", "1_nicolas_0.wav", "7_theo_0.wav", "9_yweweler_0.wav"])
def test_fsdd_wav_exact_samples(fixtures_dir, name):
    path = fixtures_dir / "fsdd" / name
    y, sr = audio.load(path)
    pcm, pcm_sr = soundfile.read(path, dtype="int16")
    assert sr == pcm_sr == 8000
    # int16 PCM scaled by check_audio equals the file decoded as float32
    np.testing.assert_array_equal(y, audio.check_audio(pcm, clip=name))
    np.testing.assert_array_equal(y, pcm.astype(np.float32) / 32768)


def test_fsdd_wav_resampled_to_16k(fixtures_dir):
    path = fixtures_dir / "fsdd" / "0_jackson_0.wav"
    y8, _ = audio.load(path)
    y16, sr = audio.load(path, sr=16000)
    assert sr == 16000 and y16.dtype == np.float32
    assert len(y16) == 2 * len(y8)
    np.testing.assert_allclose(y16, soxr.resample(y8, 8000, 16000, quality="HQ"), atol=1e-6)
    assert _rms(y16) == pytest.approx(_rms(y8), rel=0.05)


def test_short_wav_fixture(fixtures_dir):
    path = fixtures_dir / "short_0p5s_16k.wav"
    y, sr = audio.load(path)
    assert sr == 16000 and y.shape == (8000,) and y.dtype == np.float32
    segments = list(audio.iter_segments(audio.stream(path), length=59049, hop=59049))
    assert len(segments) == 1 and segments[0].shape == (59049,)
    np.testing.assert_array_equal(segments[0][:8000], y)
    assert not segments[0][8000:].any()
    np.testing.assert_array_equal(audio.frame(y, length=59049, hop=59049), np.stack(segments))


def test_stereo_flac_fixture_stream_equals_mono_then_resample(fixtures_dir):
    path = fixtures_dir / "stereo_44k_10s.flac"
    both, file_sr = soundfile.read(path, dtype="float32", always_2d=True)
    assert both.shape == (441000, 2) and file_sr == 44100
    assert not np.array_equal(both[:, 0], both[:, 1])  # really stereo
    mono = both.mean(axis=1, dtype=np.float32)

    y, sr = audio.load(path)
    assert sr == 44100
    np.testing.assert_allclose(y, mono, atol=1e-7)
    np.testing.assert_allclose(audio.to_mono(both.T), mono, atol=1e-7)

    expected = soxr.resample(mono, 44100, 16000, quality="HQ")
    assert len(expected) == 160000
    for block_frames in (audio.BLOCK_FRAMES, 4097, 441000, 500000):
        blocks = list(audio.stream(path, sr=16000, block_frames=block_frames))
        assert all(b.dtype == np.float32 for b in blocks)
        y16 = np.concatenate(blocks)
        assert y16.shape == (160000,)
        np.testing.assert_allclose(y16, expected, atol=1e-6, err_msg=f"block_frames={block_frames}")


def test_stream_segments_equal_frame_of_load(fixtures_dir):
    path = fixtures_dir / "stereo_44k_10s.flac"
    y, _ = audio.load(path, sr=16000)
    for length, hop in [(59049, 59049), (59049, 16000), (3**9, 30000)]:
        got = np.stack(list(audio.iter_segments(audio.stream(path, sr=16000), length=length, hop=hop)))
        want = audio.frame(y, length=length, hop=hop)
        assert got.shape == want.shape == (1 + (160000 - length) // hop, length)
        np.testing.assert_allclose(got, want, atol=1e-6)


# ---------------------------------------------------------------------------
# Files written on the fly: wav / flac / ogg / mp3
# ---------------------------------------------------------------------------


def test_wav_int16_exact_and_sine_content(write_audio):
    x = _sine()
    path = write_audio("sine.wav", x, SINE_SR, subtype="PCM_16")
    y, sr = audio.load(path)
    assert sr == SINE_SR and y.dtype == np.float32 and y.shape == x.shape
    pcm, _ = soundfile.read(path, dtype="int16")
    np.testing.assert_array_equal(y, pcm / np.float32(32768))
    np.testing.assert_allclose(y, x, atol=1 / 32768)
    assert _rms(y) == pytest.approx(SINE_AMP / np.sqrt(2), rel=1e-3)

    y16, sr16 = audio.load(path, sr=16000)
    assert sr16 == 16000 and y16.dtype == np.float32 and y16.ndim == 1
    assert len(y16) == round(len(x) * 16000 / SINE_SR)
    assert abs(_dominant_hz(y16, 16000) - SINE_HZ) < 2.0
    assert _rms(y16) == pytest.approx(_rms(y), rel=0.01)


def test_wav_float_exact(write_audio):
    x = _sine(seconds=0.3) * np.float32(1.5)  # float wav may exceed [-1, 1]; kept as is
    path = write_audio("f.wav", x, 8000, subtype="FLOAT")
    y, sr = audio.load(path)
    assert sr == 8000
    np.testing.assert_array_equal(y, x)


def test_flac_three_channels_to_mono(write_audio):
    x = _sine()
    channels = np.stack([x, 0.5 * x, -x], axis=1)  # (n, 3)
    path = write_audio("three.flac", channels, SINE_SR, subtype="PCM_24")
    assert soundfile.info(path).channels == 3

    y, sr = audio.load(path)
    assert sr == SINE_SR and y.shape == x.shape and y.dtype == np.float32
    decoded, _ = soundfile.read(path, dtype="float32", always_2d=True)
    np.testing.assert_array_equal(y, decoded.mean(axis=1, dtype=np.float32))
    np.testing.assert_allclose(y, x / 6, atol=1e-6)  # (1 + 0.5 - 1) / 3
    assert _rms(y) == pytest.approx(SINE_AMP / 6 / np.sqrt(2), rel=1e-3)

    y16, _ = audio.load(path, sr=16000)
    assert abs(_dominant_hz(y16, 16000) - SINE_HZ) < 2.0
    np.testing.assert_allclose(y16, soxr.resample(y, SINE_SR, 16000, quality="HQ"), atol=1e-6)


def test_flac_mono_exact(write_audio):
    x = _sine(seconds=1.0)
    path = write_audio("mono.flac", x, SINE_SR, subtype="PCM_16")
    y, _ = audio.load(path)
    pcm, _ = soundfile.read(path, dtype="int16")
    np.testing.assert_array_equal(y, audio.check_audio(pcm))


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("sine.ogg", dict(format="OGG", subtype="VORBIS")),
        ("sine.mp3", dict(format="MP3", subtype="MPEG_LAYER_III")),
    ],
)
def test_lossy_formats_sine(write_audio, name, kwargs):
    x = _sine()
    path = write_audio(name, x, SINE_SR, **kwargs)
    y, sr = audio.load(path)
    assert sr == SINE_SR and y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - len(x)) <= 2048
    assert abs(_dominant_hz(y, SINE_SR) - SINE_HZ) < 2.0
    assert _rms(y) == pytest.approx(_rms(x), rel=0.05)

    blocks = list(audio.stream(path, sr=16000, block_frames=3000))
    assert len(blocks) > 1 and all(b.dtype == np.float32 and b.ndim == 1 for b in blocks)
    y16 = np.concatenate(blocks)
    assert abs(_dominant_hz(y16, 16000) - SINE_HZ) < 2.0
    assert _rms(y16) == pytest.approx(_rms(x), rel=0.05)
    np.testing.assert_allclose(y16, soxr.resample(y, SINE_SR, 16000, quality="HQ"), atol=1e-6)


@pytest.mark.parametrize("file_sr", [16000, 22050, 44100])
def test_mp3_stream_in_small_blocks_equals_whole_decode(write_audio, file_sr):
    """Regression: soundfile's seek after every read re-synced mpg123 and zeroed later blocks."""
    x = _sine(sr=file_sr, seconds=2.0)
    path = write_audio(f"sine_{file_sr}.mp3", x, file_sr, format="MP3", subtype="MPEG_LAYER_III")
    whole, _ = soundfile.read(path, dtype="float32")
    assert _rms(whole) == pytest.approx(_rms(x), rel=0.05)
    for block_frames in (1000, 1152, 4096):
        blocks = list(audio.stream(path, block_frames=block_frames))
        y = np.concatenate(blocks)
        assert y.shape == whole.shape
        np.testing.assert_allclose(y, whole, atol=1e-6, err_msg=f"block_frames={block_frames}")
        assert min(_rms(b) for b in blocks[:-1]) > 0.3, "a block decoded as (near) silence"


def test_mp3_stream_does_not_reseek_decoder(fixtures_dir, capfd):
    """Block reads must not make libmpg123 lose its bit reservoir ("part2_3_length ... too large")."""
    path = fixtures_dir / "game_music" / "nexuiz_t001_c00.mp3"
    capfd.readouterr()
    y = np.concatenate(list(audio.stream(path, block_frames=1000)))
    err = capfd.readouterr().err
    assert len(y) == GAME_MUSIC_SAMPLES
    assert "part2_3_length" not in err


def test_stereo_wav_stream_equals_channel_mean_then_resample(write_audio):
    rng = np.random.default_rng(1)
    stereo = rng.uniform(-0.5, 0.5, size=(30011, 2)).astype(np.float32)
    path = write_audio("stereo.wav", stereo, 44100, subtype="FLOAT")
    mono = stereo.mean(axis=1, dtype=np.float32)
    expected = soxr.resample(mono, 44100, 16000, quality="HQ")
    got = np.concatenate(list(audio.stream(path, sr=16000, block_frames=1000)))
    assert got.shape == expected.shape == (round(30011 * 16000 / 44100),)  # 10888.34 -> 10888
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # without resampling the stream is exactly the channel mean
    np.testing.assert_array_equal(np.concatenate(list(audio.stream(path, block_frames=1000))), mono)


def test_stream_block_sizes_and_exact_multiple(write_audio):
    x = np.linspace(-1, 1, 4096, dtype=np.float32)
    path = write_audio("ramp.wav", x, 8000, subtype="FLOAT")
    blocks = list(audio.stream(path, block_frames=1024))  # file length is an exact multiple
    assert [len(b) for b in blocks] == [1024] * 4
    np.testing.assert_array_equal(np.concatenate(blocks), x)
    blocks = list(audio.stream(path, block_frames=1000))
    assert [len(b) for b in blocks] == [1000] * 4 + [96]
    # resampled stream flushes the resampler at the end even when the last read is empty
    y = np.concatenate(list(audio.stream(path, sr=16000, block_frames=1024)))
    np.testing.assert_allclose(y, soxr.resample(x, 8000, 16000, quality="HQ"), atol=1e-6)


def test_stream_same_rate_is_passthrough(write_audio):
    x = _sine(sr=16000, seconds=0.5)
    path = write_audio("s16.wav", x, 16000, subtype="FLOAT")
    np.testing.assert_array_equal(np.concatenate(list(audio.stream(path, sr=16000))), x)
    np.testing.assert_array_equal(np.concatenate(list(audio.stream(path, sr=16000.0))), x)


def test_load_accepts_str_and_pathlike(write_audio):
    x = _sine(sr=8000, seconds=0.2)
    path = write_audio("p.wav", x, 8000, subtype="FLOAT")
    a, _ = audio.load(path)
    b, _ = audio.load(str(path))
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# check_audio: dtypes, PCM scaling, shapes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype, values, expected",
    [
        (np.int8, [-128, 0, 64, 127], [-1.0, 0.0, 0.5, 127 / 128]),
        (np.int16, [-32768, 0, 16384, 32767], [-1.0, 0.0, 0.5, 32767 / 32768]),
        (np.int32, [-(2**31), 0, 2**30, -(2**29)], [-1.0, 0.0, 0.5, -0.25]),
        (np.int64, [-(2**63), 0, 2**62], [-1.0, 0.0, 0.5]),
        (np.uint8, [0, 128, 192, 255], [-1.0, 0.0, 0.5, 127 / 128]),
    ],
)
def test_check_audio_int_pcm_scaling(dtype, values, expected):
    y = audio.check_audio(np.array(values, dtype=dtype))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, np.array(expected, dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.uint8])
def test_check_audio_int_full_range_in_unit_interval(dtype):
    info = np.iinfo(dtype)
    y = audio.check_audio(np.array([info.min, info.max], dtype=dtype))
    assert y.dtype == np.float32
    assert y[0] == -1.0 and 0.99 < y[1] <= 1.0


def test_check_audio_int16_matches_soundfile_scaling(write_audio):
    pcm = np.array([-32768, -1, 0, 1, 12345, 32767], dtype=np.int16)
    path = write_audio("pcm.wav", pcm, 8000, subtype="PCM_16")
    y, _ = audio.load(path)
    np.testing.assert_array_equal(audio.check_audio(pcm), y)


def test_check_audio_floats():
    y64 = np.array([0.25, -0.5, 1.5], dtype=np.float64)
    y = audio.check_audio(y64)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [0.25, -0.5, 1.5])
    y32 = np.array([0.1, 0.2], dtype=np.float32)
    assert audio.check_audio(y32) is y32  # float32 is not copied
    assert audio.check_audio(np.array([1, 2], dtype=np.float16)).dtype == np.float32


def test_check_audio_multichannel_and_mono_flag():
    y = np.zeros((3, 10), dtype=np.int16)
    y[1] = 16384
    out = audio.check_audio(y)
    assert out.shape == (3, 10) and out.dtype == np.float32
    assert (out[1] == 0.5).all()
    assert audio.check_audio(np.zeros(5), mono=True).shape == (5,)
    with pytest.raises(AudioError, match=r"X\[3\]") as exc:
        audio.check_audio(y, clip="X[3]", mono=True)
    assert not isinstance(exc.value, TypeError)
    assert "(3, 10)" in str(exc.value)


@pytest.mark.parametrize(
    "y",
    [np.array(0.5), np.zeros((2, 3, 4)), np.zeros((1, 1, 1), dtype=np.int16)],
    ids=["0-d", "3-d", "3-d-int"],
)
def test_check_audio_wrong_ndim(y):
    with pytest.raises(AudioError) as exc:
        audio.check_audio(y, clip="clip_07.wav")
    assert isinstance(exc.value, ValueError) and not isinstance(exc.value, TypeError)
    assert "clip_07.wav" in str(exc.value) and exc.value.clip == "clip_07.wav"
    assert str(y.shape) in str(exc.value)


@pytest.mark.parametrize(
    "y",
    [np.zeros(0), np.zeros((2, 0)), np.zeros((0, 5)), np.zeros(0, dtype=np.int16)],
    ids=["(0,)", "(2,0)", "(0,5)", "int16-(0,)"],
)
def test_check_audio_zero_length(y):
    with pytest.raises(AudioError, match="zero length") as exc:
        audio.check_audio(y, clip="empty_clip")
    assert "empty_clip" in str(exc.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_check_audio_non_finite(bad, dtype):
    y = np.zeros((2, 8), dtype=dtype)
    y[1, 3] = bad
    y[0, 0] = bad
    with pytest.raises(AudioError, match="non-finite") as exc:
        audio.check_audio(y, clip="X[12]")
    assert "X[12]" in str(exc.value) and "2 non-finite" in str(exc.value)
    assert not isinstance(exc.value, TypeError)


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_check_audio_float64_overflow_to_inf():
    # finite float64 beyond float32's range becomes inf after the cast; must be rejected
    with pytest.raises(AudioError, match="non-finite"):
        audio.check_audio(np.array([0.0, 1e300]), clip="huge")


@pytest.mark.parametrize(
    "y",
    [
        np.array([True, False]),
        np.array([1 + 2j, 0j]),
        np.array([1.0, 2.0], dtype=object),
        np.array(["a", "b"]),
        [0.1, 0.2, 0.3],
        (0.1, 0.2),
        "clip.wav",
        None,
    ],
    ids=["bool", "complex", "object", "str-array", "list", "tuple", "str", "None"],
)
def test_check_audio_wrong_type(y):
    with pytest.raises(AudioTypeError) as exc:
        audio.check_audio(y, clip="X[5]")
    assert isinstance(exc.value, TypeError) and isinstance(exc.value, ValueError)
    assert isinstance(exc.value, AudioError)
    assert "X[5]" in str(exc.value)


def test_check_audio_default_clip_name():
    with pytest.raises(AudioError, match="'array'"):
        audio.check_audio(np.array([np.nan]))


# ---------------------------------------------------------------------------
# to_mono / resample
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 2, 3, 6])
def test_to_mono_averages_channels(channels):
    rng = np.random.default_rng(channels)
    y = rng.uniform(-1, 1, size=(channels, 257)).astype(np.float32)
    mono = audio.to_mono(y)
    assert mono.shape == (257,) and mono.dtype == np.float32
    np.testing.assert_allclose(mono, y.astype(np.float64).mean(axis=0), atol=1e-6)


def test_to_mono_specific_values_and_1d_identity():
    y = np.array([[1.0, 0.0, -1.0], [0.0, 0.5, 1.0]], dtype=np.float32)
    np.testing.assert_array_equal(audio.to_mono(y), [0.5, 0.25, 0.0])
    x = np.arange(4, dtype=np.float32)
    assert audio.to_mono(x) is x


def test_resample_equal_rates_returns_same_object():
    y = _sine(seconds=0.1)
    assert audio.resample(y, orig_sr=SINE_SR, target_sr=SINE_SR) is y
    assert audio.resample(y, orig_sr=16000, target_sr=16000.0) is y


@pytest.mark.parametrize("n", [1000, 12345, 30011, 441000])
def test_resample_44k_to_16k_length_and_dtype(n):
    y = np.random.default_rng(n).uniform(-0.5, 0.5, n).astype(np.float32)
    out = audio.resample(y, orig_sr=44100, target_sr=16000)
    assert out.dtype == np.float32 and out.ndim == 1
    assert len(out) == round(n * 16000 / 44100)  # soxr rounds to nearest
    np.testing.assert_allclose(out, soxr.resample(y, 44100, 16000, quality="HQ"), atol=1e-7)


def test_resample_preserves_sine():
    y = _sine(sr=44100, seconds=1.0)
    out = audio.resample(y, orig_sr=44100, target_sr=16000)
    assert len(out) == 16000
    assert abs(_dominant_hz(out, 16000) - SINE_HZ) < 2.0
    assert _rms(out[500:-500]) == pytest.approx(SINE_AMP / np.sqrt(2), rel=0.01)
    up = audio.resample(out, orig_sr=16000, target_sr=44100)
    assert len(up) == 44100
    np.testing.assert_allclose(up[1000:-1000], y[1000:-1000], atol=5e-3)


def test_resample_float64_input_gives_float32():
    out = audio.resample(np.zeros(441, dtype=np.float64), orig_sr=44100, target_sr=16000)
    assert out.dtype == np.float32 and len(out) == 160


@pytest.mark.parametrize("orig_sr, target_sr", [(0, 16000), (16000, 0), (-1, 16000), (16000, -8000)])
def test_resample_rejects_non_positive_rates(orig_sr, target_sr):
    with pytest.raises(ValueError, match="positive"):
        audio.resample(np.zeros(10, np.float32), orig_sr=orig_sr, target_sr=target_sr)


# ---------------------------------------------------------------------------
# frame / iter_segments
# ---------------------------------------------------------------------------


def test_frame_shapes_hop_and_view():
    y = np.arange(100, dtype=np.float32)
    segs = audio.frame(y, length=10, hop=10)
    assert segs.shape == (10, 10)
    np.testing.assert_array_equal(segs.ravel(), y)
    assert np.shares_memory(segs, y)
    assert not segs.flags.writeable

    segs = audio.frame(y, length=30, hop=20)  # overlapping, tail dropped
    assert segs.shape == (1 + (100 - 30) // 20, 30) == (4, 30)
    np.testing.assert_array_equal(segs[:, 0], [0, 20, 40, 60])
    np.testing.assert_array_equal(segs[3], y[60:90])
    assert np.shares_memory(segs, y)


def test_frame_hop_larger_than_length():
    y = np.arange(20, dtype=np.float32)
    segs = audio.frame(y, length=3, hop=5)
    np.testing.assert_array_equal(segs, [[0, 1, 2], [5, 6, 7], [10, 11, 12], [15, 16, 17]])


def test_frame_drops_tail():
    y = np.arange(25, dtype=np.float32)
    segs = audio.frame(y, length=10, hop=10)
    assert segs.shape == (2, 10)
    assert segs.max() == 19


def test_frame_exact_length_is_one_segment_view():
    y = np.arange(7, dtype=np.float32)
    segs = audio.frame(y, length=7, hop=3)
    assert segs.shape == (1, 7)
    np.testing.assert_array_equal(segs[0], y)
    assert np.shares_memory(segs, y)


def test_frame_short_clip_zero_padded():
    y = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    segs = audio.frame(y, length=8, hop=4)
    assert segs.shape == (1, 8) and segs.dtype == np.float32
    np.testing.assert_array_equal(segs[0], [1, 2, 3, 0, 0, 0, 0, 0])
    assert not np.shares_memory(segs, y)
    empty = audio.frame(np.zeros(0, np.float32), length=4, hop=4)
    np.testing.assert_array_equal(empty, np.zeros((1, 4)))


def test_frame_non_contiguous_input():
    base = np.arange(40, dtype=np.float32)
    y = base[::2]
    np.testing.assert_array_equal(audio.frame(y, length=4, hop=3), audio.frame(y.copy(), length=4, hop=3))


@pytest.mark.parametrize("length, hop", [(0, 1), (1, 0), (-3, 2), (4, -1)])
def test_frame_and_iter_segments_reject_bad_length_hop(length, hop):
    with pytest.raises(ValueError, match=">= 1"):
        audio.frame(np.zeros(10, np.float32), length=length, hop=hop)
    with pytest.raises(ValueError, match=">= 1"):
        list(audio.iter_segments([np.zeros(10, np.float32)], length=length, hop=hop))


def _split(y, cuts):
    edges = [0, *sorted(cuts), len(y)]
    return [y[a:b] for a, b in zip(edges[:-1], edges[1:])]


@st.composite
def _split_signal(draw):
    n = draw(st.integers(0, 80))
    y = np.arange(1, n + 1, dtype=np.float32)  # non-zero so padding is visible
    cuts = draw(st.lists(st.integers(0, n), max_size=8))  # repeated cuts give empty blocks
    return y, _split(y, cuts)


@settings(max_examples=50, deadline=None)
@given(signal=_split_signal(), length=st.integers(1, 16), hop=st.integers(1, 24))
def test_iter_segments_equals_frame_for_any_block_split(signal, length, hop):
    y, blocks = signal
    got = list(audio.iter_segments(blocks, length=length, hop=hop))
    want = audio.frame(y, length=length, hop=hop)
    expected_count = 1 + (len(y) - length) // hop if len(y) >= length else 1
    assert len(got) == len(want) == expected_count
    assert all(s.shape == (length,) and s.dtype == np.float32 for s in got)
    np.testing.assert_array_equal(np.stack(got), want)


@pytest.mark.parametrize("length, hop", [(4, 4), (4, 2), (3, 7), (5, 1), (10, 3)])
def test_iter_segments_explicit_splits(length, hop):
    y = np.arange(1, 38, dtype=np.float32)
    want = audio.frame(y, length=length, hop=hop)
    for cuts in ([], [1], [5, 5, 6], list(range(1, 37)), [36]):
        got = np.stack(list(audio.iter_segments(_split(y, cuts), length=length, hop=hop)))
        np.testing.assert_array_equal(got, want, err_msg=f"cuts={cuts}")


def test_iter_segments_short_and_empty_stream_padded():
    got = list(audio.iter_segments([np.array([1.0, 2.0], np.float32), np.array([3.0], np.float32)], length=5, hop=2))
    assert len(got) == 1
    np.testing.assert_array_equal(got[0], [1, 2, 3, 0, 0])
    got = list(audio.iter_segments([], length=3, hop=3))
    assert len(got) == 1 and got[0].dtype == np.float32
    np.testing.assert_array_equal(got[0], [0, 0, 0])


def test_iter_segments_yields_copies():
    block = np.arange(8, dtype=np.float32)
    segs = list(audio.iter_segments([block], length=4, hop=4))
    assert not any(np.shares_memory(s, block) for s in segs)
    segs[0][:] = -1
    assert block[0] == 0


def test_iter_segments_float64_blocks_give_float32():
    blocks = [np.arange(5.0), np.arange(5.0, 10.0)]  # float64
    segs = list(audio.iter_segments(blocks, length=3, hop=2))
    assert [s.dtype for s in segs] == [np.float32] * 4
    np.testing.assert_array_equal(np.stack(segs), audio.frame(np.arange(10, dtype=np.float32), length=3, hop=2))


def test_iter_segments_is_lazy():
    def blocks():
        yield np.arange(10, dtype=np.float32)
        raise AssertionError("read past what was needed")

    it = audio.iter_segments(blocks(), length=4, hop=4)
    np.testing.assert_array_equal(next(it), [0, 1, 2, 3])
    np.testing.assert_array_equal(next(it), [4, 5, 6, 7])


# ---------------------------------------------------------------------------
# Errors name the clip
# ---------------------------------------------------------------------------


def _consume(path, **kwargs):
    return list(audio.stream(path, **kwargs))


LOADERS = [
    pytest.param(lambda p: audio.load(p), id="load"),
    pytest.param(lambda p: audio.load(p, sr=16000), id="load-16k"),
    pytest.param(lambda p: _consume(p), id="stream"),
    pytest.param(lambda p: _consume(p, sr=16000), id="stream-16k"),
]


@pytest.mark.parametrize("loader", LOADERS)
def test_missing_file(tmp_path, loader):
    path = tmp_path / "no_such_clip.wav"
    with pytest.raises(AudioFileNotFoundError) as exc:
        loader(path)
    assert isinstance(exc.value, FileNotFoundError)
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, AudioError)
    assert str(path) in str(exc.value) and exc.value.clip == str(path)
    with pytest.raises(FileNotFoundError):
        loader(str(path))
    with pytest.raises(ValueError):
        loader(str(path))


@pytest.mark.parametrize("loader", LOADERS)
def test_directory_path(tmp_path, loader):
    d = tmp_path / "clips.wav"
    d.mkdir()
    with pytest.raises(AudioError, match="is a directory, not an audio file") as exc:
        loader(d)
    assert not isinstance(exc.value, FileNotFoundError)
    assert str(d) in str(exc.value)


@pytest.mark.parametrize("name", ["x.mp3", "x.wav", "x.flac", "x.ogg"])
@pytest.mark.parametrize("loader", LOADERS)
def test_undecodable_bytes(tmp_path, name, loader):
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(AudioError, match="cannot be decoded") as exc:
        loader(path)
    assert not isinstance(exc.value, (FileNotFoundError, TypeError))
    assert str(path) in str(exc.value)


@pytest.mark.parametrize("loader", LOADERS)
def test_text_file_named_mp3_cannot_be_decoded_and_the_decoder_keeps_quiet(tmp_path, loader, capfd):
    """mpg123 (inside libsndfile) writes "Illegal Audio-MPEG-Header" to fd 2 and libsndfile then says the
    file "does not exist": the error says it cannot be decoded, with the decoder's words, and fd 2 stays clean."""
    path = tmp_path / "notes.mp3"
    path.write_text("these are my notes, not an mp3\n" * 20)
    with pytest.raises(AudioError) as exc:
        loader(path)
    message = str(exc.value)
    assert not isinstance(exc.value, FileNotFoundError)
    assert "cannot be decoded" in message and "libsndfile" in message and str(path) in message
    assert "not exist" not in message and "not found" not in message
    assert "Illegal Audio-MPEG-Header" in message  # the decoder's own message, kept
    assert capfd.readouterr().err == ""


def test_mp3_damaged_in_the_middle_fails_while_decoding_without_stderr_noise(fixtures_dir, tmp_path, capfd):
    data = bytearray(sorted((fixtures_dir / "game_music").glob("*.mp3"))[0].read_bytes())
    data[len(data) // 2 : len(data) // 2 + 3000] = np.random.default_rng(0).bytes(3000)
    path = tmp_path / "damaged.mp3"
    path.write_bytes(bytes(data))
    with pytest.raises(AudioError, match="decoding failed after [1-9][0-9]* frames .*libsndfile") as exc:
        audio.load(path)
    assert "decoder said" in str(exc.value)
    assert capfd.readouterr().err == ""


def test_empty_file_says_it_is_empty(tmp_path):
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")
    with pytest.raises(AudioError, match="cannot be decoded: the file is empty") as exc:
        audio.load(path)
    assert not isinstance(exc.value, FileNotFoundError)


def test_decoding_in_threads_keeps_stderr_for_everyone_else(tmp_path, capfd):
    """fd 2 is redirected while libsndfile runs in any thread: lines written meanwhile through
    Progress wait for it, reach the real fd 2, and fd 2 is the same file afterwards."""
    import os
    import threading
    import time

    from sktag._progress import Progress

    bad = tmp_path / "bad.mp3"
    bad.write_text("not audio\n" * 100)
    good = tmp_path / "good.wav"
    soundfile.write(good, _sine(seconds=3.0), SINE_SR)
    before = os.fstat(2).st_ino
    errors, stop = [], threading.Event()

    def decode():
        while not stop.is_set():
            for path in (bad, good):
                try:
                    audio.load(path, sr=16000)
                except AudioError as exc:
                    errors.append(str(exc))

    threads = [threading.Thread(target=decode) for _ in range(4)]
    for thread in threads:
        thread.start()
    with open(2, "w", closefd=False) as fd2:  # through fd 2 itself, where a capture would swallow it
        with Progress(40, desc="sktag test", file=fd2) as progress:
            for _ in range(40):
                time.sleep(0.005)  # while the threads decode
                progress.update(1)
    stop.set()
    for thread in threads:
        thread.join()
    assert os.fstat(2).st_ino == before
    assert errors and all("cannot be decoded" in e for e in errors)
    err = capfd.readouterr().err
    assert "MPEG" not in err
    expected = [f"sktag test: {4 * k}/40 clips ({10 * k}%)" for k in range(1, 11)]
    assert [line.split(",")[0] for line in err.splitlines()] == expected


def test_truncated_header_wav(tmp_path, write_audio):
    good = write_audio("good.wav", _sine(seconds=0.1), SINE_SR, subtype="PCM_16")
    bad = tmp_path / "cut.wav"
    bad.write_bytes(good.read_bytes()[:20])
    with pytest.raises(AudioError) as exc:
        audio.load(bad)
    assert str(bad) in str(exc.value)


@pytest.mark.parametrize("loader", LOADERS)
def test_zero_length_wav(write_audio, loader):
    path = write_audio("empty.wav", np.zeros(0, np.float32), 8000, subtype="PCM_16")
    assert soundfile.info(path).frames == 0
    with pytest.raises(AudioError, match="zero length") as exc:
        loader(path)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("position", [0, 5000, 19999])
def test_non_finite_samples_in_file(write_audio, bad, position):
    x = _sine(sr=8000, seconds=2.5)  # 20000 frames: several blocks of 4096
    x[position] = bad
    path = write_audio("nan.wav", x, 8000, subtype="FLOAT")
    with pytest.raises(AudioError, match="non-finite") as exc:
        _consume(path, block_frames=4096)
    assert str(path) in str(exc.value)
    with pytest.raises(AudioError, match="non-finite") as exc:
        audio.load(path, sr=16000)
    assert str(path) in str(exc.value)


def test_non_finite_in_one_channel_of_stereo(write_audio):
    x = np.zeros((100, 2), np.float32)
    x[40, 1] = np.nan
    path = write_audio("nan_stereo.wav", x, 8000, subtype="FLOAT")
    with pytest.raises(AudioError, match="non-finite") as exc:
        audio.load(path)
    assert str(path) in str(exc.value)


def test_one_frame_file_downsampled_names_clip(write_audio):
    # soxr gives no samples for a single frame at 44.1k -> 16k: load must not fail anonymously
    path = write_audio("one.wav", np.array([0.5], np.float32), 44100, subtype="PCM_16")
    with pytest.raises(AudioError) as exc:
        audio.load(path, sr=16000)
    assert str(path) in str(exc.value)
    y, sr = audio.load(path)
    assert sr == 44100 and y.shape == (1,) and y[0] == 0.5


def test_error_message_format():
    err = AudioError("a/b.wav", "something is wrong")
    assert str(err) == "clip 'a/b.wav': something is wrong"
    assert err.clip == "a/b.wav"
    assert issubclass(AudioTypeError, TypeError) and issubclass(AudioTypeError, ValueError)
    assert issubclass(AudioFileNotFoundError, FileNotFoundError)


def test_clip_name():
    assert audio.clip_name("a/b.mp3") == "a/b.mp3"
    assert audio.clip_name(Path("a") / "b.mp3") == str(Path("a") / "b.mp3")
    assert audio.clip_name(np.zeros(3)) == "array"
    assert audio.clip_name(np.zeros(3), index=7) == "X[7]"


# ---------------------------------------------------------------------------
# Bounded memory for long files
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("container", ["wav", "m4a"])  # libsndfile, and FFmpeg through PyAV
def test_long_file_streams_in_bounded_memory(tmp_path, request, container):
    seconds, file_sr = 60, 44100
    n = seconds * file_sr
    rng = np.random.default_rng(0)
    if container == "wav":
        path = tmp_path / "long_60s_44k_stereo.wav"
        with soundfile.SoundFile(path, "w", samplerate=file_sr, channels=2, subtype="PCM_16") as f:
            for start in range(0, n, file_sr * 10):  # write in pieces: no 60 s array here either
                f.write(rng.integers(-8000, 8000, size=(min(file_sr * 10, n - start), 2), dtype=np.int16))
        assert soundfile.info(path).frames == n
    else:
        noise = (0.25 * rng.standard_normal((n, 2))).astype(np.float32)
        path = request.getfixturevalue("write_ffmpeg")("long_60s_44k_stereo.m4a", noise, file_sr)
        del noise
    decoded_float32_bytes = n * 2 * 4

    length = hop = 59049
    tracemalloc.start()
    try:
        count = 0
        for segment in audio.iter_segments(audio.stream(path, sr=16000), length=length, hop=hop):
            assert segment.shape == (length,) and segment.dtype == np.float32
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 16  # (60 s * 16 kHz - length) // hop + 1, and AAC's priming adds less than a segment
    assert peak > length * 4  # tracemalloc does see numpy buffers (at least one segment)
    assert peak < 0.25 * decoded_float32_bytes, f"peak {peak} bytes vs decoded file {decoded_float32_bytes}"


# -- formats libsndfile does not read: FFmpeg through PyAV ---------------------------------------------------------
AAC_PRIMING_MAX = 2112  # encoder delay of AAC encoders, in samples


def test_m4a_decodes_through_ffmpeg(write_ffmpeg):
    sr = 44100
    sine = _sine(sr=sr, seconds=1.0)
    path = write_ffmpeg("tone.m4a", np.stack([sine, sine], axis=1), sr)
    with pytest.raises(soundfile.LibsndfileError):  # libsndfile alone cannot: this is FFmpeg's work
        soundfile.info(path)
    y, rate = audio.load(path)
    assert rate == sr and len(sine) <= len(y) <= len(sine) + AAC_PRIMING_MAX + 1024
    best = max(np.corrcoef(y[lag + 4096 : lag + 40000], sine[4096:40000])[0, 1] for lag in range(AAC_PRIMING_MAX))
    assert best > 0.999  # the tone, up to the encoder's delay
    blocks = list(audio.stream(path, block_frames=1000))  # small reads cross FFmpeg's 1024-frame packets
    np.testing.assert_array_equal(np.concatenate(blocks), y)
    resampled, rate = audio.load(path, sr=16000)
    assert rate == 16000 and abs(_dominant_hz(resampled, 16000) - SINE_HZ) < 2


@pytest.mark.parametrize("name, codec", [("tone.m4a", "alac"), ("tone.wv", "wavpack")])
def test_lossless_ffmpeg_formats_decode_exactly(write_ffmpeg, name, codec):
    """ALAC and WavPack decode to 16-bit samples, which go through FFmpeg's format converter: exact samples back."""
    sine = _sine(sr=SINE_SR, seconds=0.5)
    stereo = np.stack([sine, -0.5 * sine], axis=1)
    path = write_ffmpeg(name, stereo, SINE_SR, codec=codec)
    y, rate = audio.load(path)
    expected = (np.round(stereo * 32767).astype(np.int16) / np.float32(32768)).mean(axis=1, dtype=np.float32)
    assert rate == SINE_SR
    np.testing.assert_array_equal(y, expected)


def test_damaged_m4a_is_an_audio_error(tmp_path):
    pytest.importorskip("av")
    path = tmp_path / "x.m4a"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(AudioError, match="cannot be decoded") as exc:
        audio.load(path)
    assert str(path) in str(exc.value)


def test_m4a_cut_short_fails_while_decoding_with_an_audio_error(write_ffmpeg):
    """moov atom first ("faststart", as streamed files have it): FFmpeg opens the cut file and fails later."""
    noise = 0.3 * np.random.default_rng(0).standard_normal(16000 * 5)
    path = write_ffmpeg("whole.m4a", noise, 16000, movflags="faststart")
    cut = path.with_name("cut.m4a")
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert len(audio.load(path)[0]) >= len(noise)
    with pytest.raises(AudioError, match="decoding failed") as exc:
        audio.load(cut)
    assert str(cut) in str(exc.value)


def test_m4a_without_pyav_says_how_to_install_it(tmp_path, monkeypatch):
    path = tmp_path / "x.m4a"
    path.write_bytes(b"\0" * 64)
    monkeypatch.setattr(audio._ffmpeg, "available", lambda: False)
    with pytest.raises(AudioError, match=r'pip install "sktag\[ffmpeg\]"'):
        audio.load(path)
