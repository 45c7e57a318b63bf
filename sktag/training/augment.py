"""Waveform augmentation for training crops: gain, random equalisation, speed change and mixing."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch

from .store import AudioStore

__all__ = ["WaveformAugment"]

#: Control points of the random equaliser, log-spaced over the spectrum.
_EQ_POINTS = 8


def _uniform(low: float, high: float) -> float:
    return float(low + (high - low) * torch.rand(()))


@dataclass(frozen=True)
class WaveformAugment:
    """Random changes to a training crop (all off by default; drawn from torch's RNG).

    Parameters
    ----------
    gain_db : float, default=0.0
        Gain drawn uniformly from ``[-gain_db, +gain_db]`` dB.
    eq_db : float, default=0.0
        A random smooth equaliser: gains uniform in ``[-eq_db, +eq_db]`` dB at 8
        log-spaced frequencies, interpolated over the spectrum (filtering).
    speed : float, default=0.0
        Playback-speed factor drawn log-uniformly from ``[1/(1+speed), 1+speed]``: a
        crop of ``factor * length`` samples is resampled (linear interpolation) to
        ``length``, changing pitch and tempo together (0.06 ≈ one semitone).
    mix : float, default=0.0
        Probability of mixing a crop of another random clip into the crop, with
        weight ``1 - lam``, ``lam`` uniform in ``[0.5, 1]``; the targets mix with
        the same weights (mixup on soft or multi-hot targets).

    Examples
    --------
    >>> WaveformAugment(gain_db=6, speed=0.06).active
    True
    """

    gain_db: float = 0.0
    eq_db: float = 0.0
    speed: float = 0.0
    mix: float = 0.0

    def __post_init__(self):
        for field in fields(self):
            value = getattr(self, field.name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"augment {field.name} must be a finite number >= 0, got {value!r}")
        if self.mix > 1:
            raise ValueError(f"augment mix is a probability in [0, 1], got {self.mix!r}")

    @classmethod
    def from_param(cls, augment: dict | WaveformAugment | None) -> WaveformAugment | None:
        """The augmentation an estimator's ``augment`` parameter asks for (``None``: none)."""
        if augment is None or isinstance(augment, cls):
            return augment
        unknown = set(augment) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown augment keys {sorted(unknown)}; use gain_db, eq_db, speed, mix")
        return cls(**augment)

    @property
    def active(self) -> bool:
        """Whether any change is switched on."""
        return any(getattr(self, f.name) > 0 for f in fields(self))

    def crop(self, store: AudioStore, clip: int, length: int) -> np.ndarray:
        """A random ``length``-sample crop of ``clip``, speed-changed and coloured, float32."""
        span = length
        if self.speed > 0:
            factor = float(np.exp(_uniform(-np.log1p(self.speed), np.log1p(self.speed))))
            span = max(2, int(round(length * factor)))
        room = int(store.lengths[clip]) - span
        start = int(torch.randint(room + 1, ())) if room > 0 else 0
        x = store.crop(clip, start, span)
        if span != length:
            x = np.interp(np.linspace(0, span - 1, length), np.arange(span), x).astype(np.float32)
        return self.colour(x)

    def colour(self, x: np.ndarray) -> np.ndarray:
        """Apply the random gain and equaliser to one waveform ``(n,)``."""
        if self.eq_db > 0:
            spectrum = np.fft.rfft(x)
            position = np.log1p(np.arange(len(spectrum), dtype=np.float64))
            points = np.linspace(0, position[-1], _EQ_POINTS)
            gains_db = np.array([_uniform(-self.eq_db, self.eq_db) for _ in points])
            spectrum *= 10 ** (np.interp(position, points, gains_db) / 20)
            x = np.fft.irfft(spectrum, n=len(x)).astype(np.float32)
        if self.gain_db > 0:
            x = x * np.float32(10 ** (_uniform(-self.gain_db, self.gain_db) / 20))
        return x

    def mix_in(self, x: np.ndarray, y: np.ndarray, other_x: np.ndarray, other_y: np.ndarray):
        """Mix another crop and its targets into ``(x, y)`` with weight ``1 - lam``."""
        lam = _uniform(0.5, 1.0)
        return (lam * x + (1 - lam) * other_x).astype(np.float32), (lam * y + (1 - lam) * other_y).astype(np.float32)

    def wants_mix(self) -> bool:
        """Draw whether this crop gets another clip mixed in."""
        return self.mix > 0 and float(torch.rand(())) < self.mix
