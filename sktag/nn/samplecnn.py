"""SampleCNN: the sample-level deep CNN of arXiv:1703.01789 and arXiv:1710.10451."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._layers import resolve_layer_indices
from .blocks import BLOCKS, make_block

__all__ = ["SampleCNN", "default_widths"]

#: Widths of the nine blocks of the paper's 3^9 network (Table 1 of arXiv:1703.01789).
WIDTHS_3_9 = (128, 128, 256, 256, 256, 256, 256, 256, 512)


def default_widths(n: int) -> tuple[int, ...]:
    """Block widths for an ``m^n`` network.

    For ``n = 9`` this is the paper's table: 128, 128, 256 x 6, 512. Other ``n``
    keep its proportions: the first ``min(n - 1, round(2n/9))`` blocks 128 wide, the last 512,
    the rest 256.

    Parameters
    ----------
    n : int
        Number of blocks after the strided stem.

    Returns
    -------
    widths : tuple of int [length n]
    """
    if n == 9:
        return WIDTHS_3_9
    n_128 = min(n - 1, round(2 * n / 9))
    return (128,) * n_128 + (256,) * (n - 1 - n_128) + (512,)


class SampleCNN(nn.Module):
    """Sample-level CNN on raw waveforms, ``m^n`` configuration, any block type.

    A strided stem conv(128, k=m, stride=m)-BN-ReLU turns ``m^(n+1)`` samples into
    ``m^n`` frames; ``n`` blocks (conv with filter length ``m`` and max-pool ``m``)
    reduce them to 1; the head is a dense layer (512 units, or 1024 with
    ``multi_level``)-BN-ReLU-dropout-dense(``n_classes``). With ``multi_level``, the
    head's input is the concatenated global max of the last three blocks
    (arXiv:1710.10451); otherwise the last block's (equal to the paper's conv1x1
    layer, since the last block has one frame). Initialised He-uniform as the authors did.

    Shape: input ``(batch, samples)`` or ``(batch, 1, samples)`` with
    ``samples >= input_length``; output logits ``(batch, n_classes)``.

    Parameters
    ----------
    m : int, default=3
        Filter length, stride and pooling size (2..5 in the paper).
    n : int, default=9
        Number of blocks after the stem; the input is ``m ** (n + 1)`` samples
        (3^9: 59049 samples).
    block : {"basic", "se", "res1", "res2", "rese1", "rese2"}, default="basic"
    n_classes : int, default=50
    multi_level : bool, default=False
    alpha : float, default=16
        SE amplifying ratio.
    widths : sequence of int, optional
        Output width of each block (length ``n``); default :func:`default_widths`.
    stem_width : int, default=128
    dropout : float, default=0.5
        Dropout before the output layer.
    clip_head : sequence of str or None, default=None
        Layer names (such as ``"block1"``) for an optional clip-level tag head:
        a linear map from a whole clip's multi-level statistics to
        ``n_classes`` logits (:meth:`clip_logits`), which a tagger uses
        instead of averaging the segment outputs of ``forward``. ``None``: no
        such head. :meth:`forward` never uses it.

    Attributes
    ----------
    input_length : int
        ``m ** (n + 1)``, the segment length the network was designed for.
    layer_names : list of str
        ``["stem", "block1", ..., "block<n>", "fc"]``: the layers
        :meth:`forward_intermediates` can return.
    feature_info : list of dict
        Per layer: ``name``, ``num_chs`` (width) and ``reduction`` (input samples
        per output frame; ``None`` for ``fc``, which is global).
    clip_head_layers : tuple of str
        The layers of the clip-level head (empty without one).
    clip_head : torch.nn.Linear or None
        ``2 * (sum of their widths)`` inputs, ``n_classes`` outputs.
    """

    def __init__(
        self,
        m: int = 3,
        n: int = 9,
        *,
        block: str = "basic",
        n_classes: int = 50,
        multi_level: bool = False,
        alpha: float = 16,
        widths: Sequence[int] | None = None,
        stem_width: int = 128,
        dropout: float = 0.5,
        clip_head: Sequence[str] | None = None,
    ):
        super().__init__()
        if not 2 <= int(m) <= 9:
            raise ValueError(f"m must be between 2 and 9, got {m}")
        if int(n) < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if block not in BLOCKS:
            raise ValueError(f"unknown block type {block!r}; choose one of {sorted(BLOCKS)}")
        widths = tuple(default_widths(n) if widths is None else widths)
        if len(widths) != n:
            raise ValueError(f"widths must have n={n} entries, got {len(widths)}")
        if multi_level and n < 3:
            raise ValueError("multi_level needs n >= 3 blocks")
        self.m, self.n, self.block, self.multi_level = m, n, block, multi_level
        self.input_length = m ** (n + 1)

        self.stem = nn.Sequential(
            nn.Conv1d(1, stem_width, kernel_size=m, stride=m), nn.BatchNorm1d(stem_width), nn.ReLU(inplace=True)
        )
        in_widths = (stem_width, *widths[:-1])
        self.blocks = nn.ModuleList(make_block(block, i, o, m, alpha=alpha) for i, o in zip(in_widths, widths))
        head_in = sum(widths[-3:]) if multi_level else widths[-1]
        fc_width = 1024 if multi_level else 512
        self.fc = nn.Sequential(nn.Linear(head_in, fc_width), nn.BatchNorm1d(fc_width), nn.ReLU(inplace=True))
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(fc_width, n_classes)

        self.layer_names = ["stem", *(f"block{i + 1}" for i in range(n)), "fc"]
        self.feature_info = [{"name": "stem", "num_chs": stem_width, "reduction": m}]
        self.feature_info += [
            {"name": f"block{i + 1}", "num_chs": w, "reduction": m ** (i + 2)} for i, w in enumerate(widths)
        ]
        self.feature_info.append({"name": "fc", "num_chs": fc_width, "reduction": None})
        self.clip_head_layers = tuple(clip_head or ())
        unknown = sorted(set(self.clip_head_layers) - set(self.layer_names[:-1]))
        if unknown:
            raise ValueError(f"clip_head names {unknown}; it can use {self.layer_names[:-1]}")
        widths_by_name = {info["name"]: info["num_chs"] for info in self.feature_info}
        head_width = 2 * sum(widths_by_name[name] for name in self.clip_head_layers)
        self.clip_head = nn.Linear(head_width, n_classes) if clip_head else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """He-uniform weights and zero biases for every conv and dense layer."""
        for module in self.modules():
            if isinstance(module, (nn.Conv1d, nn.Linear)):
                nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def _check_input(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 2:
            x = x.unsqueeze(1)
        if x.ndim != 3 or x.shape[1] != 1:
            raise ValueError(f"expected input of shape (batch, samples) or (batch, 1, samples), got {tuple(x.shape)}")
        if x.shape[-1] < self.input_length:
            raise ValueError(f"input has {x.shape[-1]} samples; this network needs at least {self.input_length}")
        return x

    def _global_max(self, activations: list[torch.Tensor]) -> torch.Tensor:
        levels = activations[-3:] if self.multi_level else activations[-1:]
        return torch.cat([a.amax(dim=-1) for a in levels], dim=1)

    def forward_intermediates(
        self,
        x: torch.Tensor,
        indices: int | Sequence[int | str] | None = None,
        *,
        stop_early: bool = True,
        intermediates_only: bool = True,
    ) -> list[torch.Tensor] | tuple[torch.Tensor, list[torch.Tensor]]:
        """Activations of chosen layers (timm's ``forward_intermediates`` convention).

        Parameters
        ----------
        x : torch.Tensor [shape=(batch, samples) or (batch, 1, samples)]
        indices : int, sequence of int or str, or None
            ``None``: every layer of :attr:`layer_names`; an int ``k``: the last
            ``k`` layers; a sequence: layer positions (negative counts from the
            end) or names such as ``"block7"``.
        stop_early : bool, default=True
            Stop after the deepest requested layer (only with ``intermediates_only``).
        intermediates_only : bool, default=True
            Return only the list; otherwise ``(logits, list)``.

        Returns
        -------
        intermediates : list of torch.Tensor [shape=(batch, channels, frames)]
            In the order requested; ``fc`` comes as ``(batch, channels, 1)``.
        """
        x = self._check_input(x)
        wanted = resolve_layer_indices(self.layer_names, indices)
        last = max(wanted) if (stop_early and intermediates_only) else len(self.layer_names) - 1
        outputs: list[torch.Tensor] = [self.stem(x)]
        for block in self.blocks[: min(last, self.n)]:
            outputs.append(block(outputs[-1]))
        if last == len(self.layer_names) - 1:
            outputs.append(self.fc(self._global_max(outputs[1:])).unsqueeze(-1))
        intermediates = [outputs[i] for i in wanted]
        if intermediates_only:
            return intermediates
        return self.classifier(self.dropout(outputs[-1].squeeze(-1))), intermediates

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate (``fc``) activations, shape ``(batch, 512 or 1024)``."""
        return self.forward_intermediates(x, ["fc"])[0].squeeze(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tag logits, shape ``(batch, n_classes)``; apply a sigmoid for probabilities."""
        return self.classifier(self.dropout(self.forward_features(x)))

    def clip_logits(self, stats: torch.Tensor) -> torch.Tensor:
        """Tag logits of whole clips from the clip-level head.

        Parameters
        ----------
        stats : torch.Tensor [shape=(n_clips, 2, sum of widths)]
            Each clip's mean over its segments of :func:`sktag.clips.pool_segments`
            of :attr:`clip_head_layers`: ``[:, 0]`` the max over time, ``[:, 1]``
            the mean, layers side by side in the order of :attr:`clip_head_layers`.
            (These are ``SampleCNNFeatures(layers=clip_head_layers,
            pooling="max+mean")`` features, in another order.)

        Returns
        -------
        logits : torch.Tensor [shape=(n_clips, n_classes)]
        """
        if self.clip_head is None:
            raise RuntimeError("this network has no clip-level head (built with clip_head=None)")
        return self.clip_head(stats.flatten(1))
