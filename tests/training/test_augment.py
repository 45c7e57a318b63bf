"""Waveform augmentation of training crops: gain, equaliser, speed change, mixing."""

import numpy as np
import pytest
import torch

from sktag.training import AudioStore
from sktag.training.augment import WaveformAugment
from sktag.training.data import RandomCrops

SR = 8000


def _store(tmp_path, clips):
    return AudioStore.build(clips, sample_rate=SR, cache_dir=str(tmp_path))


def _tone(freq, seconds=1.0, amplitude=0.5):
    t = np.arange(int(SR * seconds)) / SR
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _peak_hz(x):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.argmax(spectrum) * SR / len(x)


@pytest.mark.parametrize(
    "param, match",
    [
        ({"volume": 3}, "unknown augment keys"),
        ({"gain_db": -1}, "gain_db must be"),
        ({"speed": float("nan")}, "speed must be"),
        ({"mix": 1.5}, "probability"),
    ],
)
def test_bad_parameters_are_refused(param, match):
    with pytest.raises(ValueError, match=match):
        WaveformAugment.from_param(param)


def test_nothing_switched_on_gives_the_plain_crops(tmp_path):
    store = _store(tmp_path, [np.arange(2000, dtype=np.float32) / 2000])
    plain, off = (
        RandomCrops(store, np.ones((1, 1)), 243),
        RandomCrops(store, np.ones((1, 1)), 243, augment=WaveformAugment()),
    )
    torch.manual_seed(0)
    a = [plain[0][0] for _ in range(5)]
    torch.manual_seed(0)
    b = [off[0][0] for _ in range(5)]
    assert not WaveformAugment().active and all(torch.equal(x, y) for x, y in zip(a, b))


def test_gain_stays_within_its_range_and_varies(tmp_path):
    x = np.full(2000, 0.25, dtype=np.float32)
    store = _store(tmp_path, [x])
    augment = WaveformAugment(gain_db=6)
    torch.manual_seed(0)
    gains_db = [20 * np.log10(augment.crop(store, 0, 500)[0] / store.crop(0, 0, 1)[0]) for _ in range(200)]
    assert -6 - 1e-3 <= min(gains_db) < -4 and 4 < max(gains_db) <= 6 + 1e-3


def test_equaliser_changes_each_frequency_by_at_most_eq_db(tmp_path):
    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal(4000)).astype(np.float32)
    augment = WaveformAugment(eq_db=6)
    torch.manual_seed(0)
    y = augment.colour(x)
    ratio_db = 20 * np.log10(np.abs(np.fft.rfft(y)) / np.abs(np.fft.rfft(x)))
    assert np.abs(ratio_db).max() <= 6 + 1e-2 and np.abs(ratio_db).max() > 1  # filtered, within the bound
    # a smooth curve over log frequency (8 points, at most 2 * eq_db apart), not noise
    position = np.log1p(np.arange(len(ratio_db)))
    slope = np.abs(np.diff(ratio_db)) / np.diff(position)
    assert slope.max() <= 12 / (position[-1] / 7) + 0.1


def test_speed_change_moves_the_pitch_within_its_range_and_keeps_the_length(tmp_path):
    store = _store(tmp_path, [_tone(500, seconds=2.0)])
    augment = WaveformAugment(speed=0.1)
    torch.manual_seed(0)
    peaks = []
    for _ in range(40):
        crop = augment.crop(store, 0, 4000)
        assert crop.shape == (4000,) and crop.dtype == np.float32
        peaks.append(_peak_hz(crop))
    assert 500 / 1.1 - 4 <= min(peaks) < 490 and 510 < max(peaks) <= 500 * 1.1 + 4


def test_mixing_mixes_crops_and_targets_with_the_same_weight(tmp_path):
    store = _store(tmp_path, [np.full(1000, 0.5, dtype=np.float32), np.full(1000, -0.5, dtype=np.float32)])
    targets = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    crops = RandomCrops(store, targets, 243, augment=WaveformAugment(mix=1.0))
    torch.manual_seed(0)
    mixed = 0
    for _ in range(50):
        x, y = crops[0]
        lam = float(y[0])  # clip 0 is +0.5 with target (1, 0); the other clip's share is 1 - lam
        mixed += lam < 1
        assert 0.5 <= lam <= 1 and float(y.sum()) == pytest.approx(1)
        other = 0.5 if lam == 1 else None  # clip 0 mixed with itself keeps target (1, 0)
        expected = other if other is not None else 0.5 * lam - 0.5 * (1 - lam)
        np.testing.assert_allclose(x.numpy(), expected, atol=1e-3)
    assert mixed > 10
