"""Tagging metrics against binary or soft (teacher) targets."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = ["binarize_targets", "tag_scores"]


def binarize_targets(y: np.ndarray, *, top_fraction: float = 0.1) -> np.ndarray:
    """Binary targets as they are; soft targets -> the top ``top_fraction`` of each tag.

    For soft labels such as a teacher's probabilities, the clips whose value of a
    tag is at least its ``1 - top_fraction`` quantile are that tag's positives.

    Parameters
    ----------
    y : np.ndarray [shape=(n_clips, n_tags)]
    top_fraction : float, default=0.1

    Returns
    -------
    y_binary : np.ndarray [shape=(n_clips, n_tags), dtype=int8]
    """
    y = np.asarray(y, dtype=np.float64)
    if np.isin(y, (0.0, 1.0)).all():
        return y.astype(np.int8)
    threshold = np.quantile(y, 1.0 - top_fraction, axis=0, method="higher")
    return (y >= threshold).astype(np.int8)


def tag_scores(y_true: np.ndarray, y_score: np.ndarray, *, top_fraction: float = 0.1) -> dict:
    """Macro ROC-AUC and PR-AUC over the tags that have positives and negatives.

    Parameters
    ----------
    y_true : np.ndarray [shape=(n_clips, n_tags)]
        Binary or soft targets (binarised by :func:`binarize_targets`).
    y_score : np.ndarray [shape=(n_clips, n_tags)]
    top_fraction : float, default=0.1

    Returns
    -------
    scores : dict
        ``roc_auc`` and ``pr_auc`` (macro means), ``per_tag_roc_auc`` and
        ``per_tag_pr_auc`` (NaN for tags without both classes), ``n_tags_scored``.
    """
    binary = binarize_targets(y_true, top_fraction=top_fraction)
    n_tags = binary.shape[1]
    roc, pr = np.full(n_tags, np.nan), np.full(n_tags, np.nan)
    for tag in range(n_tags):
        positives = binary[:, tag].sum()
        if 0 < positives < len(binary):
            roc[tag] = roc_auc_score(binary[:, tag], y_score[:, tag])
            pr[tag] = average_precision_score(binary[:, tag], y_score[:, tag])
    scored = ~np.isnan(roc)
    return {
        "roc_auc": float(np.mean(roc[scored])) if scored.any() else float("nan"),
        "pr_auc": float(np.mean(pr[scored])) if scored.any() else float("nan"),
        "per_tag_roc_auc": roc,
        "per_tag_pr_auc": pr,
        "n_tags_scored": int(scored.sum()),
    }
