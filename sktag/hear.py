"""The HEAR common API (https://hearbenchmark.com/hear-api.html) over sktag's SampleCNNs.

``python -m heareval.embeddings.runner sktag.hear`` (or the HEAR validator,
``hear-validator sktag.hear``) evaluates the shipped network with no further code::

    from sktag import hear

    model = hear.load_model()                       # the shipped default SampleCNN, 16 kHz
    scene = hear.get_scene_embeddings(audio, model)  # audio: (n_sounds, n_samples) at model.sample_rate
    frames, timestamps = hear.get_timestamp_embeddings(audio, model)

Each clip is cut into the network's segments (59049 samples for 3^9; the tail
zero-padded to a whole segment) and run through the network in batches.

* **Scene embeddings** are sktag's multi-level clip features: for each of
  ``scene_layers`` the max over time within each segment, averaged over the
  segments, a padded segment only over the frames the sound reaches — what
  :class:`~sktag.SampleCNNFeatures` gives with the same layers (which, unlike
  HEAR, drops a tail shorter than a segment instead of padding it).
* **Timestamp embeddings** are frames at the hop of the finest of
  ``timestamp_layers`` (block5 of 3^9: 729 samples, 45.5625 ms at 16 kHz), each
  deeper layer's frame repeated over the finer frames it covers, so that every
  frame carries its own detail and its context. Timestamps are frame centres in
  milliseconds, computed from the frame index (no drift on long audio); frames
  whose centre lies past the end of the audio are left out.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch

from . import weights as sktag_weights
from .audio import AudioError, AudioTypeError, ShortClipWarning
from .clips import network_rows, pool_segments, validate_clips
from .nn import SampleCNN
from .nn.inference import fold_batchnorm

__all__ = [
    "HEAR_SAMPLE_RATES",
    "HearModel",
    "frame_timestamps",
    "get_scene_embeddings",
    "get_timestamp_embeddings",
    "load_model",
]

#: The sample rates the HEAR API admits.
HEAR_SAMPLE_RATES = (16000, 22050, 44100, 48000)


class HearModel(torch.nn.Module):
    """A SampleCNN with the attributes the HEAR API requires (built by :func:`load_model`).

    Parameters
    ----------
    network : sktag.nn.SampleCNN
        The network, in eval mode.
    sample_rate : int
        The rate audio must be given at: the network's rate (an estimator's
        ``analysis_rate_``), under the name the HEAR API requires.
    timestamp_layers, scene_layers : sequence of str
        Layers of the timestamp and the scene embeddings (``"stem"``, ``"block<k>"``).
    batch_size : int
        Segments per network call.

    Attributes
    ----------
    sample_rate : int
    timestamp_embedding_size : int
        Sum of the widths of ``timestamp_layers``.
    scene_embedding_size : int
        Sum of the widths of ``scene_layers``.
    timestamp_hop : int
        Samples between timestamps: the finest timestamp layer's frame hop.
    """

    def __init__(
        self,
        network: SampleCNN,
        *,
        sample_rate: int,
        timestamp_layers: Sequence[str],
        scene_layers: Sequence[str],
        batch_size: int,
    ):
        super().__init__()
        info = {item["name"]: item for item in network.feature_info}
        for name in (*timestamp_layers, *scene_layers):
            if name not in info or info[name]["reduction"] is None:
                framed = [item["name"] for item in network.feature_info if item["reduction"]]
                raise ValueError(f"unknown or global layer {name!r}; choose among {framed}")
        if not timestamp_layers or not scene_layers:
            raise ValueError("timestamp_layers and scene_layers must each name at least one layer")
        self.network = network
        self.sample_rate = int(sample_rate)
        self.timestamp_layers, self.scene_layers = list(timestamp_layers), list(scene_layers)
        self.batch_size = int(batch_size)
        self.timestamp_embedding_size = int(sum(info[name]["num_chs"] for name in self.timestamp_layers))
        self.scene_embedding_size = int(sum(info[name]["num_chs"] for name in self.scene_layers))
        self.timestamp_hop = int(min(info[name]["reduction"] for name in self.timestamp_layers))
        self._reductions = {name: info[name]["reduction"] for name in info}


def load_model(
    model_file_path: str = "",
    *,
    timestamp_layers: Sequence[str] = ("block5", "block6", "block7", "block8", "block9"),
    scene_layers: Sequence[str] = ("block7", "block8", "block9"),
    batch_size: int = 8,
) -> HearModel:
    """Load a SampleCNN for the HEAR API.

    Parameters
    ----------
    model_file_path : str, default=""
        A sktag checkpoint of a SampleCNN, or the name of shipped weights;
        ``""`` loads the shipped default (``sktag.weights.DEFAULT_WEIGHTS["SampleCNN"]``).
    timestamp_layers : sequence of str, default=("block5", ..., "block9")
        Layers of the timestamp embeddings (the default for 3^9: 1536 values every 45.6 ms).
    scene_layers : sequence of str, default=("block7", "block8", "block9")
        Layers of the scene embeddings (the papers' multi-level features: 1024 values for 3^9).
    batch_size : int, default=8
        Segments per network call.

    Returns
    -------
    HearModel
        On the CPU; move it with ``.to(device)``.

    Raises
    ------
    sktag.weights.WeightsError
        An unreadable or tampered checkpoint, or not a SampleCNN.
    ValueError
        A sample rate HEAR does not admit, or unknown layers.
    """
    checkpoint = sktag_weights.get_network_checkpoint(
        model_file_path or "default", "SampleCNN", user="sktag's HEAR API"
    )
    sample_rate = float(checkpoint.meta["sample_rate"])
    if sample_rate not in HEAR_SAMPLE_RATES:
        raise ValueError(f"{os.fspath(checkpoint.source)} runs at {sample_rate:g} Hz; HEAR admits {HEAR_SAMPLE_RATES}")
    network = fold_batchnorm(checkpoint.build()).eval()
    return HearModel(
        network,
        sample_rate=int(sample_rate),
        timestamp_layers=timestamp_layers,
        scene_layers=scene_layers,
        batch_size=batch_size,
    )


def _segment_rows(
    audio: torch.Tensor,
    model: HearModel,
    layers: list[str],
    pool: Callable[[list[torch.Tensor], torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """``pool(activations, n_valid)`` of every segment of every sound (activations ``(batch, channels, frames)``).

    Each sound's whole segments, then its tail zero-padded to one more segment; ``n_valid`` counts the
    samples of each segment that come from the sound (see :func:`sktag.clips.map_segments`).
    Returns ``(n_sounds, n_segments, ...)`` float32, on the CPU.

    Raises
    ------
    sktag.audio.AudioError
        ``audio`` is not a float tensor ``(n_sounds, n_samples)`` (:class:`~sktag.audio.AudioTypeError`
        for another type), has no samples, or holds NaN or infinite samples.
    """
    if not isinstance(audio, torch.Tensor) or not audio.is_floating_point():
        raise AudioTypeError("audio", "must be a float tensor of shape (n_sounds, n_samples)")
    if audio.ndim != 2:
        raise AudioError(
            "audio", f"must be a float tensor of shape (n_sounds, n_samples), got shape {tuple(audio.shape)}"
        )
    if audio.shape[1] == 0:
        raise AudioError("audio", "has 0 samples")
    network = model.network
    waveforms = audio.detach().to("cpu", torch.float32).numpy()
    whole = waveforms.shape[1] // network.input_length * network.input_length
    parts = []
    with warnings.catch_warnings():  # the tails are short by construction: sktag pads each to one segment
        warnings.simplefilter("ignore", ShortClipWarning)
        for part in (waveforms[:, :whole], waveforms[:, whole:]):
            if part.shape[1]:
                parts.append(
                    network_rows(
                        validate_clips(part),
                        network,
                        forward=lambda x: network.forward_intermediates(x, layers),
                        pool=pool,
                        sample_rate=model.sample_rate,
                        input_rate=None,
                        batch_size=model.batch_size,
                        with_lengths=True,
                    )
                )
    return torch.from_numpy(np.stack([np.concatenate(rows) for rows in zip(*parts)]))


def frame_timestamps(n_frames: int, hop: int, sample_rate: float) -> torch.Tensor:
    """Centres, in ms, of the first ``n_frames`` frames of ``hop`` samples, computed from the index (no drift).

    Returns
    -------
    timestamps : torch.Tensor [shape=(n_frames,), dtype=float32]
    """
    index = torch.arange(n_frames, dtype=torch.float64)
    return ((index + 0.5) * (hop * 1000.0 / sample_rate)).float()


def get_timestamp_embeddings(audio: torch.Tensor, model: HearModel) -> tuple[torch.Tensor, torch.Tensor]:
    """Frame embeddings at regular timestamps.

    Parameters
    ----------
    audio : torch.Tensor [shape=(n_sounds, n_samples)]
        Mono audio in [-1, 1] at ``model.sample_rate``, on any device.
    model : HearModel

    Returns
    -------
    embeddings : torch.Tensor [shape=(n_sounds, n_timestamps, model.timestamp_embedding_size), dtype=float32]
    timestamps : torch.Tensor [shape=(n_sounds, n_timestamps), dtype=float32]
        Frame centres in ms, every ``model.timestamp_hop`` samples.

    Raises
    ------
    sktag.audio.AudioError
        ``audio`` is not a float tensor ``(n_sounds, n_samples)``, has no samples, or holds NaN or infinity.
    """
    hop = model.timestamp_hop

    def frames_of(activations: list[torch.Tensor], _: torch.Tensor) -> torch.Tensor:  # each layer at the finest hop
        levels = []
        for name, layer in zip(model.timestamp_layers, activations):
            repeats = model._reductions[name] // hop
            levels.append(layer.float().repeat_interleave(repeats, dim=-1) if repeats > 1 else layer.float())
        return torch.cat(levels, dim=1)

    frames = _segment_rows(audio, model, model.timestamp_layers, frames_of)  # (n_sounds, n_segments, channels, frames)
    n_sounds, n_segments, channels, per_segment = frames.shape
    frames = frames.permute(0, 1, 3, 2).reshape(n_sounds, n_segments * per_segment, channels)
    n_timestamps = max(1, math.ceil(audio.shape[1] / hop - 0.5))  # centres within the audio
    timestamps = frame_timestamps(n_timestamps, hop, model.sample_rate).to(audio.device)
    return frames[:, :n_timestamps].contiguous().to(audio.device), timestamps.expand(n_sounds, -1).contiguous()


def get_scene_embeddings(audio: torch.Tensor, model: HearModel) -> torch.Tensor:
    """One embedding per sound: max over time in each segment (the frames the sound reaches), mean over segments.

    Parameters
    ----------
    audio : torch.Tensor [shape=(n_sounds, n_samples)]
        Mono audio in [-1, 1] at ``model.sample_rate``, on any device.
    model : HearModel

    Returns
    -------
    embeddings : torch.Tensor [shape=(n_sounds, model.scene_embedding_size), dtype=float32]

    Raises
    ------
    sktag.audio.AudioError
        ``audio`` is not a float tensor ``(n_sounds, n_samples)``, has no samples, or holds NaN or infinity.
    """
    rows = _segment_rows(
        audio,
        model,
        model.scene_layers,
        lambda activations, n_valid: pool_segments(activations, n_valid, model.network.input_length)[:, 0],
    )
    return rows.mean(1).to(audio.device)
