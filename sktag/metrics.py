"""Tagging metrics against binary or soft (teacher) targets, and verification error rates."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

__all__ = ["binarize_targets", "tag_scores", "equal_error_rate", "pair_similarities"]


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


def equal_error_rate(same: np.ndarray, scores: np.ndarray) -> float:
    """The verification error rate where false acceptances equal false rejections.

    Parameters
    ----------
    same : np.ndarray [shape=(n_pairs,)]
        1 for pairs of the same identity (e.g. artist), 0 otherwise; both must occur.
    scores : np.ndarray [shape=(n_pairs,)]
        Higher means more likely the same (e.g. cosine similarity).

    Returns
    -------
    eer : float
        In [0, 1]: 0 for perfectly separated scores, about 0.5 for uninformative
        ones; linearly interpolated between the ROC points around the crossing.
    """
    same = np.asarray(same).astype(int)
    if same.min() == same.max():
        raise ValueError("equal_error_rate needs both same and different pairs")
    false_accept, true_accept, _ = roc_curve(same, np.asarray(scores, dtype=np.float64))
    false_reject = 1.0 - true_accept
    gap = false_reject - false_accept  # decreasing from 1 to -1 along the curve
    i = int(np.argmax(gap <= 0))  # first point where rejections no longer exceed acceptances
    if i == 0:
        return float(false_accept[0])
    weight = gap[i - 1] / (gap[i - 1] - gap[i])
    return float(false_accept[i - 1] + weight * (false_accept[i] - false_accept[i - 1]))


def pair_similarities(embeddings: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarity of every pair of clips, and whether the pair shares a label.

    Parameters
    ----------
    embeddings : np.ndarray [shape=(n_clips, n_dims)]
    labels : np.ndarray [shape=(n_clips,)]

    Returns
    -------
    same : np.ndarray [shape=(n_clips * (n_clips - 1) // 2,), dtype=int8]
    similarity : np.ndarray [shape=(n_clips * (n_clips - 1) // 2,), dtype=float64]
        Pairs ``(i, j)`` with ``i < j``, in ``np.triu_indices`` order; feed both to
        :func:`equal_error_rate`.
    """
    z = np.asarray(embeddings, dtype=np.float64)
    z = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    labels = np.asarray(labels)
    i, j = np.triu_indices(len(z), k=1)
    return (labels[i] == labels[j]).astype(np.int8), np.einsum("nd,nd->n", z[i], z[j])
