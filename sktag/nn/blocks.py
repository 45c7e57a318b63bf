"""The building blocks of the sample-level CNNs (arXiv:1703.01789, arXiv:1710.10451).

Every block maps ``(batch, in_channels, time)`` to ``(batch, out_channels, time // m)``:
a convolution with filter length ``m`` ("same" padding) and a max-pool of size ``m``.

=========  ==============================================================================
block      layers
=========  ==============================================================================
basic      conv-BN-ReLU-maxpool
se         conv-BN-ReLU-maxpool, then SE scaling of the pooled output
res1       conv-BN + shortcut, ReLU, maxpool
res2       conv-BN-ReLU-dropout(0.2)-conv-BN + shortcut, ReLU, maxpool
rese1      conv-BN-SE + shortcut, ReLU, maxpool
rese2      conv-BN-ReLU-dropout(0.2)-conv-BN-SE + shortcut, ReLU, maxpool
=========  ==============================================================================

The shortcut is the identity, or a 1x1 conv + BN when the width changes. SE is
squeeze-and-excitation with an *amplifying* ratio ``alpha`` (16 in the paper):
global average over time, dense ``C -> alpha*C`` + ReLU, dense ``alpha*C -> C`` +
sigmoid, channel-wise scaling.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["SqueezeExcitation", "BasicBlock", "SEBlock", "ResBlock", "BLOCKS", "make_block"]


def _conv_bn(in_channels: int, out_channels: int, m: int) -> list[nn.Module]:
    """A "same"-padded conv (filter length m) and BN; even m pads one more sample on the right."""
    if m % 2:
        return [nn.Conv1d(in_channels, out_channels, kernel_size=m, padding=m // 2), nn.BatchNorm1d(out_channels)]
    pad = nn.ConstantPad1d(((m - 1) // 2, m // 2), 0.0)
    return [pad, nn.Conv1d(in_channels, out_channels, kernel_size=m), nn.BatchNorm1d(out_channels)]


class SqueezeExcitation(nn.Module):
    """Channel-wise scaling by an excitation computed from the time-average.

    Parameters
    ----------
    channels : int
        C, the width of the input.
    alpha : float, default=16
        Amplifying ratio: the hidden dense layer has ``round(alpha * C)`` units.

    Notes
    -----
    Shape: ``(batch, C, time) -> (batch, C, time)``.
    """

    def __init__(self, channels: int, alpha: float = 16):
        super().__init__()
        hidden = max(1, round(alpha * channels))
        self.excite = nn.Sequential(
            nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, channels), nn.Sigmoid()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.excite(x.mean(dim=-1)).unsqueeze(-1)


class BasicBlock(nn.Sequential):
    """conv(m)-BN-ReLU-maxpool(m) (arXiv:1703.01789).

    Shape: ``(batch, in_channels, time) -> (batch, out_channels, time // m)``.
    """

    def __init__(self, in_channels: int, out_channels: int, m: int = 3):
        super().__init__(*_conv_bn(in_channels, out_channels, m), nn.ReLU(inplace=True), nn.MaxPool1d(m))


class SEBlock(nn.Module):
    """A basic block followed by squeeze-and-excitation (SE after the max-pool).

    Shape: ``(batch, in_channels, time) -> (batch, out_channels, time // m)``.
    """

    def __init__(self, in_channels: int, out_channels: int, m: int = 3, *, alpha: float = 16):
        super().__init__()
        self.basic = BasicBlock(in_channels, out_channels, m)
        self.se = SqueezeExcitation(out_channels, alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.se(self.basic(x))


class ResBlock(nn.Module):
    """Residual block with one or two convolutions, optionally with SE (Res-1/2, ReSE-1/2).

    Parameters
    ----------
    in_channels, out_channels : int
    m : int, default=3
        Filter length and pooling size.
    n_convs : {1, 2}, default=2
        Convolutions on the residual branch.
    se : bool, default=False
        Scale the residual branch by squeeze-and-excitation before the addition.
    alpha : float, default=16
        SE amplifying ratio.
    dropout : float, default=0.2
        Dropout between the two convolutions (``n_convs=2`` only).

    Notes
    -----
    Shape: ``(batch, in_channels, time) -> (batch, out_channels, time // m)``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        m: int = 3,
        *,
        n_convs: int = 2,
        se: bool = False,
        alpha: float = 16,
        dropout: float = 0.2,
    ):
        super().__init__()
        if n_convs not in (1, 2):
            raise ValueError(f"n_convs must be 1 or 2, got {n_convs}")
        layers: list[nn.Module] = []
        if n_convs == 2:
            layers += [*_conv_bn(in_channels, out_channels, m), nn.ReLU(inplace=True), nn.Dropout(dropout)]
            layers += _conv_bn(out_channels, out_channels, m)
        else:
            layers += _conv_bn(in_channels, out_channels, m)
        if se:
            layers.append(SqueezeExcitation(out_channels, alpha))
        self.residual = nn.Sequential(*layers)
        self.shortcut = (
            nn.Identity()
            if in_channels == out_channels
            else nn.Sequential(nn.Conv1d(in_channels, out_channels, kernel_size=1), nn.BatchNorm1d(out_channels))
        )
        self.pool = nn.MaxPool1d(m)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(torch.relu(self.residual(x) + self.shortcut(x)))


#: Block type name -> (class, fixed keyword arguments).
BLOCKS: dict[str, tuple[type[nn.Module], dict]] = {
    "basic": (BasicBlock, {}),
    "se": (SEBlock, {}),
    "res1": (ResBlock, {"n_convs": 1}),
    "res2": (ResBlock, {"n_convs": 2}),
    "rese1": (ResBlock, {"n_convs": 1, "se": True}),
    "rese2": (ResBlock, {"n_convs": 2, "se": True}),
}


def make_block(block: str, in_channels: int, out_channels: int, m: int, *, alpha: float = 16) -> nn.Module:
    """Build a block by type name (one of :data:`BLOCKS`).

    Parameters
    ----------
    block : {"basic", "se", "res1", "res2", "rese1", "rese2"}
    in_channels, out_channels, m : int
    alpha : float, default=16
        SE amplifying ratio (ignored by blocks without SE).

    Returns
    -------
    module : torch.nn.Module
        Maps ``(batch, in_channels, time)`` to ``(batch, out_channels, time // m)``.
    """
    if block not in BLOCKS:
        raise ValueError(f"unknown block type {block!r}; choose one of {sorted(BLOCKS)}")
    cls, kwargs = BLOCKS[block]
    if cls is BasicBlock:
        return cls(in_channels, out_channels, m)
    return cls(in_channels, out_channels, m, alpha=alpha, **kwargs)
