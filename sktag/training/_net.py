"""The skorch ``NeuralNet`` of every sktag trainer: the module under autocast, frozen layers kept in eval mode."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from skorch import NeuralNet

from .._devices import autocast

__all__ = ["AutocastNet"]


class AutocastNet(NeuralNet):
    """skorch ``NeuralNet`` that runs the module under autocast and keeps frozen layers in eval mode.

    Parameters
    ----------
    *args, **kwargs
        Those of :class:`skorch.NeuralNet`.
    autocast_dtype : torch.dtype or None, default=None
        ``torch.bfloat16``: forward passes run under autocast on the net's
        device (the loss is computed on float32 predictions); ``None``: float32.
    frozen : sequence of str, default=()
        Submodule paths whose BatchNorm statistics must not move: put back in
        eval mode before every training forward pass.
    """

    def __init__(self, *args, autocast_dtype: torch.dtype | None = None, frozen: Sequence[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.autocast_dtype = autocast_dtype
        self.frozen = frozen

    def infer(self, x, **fit_params):
        if self.module_.training:
            for name in self.frozen:  # frozen BatchNorm statistics must not move
                self.module_.get_submodule(name).eval()
        with autocast(torch.device(self.device), self.autocast_dtype):
            return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, *args, **kwargs):
        return super().get_loss(y_pred.float(), y_true, *args, **kwargs)
