"""The torch log-mel front end against librosa (an independent implementation)."""

import librosa
import numpy as np
import pytest
import torch

from sktag.audio import load
from sktag.nn.mel import LogMelSpectrogram, hz_to_mel, mel_filterbank, mel_to_hz


@pytest.mark.parametrize(
    "sr, n_fft, n_mels, fmin, fmax",
    [
        (22050, 1024, 128, 0.0, None),  # the artist CNN and bag-of-features papers
        (16000, 1024, 128, 0.0, 8000),  # sktag's 16 kHz networks
        (16000, 512, 96, 20.0, 7000),
    ],
)
def test_mel_basis_matches_librosa(sr, n_fft, n_mels, fmin, fmax):
    expected = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=np.float64)
    actual = mel_filterbank(sr, n_fft, n_mels, fmin, fmax).numpy()
    assert actual.shape == (n_mels, 1 + n_fft // 2)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-6 * expected.max())


def test_mel_scale_round_trips_and_is_slaney():
    hz = torch.tensor([0.0, 500.0, 1000.0, 4000.0, 11025.0], dtype=torch.float64)
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(hz)).numpy(), hz.numpy(), rtol=1e-12)
    np.testing.assert_allclose(hz_to_mel(hz).numpy(), librosa.hz_to_mel(hz.numpy()), rtol=1e-12)


@pytest.mark.parametrize("sr, hop", [(22050, 512), (16000, 372)])
def test_log_mel_matches_librosa_on_real_music(fixtures_dir, sr, hop):
    y, _ = load(fixtures_dir / "game_music" / "wesnoth_t002_c00.mp3", sr=sr)
    y = y[: 3 * sr]
    power = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=1024, hop_length=hop, n_mels=128, center=True, pad_mode="constant", power=2.0
    )
    expected = np.log10(1 + 10 * power)
    actual = LogMelSpectrogram(sr, 1024, hop, 128)(torch.from_numpy(y)[None])[0].numpy()
    assert actual.shape == expected.shape == (128, 1 + len(y) // hop)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-4)  # float32 against librosa's float64 STFT


def test_log_mel_stays_float32_under_bf16_autocast():
    x = torch.randn(2, 8000)
    reference = LogMelSpectrogram(16000, 512, 256, 64)(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        actual = LogMelSpectrogram(16000, 512, 256, 64)(x)
    assert actual.dtype == torch.float32
    torch.testing.assert_close(actual, reference)


def test_bad_frequency_range():
    with pytest.raises(ValueError, match="fmax"):
        mel_filterbank(16000, 512, 64, fmax=9000)
