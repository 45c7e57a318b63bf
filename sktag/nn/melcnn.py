"""1-D CNNs over log-mel frames: the local CNNs of Lee and Nam (arXiv:1703.01793) and the artist CNN's skeleton."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ._layers import resolve_layer_indices
from .mel import LogMelSpectrogram

__all__ = ["SPL_POOL_SIZES", "MelCNN"]

#: Input frames -> max-pool sizes of the multi-scale local CNNs of arXiv:1703.01793:
#: three conv layers for 18- and 27-frame inputs, four for 54 frames, each input pooled to one frame.
SPL_POOL_SIZES: dict[int, tuple[int, ...]] = {18: (2, 3, 3), 27: (3, 3, 3), 54: (2, 3, 3, 3)}


def _conv_block(in_width: int, out_width: int, kernel: int, pool: int | None, dropout: float = 0.0) -> nn.Sequential:
    pad = kernel - 1  # "same" output length; an even kernel pads one more sample on the right
    layers: list[nn.Module] = [
        nn.ConstantPad1d((pad // 2, pad - pad // 2), 0.0),
        nn.Conv1d(in_width, out_width, kernel),
        nn.BatchNorm1d(out_width),
        nn.ReLU(inplace=True),
    ]
    if pool:
        layers.append(nn.MaxPool1d(pool))
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class MelCNN(nn.Module):
    """1-D CNN over a log-mel patch: mel bands as channels, convolutions over time.

    Front end: :class:`~sktag.nn.mel.LogMelSpectrogram` (``log10(1 + 10 S)``),
    then each mel band standardised (a BatchNorm without affine terms: the
    training set's statistics). Each conv layer is conv(k, "same")-BN-ReLU,
    then a max-pool where ``pool_sizes`` gives one, the last one followed by
    dropout; the global average over time of the last layer is the
    ``embedding``, and a dense output layer over it gives the logits.

    The defaults are the 27-frame local CNN of the multi-level, multi-scale
    paper (arXiv:1703.01793), which trains local CNNs on 18-, 27- and
    54-frame inputs (three conv layers for the shorter two, four for 54 frames,
    each pooling its input down to one frame: :data:`SPL_POOL_SIZES`), each with
    its own tag head. The paper fixes the frames and the depth; kernels of 3 and
    widths (256, ..., 256, 512) are sktag's choice. :class:`~sktag.nn.ArtistCNN`
    is this network in the artist-label paper's configuration.

    Shape: input ``(batch, samples)`` or ``(batch, 1, samples)`` with
    ``samples >= input_length``; output logits ``(batch, n_classes)``, or the
    embedding ``(batch, widths[-1])`` without a classifier.

    Parameters
    ----------
    n_classes : int or None, default=None
        Outputs of the dense layer; ``None`` for an embedding network.
    sample_rate : float, default=22050
    n_fft : int, default=1024
    hop_length : int, default=512
    n_mels : int, default=128
    fmax : float or None, default=None
        Top of the mel filters (``None``: Nyquist).
    n_frames : int, default=27
        Frames per input patch (27 frames of hop 512 at 22050 Hz = 0.60 s).
    widths : sequence of int or None, default=None
        Widths of the conv layers; ``None``: 256 each, 512 for the last.
    kernel_sizes : sequence of int or None, default=None
        Kernel of each conv layer; ``None``: 3 each.
    pool_sizes : sequence of (int or None) or None, default=None
        Max-pool after each conv layer (``None`` or 1 for none); ``None``:
        ``SPL_POOL_SIZES[n_frames]``. Their product must not exceed ``n_frames``.
    dropout : float, default=0.5
        After the last conv layer.

    Attributes
    ----------
    sample_rate : float
        The rate the front end expects.
    input_length : int
        ``(n_frames - 1) * hop_length`` samples.
    layer_names : list of str
        ``["block1", ..., "blockK", "embedding"]``.
    feature_info : list of dict
        Per layer: ``name``, ``num_chs`` and ``reduction`` (input samples per
        output frame; ``None`` for the embedding).

    Examples
    --------
    >>> import torch
    >>> net = MelCNN(50, n_frames=54)
    >>> net.layer_names
    ['block1', 'block2', 'block3', 'block4', 'embedding']
    >>> net(torch.zeros(2, net.input_length)).shape
    torch.Size([2, 50])
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
        n_frames: int = 27,
        widths: Sequence[int] | None = None,
        kernel_sizes: Sequence[int] | None = None,
        pool_sizes: Sequence[int | None] | None = None,
        dropout: float = 0.5,
    ):
        super().__init__()
        n_frames = int(n_frames)
        if pool_sizes is None:
            if n_frames not in SPL_POOL_SIZES:
                raise ValueError(
                    f"pass pool_sizes for n_frames={n_frames} (defaults exist for {sorted(SPL_POOL_SIZES)} frames)"
                )
            pool_sizes = SPL_POOL_SIZES[n_frames]
        pools = tuple(p if p and p > 1 else None for p in pool_sizes)
        depth = len(pools)
        widths = tuple(widths) if widths is not None else (256,) * (depth - 1) + (512,)
        kernels = tuple(kernel_sizes) if kernel_sizes is not None else (3,) * depth
        if depth < 1 or len(widths) != depth or len(kernels) != depth:
            raise ValueError(
                f"widths, kernel_sizes and pool_sizes must have one entry per conv layer, got "
                f"{len(widths)}, {len(kernels)} and {depth}"
            )
        shrink = math.prod(p or 1 for p in pools)
        if n_frames < shrink:
            raise ValueError(f"n_frames must be >= {shrink} (the pools shrink time {shrink}-fold), got {n_frames}")
        self.sample_rate = float(sample_rate)
        self.input_length = (n_frames - 1) * int(hop_length)
        self.frontend = LogMelSpectrogram(sample_rate, n_fft, hop_length, n_mels, fmax=fmax)
        self.standardise = nn.BatchNorm1d(n_mels, affine=False)
        in_widths = (n_mels, *widths[:-1])
        self.blocks = nn.ModuleList(
            _conv_block(i, o, k, p, dropout if index == depth - 1 else 0.0)
            for index, (i, o, k, p) in enumerate(zip(in_widths, widths, kernels, pools))
        )
        self.classifier = nn.Linear(widths[-1], n_classes) if n_classes else None
        self.layer_names = [f"block{i + 1}" for i in range(depth)] + ["embedding"]
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
            ``embedding`` comes as ``(batch, widths[-1], 1)``.
        """
        if x.ndim == 3 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim != 2:
            raise ValueError(f"expected input of shape (batch, samples) or (batch, 1, samples), got {tuple(x.shape)}")
        if x.shape[-1] < self.input_length:
            raise ValueError(f"input has {x.shape[-1]} samples; this network needs at least {self.input_length}")
        wanted = resolve_layer_indices(self.layer_names, indices)
        depth = len(self.blocks)
        last = max(wanted) if (stop_early and intermediates_only) else depth
        h = self.standardise(self.frontend(x))
        outputs = []
        for block in self.blocks[: min(last + 1, depth)]:
            h = block(h)
            outputs.append(h)
        if last == depth:
            outputs.append(outputs[-1].mean(dim=-1, keepdim=True))
        intermediates = [outputs[i] for i in wanted]
        if intermediates_only:
            return intermediates
        embedding = outputs[-1].squeeze(-1)
        return (self.classifier(embedding) if self.classifier is not None else embedding), intermediates

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The embedding (average over time of the last conv layer), shape ``(batch, widths[-1])``."""
        return self.forward_intermediates(x, ["embedding"])[0].squeeze(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, n_classes)``, or the embedding ``(batch, widths[-1])`` without a classifier."""
        embedding = self.embed(x)
        return self.classifier(embedding) if self.classifier is not None else embedding
