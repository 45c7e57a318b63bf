"""Log-mel spectrogram in torch, computed in batch on the network's device (arXiv:1710.06648, 1508.04999)."""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["LogMelSpectrogram", "mel_filterbank", "hz_to_mel", "mel_to_hz"]

# Slaney's Auditory Toolbox mel scale (librosa's default, htk=False): linear below 1 kHz, log above.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    """Frequencies in Hz to Slaney mels (linear below 1 kHz, logarithmic above)."""
    hz = torch.as_tensor(hz, dtype=torch.float64)
    linear = hz / _F_SP
    log = _MIN_LOG_MEL + torch.log(torch.clamp(hz, min=_MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOG_STEP
    return torch.where(hz >= _MIN_LOG_HZ, log, linear)


def mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    """Slaney mels to Hz (inverse of :func:`hz_to_mel`)."""
    mel = torch.as_tensor(mel, dtype=torch.float64)
    linear = mel * _F_SP
    log = _MIN_LOG_HZ * torch.exp(_LOG_STEP * (mel - _MIN_LOG_MEL))
    return torch.where(mel >= _MIN_LOG_MEL, log, linear)


def mel_filterbank(
    sample_rate: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None
) -> torch.Tensor:
    """Triangular mel filters with Slaney's area normalisation (as librosa's defaults).

    Parameters
    ----------
    sample_rate : float
    n_fft : int
    n_mels : int, default=128
    fmin : float, default=0.0
    fmax : float or None, default=None
        ``None``: ``sample_rate / 2``.

    Returns
    -------
    basis : torch.Tensor [shape=(n_mels, 1 + n_fft // 2), dtype=float64]
        Multiply a power (or magnitude) spectrum by it to get mel bands.
    """
    fmax = sample_rate / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ValueError(f"need 0 <= fmin < fmax <= sample_rate / 2, got fmin={fmin}, fmax={fmax}")
    fft_hz = torch.linspace(0, sample_rate / 2, 1 + n_fft // 2, dtype=torch.float64)
    edges = mel_to_hz(torch.linspace(float(hz_to_mel(fmin)), float(hz_to_mel(fmax)), n_mels + 2, dtype=torch.float64))
    widths = torch.diff(edges)
    distance = edges[:, None] - fft_hz[None, :]  # (n_mels + 2, n_bins)
    rising = -distance[:-2] / widths[:-1, None]
    falling = distance[2:] / widths[1:, None]
    basis = torch.clamp(torch.minimum(rising, falling), min=0)
    return basis * (2.0 / (edges[2:] - edges[:-2]))[:, None]


class LogMelSpectrogram(nn.Module):
    """``log10(1 + 10 * mel)`` of the power spectrogram, frames centred (zero-padded ends).

    Runs in float32 even under autocast. Shape: ``(batch, samples)`` ->
    ``(batch, n_mels, 1 + samples // hop_length)``, or with ``center=False``
    ``(batch, n_mels, 1 + (samples - n_fft) // hop_length)``.

    Parameters
    ----------
    sample_rate : float, default=22050
    n_fft : int, default=1024
        FFT size and (periodic Hann) window length.
    hop_length : int, default=512
    n_mels : int, default=128
    fmin : float, default=0.0
    fmax : float or None, default=None
        ``None``: Nyquist.
    power : float, default=2.0
        Exponent of the magnitude spectrogram (2: power, 1: magnitude).
    center : bool, default=True
        Centre frame ``t`` on sample ``t * hop_length`` (zero padding of
        ``n_fft // 2`` at both ends); ``False``: frame ``t`` starts there, so
        the caller can compute a long signal in overlapping chunks.
    """

    def __init__(
        self,
        sample_rate: float = 22050,
        n_fft: int = 1024,
        hop_length: int = 512,
        n_mels: int = 128,
        fmin: float = 0.0,
        fmax: float | None = None,
        power: float = 2.0,
        center: bool = True,
    ):
        super().__init__()
        self.n_fft, self.hop_length, self.n_mels, self.power = int(n_fft), int(hop_length), int(n_mels), float(power)
        self.center = bool(center)
        self.register_buffer("window", torch.hann_window(self.n_fft, periodic=True), persistent=False)
        basis = mel_filterbank(sample_rate, self.n_fft, self.n_mels, fmin, fmax).float()
        self.register_buffer("mel_basis", basis, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(x.device.type, enabled=False):
            spectrum = torch.stft(
                x.float(),
                self.n_fft,
                self.hop_length,
                window=self.window,
                center=self.center,
                pad_mode="constant",
                return_complex=True,
            ).abs()
            if self.power != 1.0:
                spectrum = spectrum.pow(self.power)
            return torch.log10(1 + 10 * torch.matmul(self.mel_basis, spectrum))
