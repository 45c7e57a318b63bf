"""The checkpoint every sktag trainer saves: its network, with rate, recipe and training history as metadata."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import torch
from sklearn.base import BaseEstimator

from .. import weights as sktag_weights

__all__ = ["RUN_PARAMETERS", "save_trained"]

#: Parameters that say where and how verbosely a trainer ran, not what it trained: left out of ``recipe``.
RUN_PARAMETERS = frozenset({"cache_dir", "checkpoint_dir", "verbose"})


def save_trained(
    path: str | os.PathLike,
    trainer: BaseEstimator,
    network: torch.nn.Module,
    fields: dict,
    *,
    meta: dict | None,
    half: bool,
    history_keys: Sequence[str] | None = None,
) -> str:
    """Write a fitted trainer's network as a sktag checkpoint; returns its sha256.

    The metadata holds, in this order: ``sample_rate`` (the network's rate, the
    trainer's ``analysis_rate_``), ``fields, ``recipe`` (the trainer's parameters but
    :data:`RUN_PARAMETERS`), ``history`` (skorch's, per epoch) and ``meta``.

    Parameters
    ----------
    path : str or os.PathLike
    trainer : estimator
        Fitted: it has ``analysis_rate_``, ``config_`` (the network's keyword
        arguments) and ``history_``.
    network : torch.nn.Module
        The network to store (a class of :data:`sktag.weights.ARCHITECTURES`).
    fields : dict
        What the trainer records about its outputs, e.g. ``{"tags": [...]}``.
    meta : dict or None
        Extra metadata from the caller (training data, metrics, ...).
    half : bool
        Store weights in fp16.
    history_keys : sequence of str or None, default=None
        The entries kept of each epoch's history (``None`` where absent);
        ``None``: all but the per-batch records.

    Returns
    -------
    sha256 : str
    """
    if history_keys is None:
        history = [{k: v for k, v in row.items() if k != "batches"} for row in trainer.history_]
    else:
        history = [{k: row.get(k) for k in history_keys} for row in trainer.history_]
    recipe = {k: v for k, v in trainer.get_params().items() if k not in RUN_PARAMETERS}
    full_meta = {
        "sample_rate": trainer.analysis_rate_,
        **fields,
        "recipe": json.loads(json.dumps(recipe, default=str)),
        "history": json.loads(json.dumps(history, default=float)),
        **(meta or {}),
    }
    return sktag_weights.save_checkpoint(path, network, config=trainer.config_, meta=full_meta, half=half)
