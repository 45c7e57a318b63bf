"""skorch callbacks of the training path: clip-level scores and the authors' staged learning rate."""

from __future__ import annotations

import copy
import functools
import logging

import numpy as np
import torch
from skorch.callbacks import Callback, PrintLog

from ..metrics import tag_scores

logger = logging.getLogger("sktag")

__all__ = ["ClipScoring", "StagedLearningRate", "KeepBest", "epoch_table"]


class ClipScoring(Callback):
    """Clip-level macro ROC-AUC and PR-AUC on the validation set after every epoch.

    The validation pass runs every segment of every validation clip
    (:class:`~sktag.training.data.AllSegments`); this callback collects the
    segment predictions, averages their sigmoid per clip, as the papers
    evaluate, and records ``valid_roc_auc`` and ``valid_pr_auc`` in the history.

    Parameters
    ----------
    top_fraction : float, default=0.1
        For soft targets: the top fraction of each tag counts as positive
        (:func:`sktag.metrics.binarize_targets`).
    """

    def __init__(self, top_fraction: float = 0.1):
        self.top_fraction = top_fraction

    def on_epoch_begin(self, net, **kwargs):
        self._outputs = []

    def on_batch_end(self, net, batch=None, training=None, y_pred=None, **kwargs):
        if not training:
            self._outputs.append(torch.sigmoid(y_pred.float()).cpu().numpy())

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        if dataset_valid is None or not self._outputs:
            return
        clip_probs = dataset_valid.clip_mean(np.concatenate(self._outputs))
        scores = tag_scores(dataset_valid.targets, clip_probs, top_fraction=self.top_fraction)
        net.history.record("valid_roc_auc", scores["roc_auc"])
        net.history.record("valid_pr_auc", scores["pr_auc"])


class KeepBest(Callback):
    """Remember the module weights of the best epoch by ``monitor`` and restore them at the end.

    Parameters
    ----------
    monitor : str, default="valid_roc_auc"
        A history key; higher is better.
    """

    def __init__(self, monitor: str = "valid_roc_auc"):
        self.monitor = monitor

    def initialize(self):
        self.best_score_, self.best_state_ = -np.inf, None
        return self

    def on_epoch_end(self, net, **kwargs):
        score = net.history[-1].get(self.monitor, np.nan)
        improved = bool(np.isfinite(score) and score > self.best_score_)
        net.history.record(f"{self.monitor}_best", improved)
        if improved:
            self.best_score_ = score
            self.best_state_ = copy.deepcopy(net.module_.state_dict())

    def on_train_end(self, net, **kwargs):
        if self.best_state_ is not None:
            net.module_.load_state_dict(self.best_state_)


class StagedLearningRate(KeepBest):
    """The SampleCNN authors' schedule: learning-rate stages, each early-stopped on validation.

    Training starts at ``stages[0]``; when ``monitor`` has not improved for
    ``patience`` epochs, the best weights so far are reloaded, the optimizer is
    re-created (momentum reset) at the next rate, and training goes on; after the
    last stage, training stops (the best weights are restored). The current
    stage is recorded in the history (``lr_stage``), so a resumed run continues
    in its stage.

    Parameters
    ----------
    stages : sequence of float, default=(0.01, 0.002, 0.0004, 8e-5, 1.6e-5)
    patience : int, default=3
    monitor : str, default="valid_roc_auc"
    """

    def __init__(self, stages=(0.01, 0.002, 0.0004, 8e-5, 1.6e-5), patience: int = 3, monitor: str = "valid_roc_auc"):
        super().__init__(monitor=monitor)
        self.stages = stages
        self.patience = patience

    def initialize(self):
        super().initialize()
        self.stage_, self.waited_ = 0, 0
        return self

    def on_train_begin(self, net, **kwargs):
        if len(net.history):  # resumed: continue in the recorded stage
            self.stage_ = int(net.history[-1].get("lr_stage", 0))
        self._set_lr(net)

    def _set_lr(self, net):
        for group in net.optimizer_.param_groups:
            group["lr"] = self.stages[self.stage_]

    def on_epoch_end(self, net, **kwargs):
        net.history.record("lr_stage", self.stage_)
        net.history.record("lr", self.stages[self.stage_])
        super().on_epoch_end(net, **kwargs)
        self.waited_ = 0 if net.history[-1][f"{self.monitor}_best"] else self.waited_ + 1
        if self.waited_ < self.patience:
            return
        self.waited_ = 0
        if self.stage_ + 1 >= len(self.stages):
            logger.info("sktag: last learning-rate stage done; stopping")
            raise KeyboardInterrupt
        self.stage_ += 1
        net.module_.load_state_dict(self.best_state_)
        net.initialize_optimizer()
        self._set_lr(net)
        logger.info(
            "sktag: learning-rate stage %d: lr=%g (best weights reloaded)", self.stage_, self.stages[self.stage_]
        )


def epoch_table() -> PrintLog:
    """skorch's epoch table, printed and flushed even when the net itself is ``verbose=0``.

    (PrintLog stays silent with ``sink=print`` on a quiet net; any other sink always prints.)
    """
    return PrintLog(sink=functools.partial(print, flush=True))
