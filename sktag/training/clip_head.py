"""A SampleCNN checkpoint with a clip-level tag head: a linear map of whole-clip multi-level features to tag logits."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch

from .. import weights as sktag_weights

__all__ = ["save_clip_head"]


def save_clip_head(
    path: str | os.PathLike,
    weights: str | os.PathLike,
    layers: Sequence[str],
    coef: np.ndarray,
    intercept: np.ndarray,
    *,
    meta: dict | None = None,
    half: bool = True,
) -> str:
    """Write ``weights``' network with a clip-level tag head; returns the file's sha256.

    The head gives each clip the logits ``features @ coef.T + intercept``, where
    ``features`` are ``SampleCNNFeatures(weights, layers=layers,
    pooling="max+mean", aggregate="mean")`` of the clip, so any linear model
    fitted on those features (``coef_`` and ``intercept_`` of a Ridge, or of a
    LogisticRegression per tag) can become what
    :meth:`~sktag.training.SampleCNNTagger.predict_proba` and ``sktag tag`` give:
    the sigmoid of the head's logits (see :meth:`sktag.nn.SampleCNN.clip_logits`).
    The network's blocks and its own segment-level output layer are kept as they are.

    Parameters
    ----------
    path : str or os.PathLike
        Where to write the new checkpoint.
    weights : str or os.PathLike
        A SampleCNN checkpoint (path or shipped name) with ``tags`` in its
        metadata, one per output.
    layers : sequence of str
        Layer names of the features, in their order (``"stem"``, ``"block1"``, ...).
    coef : np.ndarray [shape=(n_tags, n_features)]
        One row per tag of the checkpoint, columns in the order of the
        features' :meth:`~sktag.SampleCNNFeatures.get_feature_names_out`.
    intercept : np.ndarray [shape=(n_tags,)]
    meta : dict or None, default=None
        Metadata to add or replace (e.g. how the head was fitted).
    half : bool, default=True
        Store the weights in fp16.

    Returns
    -------
    sha256 : str

    Raises
    ------
    ValueError
        ``coef`` or ``intercept`` do not fit the layers and the checkpoint's tags.
    """
    checkpoint = sktag_weights.get_network_checkpoint(weights, "SampleCNN", user="save_clip_head")
    if "tags" not in checkpoint.meta:
        raise sktag_weights.WeightsError(f"{checkpoint.source}: metadata has no 'tags'; it is not a tagger")
    config = {**checkpoint.config, "clip_head": [str(name) for name in layers]}
    network = sktag_weights.build_model("SampleCNN", config)
    widths = {info["name"]: info["num_chs"] for info in network.feature_info}
    coef, intercept = np.asarray(coef, dtype=np.float32), np.asarray(intercept, dtype=np.float32)
    expected = (len(checkpoint.meta["tags"]), 2 * sum(widths[name] for name in network.clip_head_layers))
    if coef.shape != expected or intercept.shape != expected[:1]:
        raise ValueError(
            f"coef {coef.shape} and intercept {intercept.shape} do not fit {expected[0]} tags and the max+mean "
            f"features of {list(layers)}: coef must be {expected}, intercept ({expected[0]},)"
        )
    state = {k: v for k, v in checkpoint.state_dict.items() if not k.startswith("clip_head.")}
    missing, unexpected = network.load_state_dict(state, strict=False)
    if unexpected or set(missing) != {"clip_head.weight", "clip_head.bias"}:
        raise sktag_weights.WeightsError(f"{checkpoint.source}: its weights do not fit SampleCNN(**{config})")
    # the features run layer by layer, max then mean within each; the head reads all maxima, then all means
    by_layer = np.split(coef, np.cumsum([2 * widths[name] for name in layers])[:-1], axis=1)
    maxima = [part[:, : part.shape[1] // 2] for part in by_layer]
    means = [part[:, part.shape[1] // 2 :] for part in by_layer]
    with torch.no_grad():
        network.clip_head.weight.copy_(torch.from_numpy(np.concatenate(maxima + means, axis=1)))
        network.clip_head.bias.copy_(torch.from_numpy(intercept))
    return sktag_weights.save_checkpoint(
        path, network, config=config, meta={**checkpoint.meta, **(meta or {})}, half=half
    )
