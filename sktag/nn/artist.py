"""The artist-label CNN of Park, Lee, Park, Ha and Nam (arXiv:1710.06648): 1-D convs over log-mel frames."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._layers import resolve_layer_indices
from .mel import LogMelSpectrogram

__all__ = ["ArtistCNN"]


def _conv_block(in_width: int, out_width: int, kernel: int, pool: int | None, dropout: float = 0.0) -> nn.Sequential:
    pad = kernel - 1  # "same" output length; an even kernel pads one more sample on the right
    layers: list[nn.Module] = [
        nn.ConstantPad1d((pad // 2, pad - pad // 2), 0.0),
        nn.Conv1d(in_width, out_width, kernel), nn.BatchNorm1d(out_width), nn.ReLU(inplace=True),
    ]
    if pool:
        layers.append(nn.MaxPool1d(pool))
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class ArtistCNN(nn.Module):
    """1-D CNN over a 129-frame log-mel patch whose 256-d average is an artist embedding.

    Front end: :class:`~sktag.nn.mel.LogMelSpectrogram` (the paper: 22050 Hz,
    n_fft 1024, hop 512, 128 mels, ``log10(1 + 10 S)``), then each mel band
    standardised (a BatchNorm without affine terms: the training set's
    statistics). The mel bands are the input channels of 1-D convolutions over
    time, each followed by BN and ReLU: conv(128, k=4)-maxpool(4) three times,
    conv(128, k=2)-maxpool(2), conv(256, k=1)-dropout(0.5); the global average
    over time is the embedding. With ``n_classes``, a dense softmax layer over
    artists follows ("basic" model); the Siamese model uses the embedding alone.

    Shape: input ``(batch, samples)`` or ``(batch, 1, samples)`` with
    ``samples >= input_length``; output logits ``(batch, n_classes)``, or the
    embedding ``(batch, 256)`` without a classifier.

    Parameters
    ----------
    n_classes : int or None, default=None
        Artists of the softmax head; ``None`` for an embedding network.
    sample_rate : float, default=22050
    n_fft : int, default=1024
    hop_length : int, default=512
    n_mels : int, default=128
    fmax : float or None, default=None
        Top of the mel filters (``None``: Nyquist).
    n_frames : int, default=129
        Frames per input patch (129 frames of hop 512 at 22050 Hz = 2.97 s).
    widths : sequence of int, default=(128, 128, 128, 128, 256)
        Widths of the five conv layers.
    dropout : float, default=0.5

    Attributes
    ----------
    sample_rate : float
        The rate the front end expects.
    input_length : int
        ``(n_frames - 1) * hop_length`` samples (65536 in the paper's configuration).
    layer_names : list of str
        ``["block1", ..., "block5", "embedding"]``.
    feature_info : list of dict
        Per layer: ``name``, ``num_chs`` and ``reduction`` (input samples per
        output frame; ``None`` for the embedding).
    """

    def __init__(
        self,
        n_classes: int | None = None,
        *,
        sample_rate: float = 22050,
        n_fft: int = 1024,
        hop_length: int = 512,
        n_mels: int = 128,
        fmax: float | None = None,
        n_frames: int = 129,
        widths: Sequence[int] = (128, 128, 128, 128, 256),
        dropout: float = 0.5,
    ):
        super().__init__()
        widths = tuple(widths)
        if len(widths) != 5:
            raise ValueError(f"widths must have 5 entries, got {len(widths)}")
        if n_frames < 128:
            raise ValueError(f"n_frames must be >= 128 (the pools shrink time 128-fold), got {n_frames}")
        self.sample_rate = float(sample_rate)
        self.input_length = (int(n_frames) - 1) * int(hop_length)
        self.frontend = LogMelSpectrogram(sample_rate, n_fft, hop_length, n_mels, fmax=fmax)
        self.standardise = nn.BatchNorm1d(n_mels, affine=False)
        kernels, pools = (4, 4, 4, 2, 1), (4, 4, 4, 2, None)
        in_widths = (n_mels, *widths[:-1])
        self.blocks = nn.ModuleList(
            _conv_block(i, o, k, p, dropout if index == 4 else 0.0)
            for index, (i, o, k, p) in enumerate(zip(in_widths, widths, kernels, pools))
        )
        self.classifier = nn.Linear(widths[-1], n_classes) if n_classes else None
        self.layer_names = [f"block{i + 1}" for i in range(5)] + ["embedding"]
        reduction, self.feature_info = int(hop_length), []
        for index, (width, pool) in enumerate(zip(widths, pools)):
            reduction *= pool or 1
            self.feature_info.append({"name": f"block{index + 1}", "num_chs": width, "reduction": reduction})
        self.feature_info.append({"name": "embedding", "num_chs": widths[-1], "reduction": None})
        for module in self.modules():
            if isinstance(module, (nn.Conv1d, nn.Linear)):
                nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def forward_intermediates(
        self,
        x: torch.Tensor,
        indices: int | Sequence[int | str] | None = None,
        *,
        stop_early: bool = True,
        intermediates_only: bool = True,
    ) -> list[torch.Tensor] | tuple[torch.Tensor, list[torch.Tensor]]:
        """Activations of chosen layers, as :meth:`sktag.nn.SampleCNN.forward_intermediates`.

        Parameters
        ----------
        x : torch.Tensor [shape=(batch, samples) or (batch, 1, samples)]
        indices : int, sequence of int or str, or None
        stop_early : bool, default=True
        intermediates_only : bool, default=True
            Otherwise return ``(output, intermediates)`` with ``output`` as :meth:`forward`.

        Returns
        -------
        intermediates : list of torch.Tensor [shape=(batch, channels, frames)]
            ``embedding`` comes as ``(batch, 256, 1)``.
        """
        if x.ndim == 3 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim != 2:
            raise ValueError(f"expected input of shape (batch, samples) or (batch, 1, samples), got {tuple(x.shape)}")
        if x.shape[-1] < self.input_length:
            raise ValueError(f"input has {x.shape[-1]} samples; this network needs at least {self.input_length}")
        wanted = resolve_layer_indices(self.layer_names, indices)
        last = max(wanted) if (stop_early and intermediates_only) else len(self.layer_names) - 1
        h = self.standardise(self.frontend(x))
        outputs = []
        for block in self.blocks[: min(last + 1, 5)]:
            h = block(h)
            outputs.append(h)
        if last == 5:
            outputs.append(outputs[-1].mean(dim=-1, keepdim=True))
        intermediates = [outputs[i] for i in wanted]
        if intermediates_only:
            return intermediates
        embedding = outputs[-1].squeeze(-1)
        return (self.classifier(embedding) if self.classifier is not None else embedding), intermediates

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The 256-d embedding (average over time of the last conv layer), shape ``(batch, 256)``."""
        return self.forward_intermediates(x, ["embedding"])[0].squeeze(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Artist logits ``(batch, n_classes)``, or the embedding ``(batch, 256)`` without a classifier."""
        embedding = self.embed(x)
        return self.classifier(embedding) if self.classifier is not None else embedding
