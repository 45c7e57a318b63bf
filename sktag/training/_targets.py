"""Training targets checked and encoded: multi-hot or soft tag targets, and single-label classes as one-hot."""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import type_of_target

__all__ = ["check_targets", "one_hot"]


def check_targets(y, name: str) -> np.ndarray:
    """``y`` as float32 multi-hot or soft targets ``(n_clips, n_tags)`` in [0, 1]; ``ValueError`` otherwise."""
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_clips, n_tags) multi-hot or soft targets, got shape {y.shape}")
    if not np.isfinite(y).all() or y.min() < 0 or y.max() > 1:
        raise ValueError(f"{name} must hold values in [0, 1]")
    return y


def one_hot(y, classes=None, name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """Single-label targets ``(n,)`` -> (classes, one-hot float32 ``(n, n_classes)``)."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D class labels or 2-D (n_clips, n_tags) targets, got shape {y.shape}")
    if not len(y):  # before a network with no outputs is built
        raise ValueError(f"{name} is empty: give a label for each clip")
    if y.dtype.kind in "fc" and not np.isfinite(y).all():  # before type_of_target casts them to int
        raise ValueError(f"{name} contains NaN or infinity: give class labels")
    kind = type_of_target(y)
    if kind not in ("binary", "multiclass"):
        raise ValueError(f"Unknown label type: {kind}; 1-D y must be class labels (2-D y: tag targets)")
    known = np.unique(y) if classes is None else np.asarray(classes)
    index = np.searchsorted(known, y) if classes is None else np.array([list(known).index(v) for v in y])
    return known, np.eye(len(known), dtype=np.float32)[index]
