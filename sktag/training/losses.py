"""Training losses for tag targets: BCE, and logit regression for distilling a teacher's soft tags."""

from __future__ import annotations

import torch

__all__ = ["TeacherLogitMSE", "LOSSES"]


class TeacherLogitMSE(torch.nn.Module):
    """Mean squared error between the student's logits and the teacher's logits.

    The teacher's probabilities ``p`` become logits ``log(p / (1 - p))`` after
    clamping to ``[eps, 1 - eps]``. Unlike BCE on soft targets, whose gradient
    ``sigmoid(z) - p`` nearly vanishes for tags the teacher rates low everywhere,
    every tag's ranking weighs alike (logit matching, Hinton et al. 2015 in the
    high-temperature limit); at the optimum ``sigmoid(z)`` still equals ``p``.

    Parameters
    ----------
    eps : float, default=1e-4
        Clamp of the teacher's probabilities (logits within about +-9.2).
    """

    def __init__(self, eps: float = 1e-4):
        super().__init__()
        self.eps = eps

    def forward(self, logits: torch.Tensor, probabilities: torch.Tensor) -> torch.Tensor:
        """``logits``, ``probabilities``: ``(batch, n_tags)`` -> scalar loss."""
        return torch.nn.functional.mse_loss(logits, torch.logit(probabilities, eps=self.eps))


#: ``loss`` option of :class:`~sktag.SampleCNNTagger` -> criterion class.
LOSSES = {"bce": torch.nn.BCEWithLogitsLoss, "logit_mse": TeacherLogitMSE}
