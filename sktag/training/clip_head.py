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
    tags: Sequence[str] | None = None,
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
    The network's blocks are kept as they are, and so is its own segment-level
    output layer when the tags are the checkpoint's.

    Parameters
    ----------
    path : str or os.PathLike
        Where to write the new checkpoint.
    weights : str or os.PathLike
        A SampleCNN checkpoint (path or shipped name).
    layers : sequence of str
        Layer names of the features, in their order (``"stem"``, ``"block1"``, ...).
    coef : np.ndarray [shape=(n_tags, n_features)]
        One row per tag, columns in the order of the features'
        :meth:`~sktag.SampleCNNFeatures.get_feature_names_out`.
    intercept : np.ndarray [shape=(n_tags,)]
    tags : sequence of str or None, default=None
        The tags, one per row of ``coef``; ``None``: the checkpoint's own
        (``tags`` in its metadata). Other tags get an output layer of zeros
        (logit 0 for every segment: the checkpoint tags through its clip head
        alone, and fine-tuning trains that layer), and the checkpoint's
        ``metrics``, which described its own tags, are left out.
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
        ``coef``, ``intercept`` or ``tags`` do not fit each other or the layers.
    WeightsError
        ``weights`` is not a SampleCNN checkpoint, or has no ``tags`` and none are given.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge  # doctest: +SKIP
    >>> layers = ["block5", "block6", "block7", "block8", "block9"]  # doctest: +SKIP
    >>> X = SampleCNNFeatures(layers=layers, pooling="max+mean").fit_transform(paths)  # doctest: +SKIP
    >>> ridge = Ridge(alpha=300.0).fit(X, logits)  # (n_clips, n_tags) targets  # doctest: +SKIP
    >>> save_clip_head("mine.pt", "default", layers, ridge.coef_, ridge.intercept_, tags=names)  # doctest: +SKIP
    """
    checkpoint = sktag_weights.get_network_checkpoint(weights, "SampleCNN", user="save_clip_head")
    own_tags = checkpoint.meta.get("tags")
    if tags is None and own_tags is None:
        raise sktag_weights.WeightsError(f"{checkpoint.source}: metadata has no 'tags': give the head's tags")
    tags = list(own_tags) if tags is None else [str(tag) for tag in tags]
    same_tags = tags == own_tags
    config = {**checkpoint.config, "clip_head": [str(name) for name in layers], "n_classes": len(tags)}
    network = sktag_weights.build_model("SampleCNN", config)
    widths = {info["name"]: info["num_chs"] for info in network.feature_info}
    coef, intercept = np.asarray(coef, dtype=np.float32), np.asarray(intercept, dtype=np.float32)
    expected = (len(tags), 2 * sum(widths[name] for name in network.clip_head_layers))
    if coef.shape != expected or intercept.shape != expected[:1]:
        raise ValueError(
            f"coef {coef.shape} and intercept {intercept.shape} do not fit {expected[0]} tags and the max+mean "
            f"features of {list(layers)}: coef must be {expected}, intercept ({expected[0]},)"
        )
    replaced = ("clip_head.",) if same_tags else ("clip_head.", "classifier.")
    state = {k: v for k, v in checkpoint.state_dict.items() if not k.startswith(replaced)}
    missing, unexpected = network.load_state_dict(state, strict=False)
    if unexpected or any(not key.startswith(replaced) for key in missing):
        raise sktag_weights.WeightsError(f"{checkpoint.source}: its weights do not fit SampleCNN(**{config})")
    # the features run layer by layer, max then mean within each; the head reads all maxima, then all means
    by_layer = np.split(coef, np.cumsum([2 * widths[name] for name in layers])[:-1], axis=1)
    maxima = [part[:, : part.shape[1] // 2] for part in by_layer]
    means = [part[:, part.shape[1] // 2 :] for part in by_layer]
    with torch.no_grad():
        network.clip_head.weight.copy_(torch.from_numpy(np.concatenate(maxima + means, axis=1)))
        network.clip_head.bias.copy_(torch.from_numpy(intercept))
        if not same_tags:
            network.classifier.weight.zero_()
            network.classifier.bias.zero_()
    kept = {k: v for k, v in checkpoint.meta.items() if same_tags or k != "metrics"}
    return sktag_weights.save_checkpoint(
        path, network, config=config, meta={**kept, "tags": tags, **(meta or {})}, half=half
    )
