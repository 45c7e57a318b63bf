"""Segments through a network, rows per clip: the one inference loop of every sktag network over clips, and the
pooling of a layer over the frames a clip reaches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from .._devices import autocast
from .batching import map_segments
from .inputs import Clip

__all__ = ["clip_means", "layer_statistics", "network_rows", "pool_segments"]


def network_rows(
    clips: Sequence[Clip],
    network: torch.nn.Module,
    *,
    sample_rate: float,
    input_rate: float | None,
    batch_size: int,
    forward: Callable[[torch.Tensor], Any] | None = None,
    pool: Callable[[Any], torch.Tensor] | None = None,
    hop: int | None = None,
    autocast_dtype: torch.dtype | None = None,
    verbose: int = 0,
    failures: dict | None = None,
    with_lengths: bool = False,
) -> list[np.ndarray | None]:
    """Every segment of every clip through ``network``, in batches; the rows of each clip.

    Clips are decoded, resampled to ``sample_rate`` and cut into segments of
    ``network.input_length`` samples, in background threads
    (:func:`~sktag.clips.map_segments`); the segments of consecutive clips share
    batches of ``batch_size``, which run on the network's device in inference
    mode: ``forward`` under autocast to ``autocast_dtype``, then ``pool`` in
    float32 outside it.

    Parameters
    ----------
    clips : sequence of Clip [length=n_clips]
        From :func:`~sktag.clips.validate_clips`.
    network : torch.nn.Module
        In eval mode, on its device; it has ``input_length`` (samples per segment).
    sample_rate : float
        The network's rate.
    input_rate : float or None
        The rate of array clips (``None``: already at ``sample_rate``).
    batch_size : int
        Segments per network call.
    forward : callable or None, default=None
        Maps a float32 batch ``(batch, input_length)`` to the network's output
        (a tensor, or a list of them such as ``forward_intermediates`` returns);
        ``None``: ``network`` itself.
    pool : callable or None, default=None
        Maps ``forward``'s output to one tensor ``(batch, ...)``, e.g. each
        layer's max over time; ``None``: the output as it is, which must then
        be a tensor.
    hop : int or None, default=None
        Samples between segment starts; ``None``: ``input_length`` (no overlap).
    autocast_dtype : torch.dtype or None, default=None
        ``torch.bfloat16`` runs ``forward`` under autocast; ``None`` in float32.
    verbose : int, default=0
        ``1``: a progress line on stderr.
    failures : dict or None, default=None
        ``None``: the first clip that cannot be decoded (or gives non-finite
        rows) raises its :class:`~sktag.audio.AudioError`. A dict: its error is
        stored under the clip's index and its rows are ``None``; clips already
        in it are skipped.
    with_lengths : bool, default=False
        Call ``pool(output, n_valid)`` with each segment's count of samples from
        its clip (see :func:`~sktag.clips.map_segments`), so pooling can leave out
        the zero padding of a clip shorter than a segment.

    Returns
    -------
    rows : list of (np.ndarray [shape=(n_segments_of_clip, ...), dtype=float32] or None) [length=n_clips]
        ``pool(forward(segments))`` of each clip's segments, in order.

    Warns
    -----
    sktag.audio.ShortClipWarning
        Once, naming the clips shorter than a segment (each zero-padded to one).
    """
    device = next(network.parameters()).device
    length = network.input_length
    forward = network if forward is None else forward

    def call(x: torch.Tensor, *n_valid: torch.Tensor) -> torch.Tensor:
        with autocast(device, autocast_dtype):
            output = forward(x)
        return output if pool is None else pool(output, *n_valid)

    return map_segments(
        clips,
        call,
        sample_rate=sample_rate,
        input_rate=input_rate,
        length=length,
        hop=length if hop is None else hop,
        batch_size=batch_size,
        device=device,
        verbose=verbose,
        failures=failures,
        with_lengths=with_lengths,
    )


def layer_statistics(
    clips: Sequence[Clip], network: torch.nn.Module, layer_names: Sequence[str], **rows_options: Any
) -> list[np.ndarray | None]:
    """Per clip and segment, each layer's max and mean over the frames the clip reaches.

    :func:`network_rows` with ``network.forward_intermediates(x, layer_names)``
    pooled by :func:`pool_segments`: what the feature transformers aggregate and
    a clip-level tag head reads.

    Parameters
    ----------
    clips : sequence of Clip [length=n_clips]
    network : torch.nn.Module
        In eval mode, on its device; it has ``input_length`` and ``forward_intermediates``.
    layer_names : sequence of str
        The layers, in the order their channels are laid side by side.
    **rows_options
        ``sample_rate``, ``input_rate``, ``batch_size`` and the other keyword
        arguments of :func:`network_rows` but ``forward``, ``pool`` and ``with_lengths``.

    Returns
    -------
    stats : list of (np.ndarray [shape=(n_segments_of_clip, 2, sum of widths), dtype=float32] or None)
        ``[:, 0]`` the max, ``[:, 1]`` the mean; ``None`` for a clip that failed.
    """
    names = list(layer_names)
    return network_rows(
        clips,
        network,
        forward=lambda x: network.forward_intermediates(x, names),
        pool=lambda activations, n_valid: pool_segments(activations, n_valid, network.input_length),
        with_lengths=True,
        **rows_options,
    )


def clip_means(rows: Sequence[np.ndarray]) -> np.ndarray:
    """The mean over its segments of each clip's rows (from :func:`network_rows`, no clip failed).

    Parameters
    ----------
    rows : sequence of np.ndarray [shape=(n_segments_of_clip, ...)] [length=n_clips]

    Returns
    -------
    means : np.ndarray [shape=(n_clips, ...), dtype=float32]
    """
    return np.stack([clip_rows.mean(axis=0) for clip_rows in rows]).astype(np.float32)


def pool_segments(activations: list[torch.Tensor], n_valid: torch.Tensor, length: int) -> torch.Tensor:
    """Each layer's max and mean over time within each segment, over the frames its clip reaches.

    A segment of a clip shorter than ``length`` is zero-padded; its frames past
    the clip's end (frame ``t`` of ``T`` covers samples ``t * length / T`` onwards)
    see only padding and are left out, so a short clip's features describe the
    clip rather than the silence after it. Every layer keeps at least one frame.

    Parameters
    ----------
    activations : list of torch.Tensor [shape=(batch, channels, frames)]
        The layers' outputs, as ``forward_intermediates`` gives them (any float dtype).
    n_valid : torch.Tensor [shape=(batch,), dtype=int64]
        Samples of each segment that come from its clip, on any device (the
        CPU spares a GPU a synchronisation per batch).
    length : int
        Samples per segment.

    Returns
    -------
    stats : torch.Tensor [shape=(batch, 2, sum of channels), dtype=float32]
        ``[:, 0]`` the max, ``[:, 1]`` the mean, layers side by side.
    """
    padded = bool((n_valid < length).any())
    parts = []
    for a in activations:
        if not padded:
            parts.append(torch.stack([a.amax(-1).float(), a.mean(-1, dtype=torch.float32)], dim=1))
            continue
        frames = a.shape[-1]
        reached = ((n_valid.to(a.device) * frames + length - 1) // length).clamp(1, frames)
        keep = (torch.arange(frames, device=a.device) < reached[:, None])[:, None, :]
        a = a.float()
        top = a.masked_fill(~keep, float("-inf")).amax(-1)
        mean = (a * keep).sum(-1) / reached[:, None]
        parts.append(torch.stack([top, mean], dim=1))
    return torch.cat(parts, dim=2)
