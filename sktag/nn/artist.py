"""The artist-label CNN of Park, Lee, Park, Ha and Nam (arXiv:1710.06648): 1-D convs over log-mel frames."""

from __future__ import annotations

from collections.abc import Sequence

from .melcnn import MelCNN

__all__ = ["ArtistCNN"]


class ArtistCNN(MelCNN):
    """1-D CNN over a 129-frame log-mel patch whose 256-d average is an artist embedding.

    Front end: :class:`~sktag.nn.mel.LogMelSpectrogram` (the paper: 22050 Hz,
    n_fft 1024, hop 512, 128 mels, ``log10(1 + 10 S)``), then each mel band
    standardised (a BatchNorm without affine terms: the training set's
    statistics). The mel bands are the input channels of 1-D convolutions over
    time, each followed by BN and ReLU: conv(128, k=4)-maxpool(4) three times,
    conv(128, k=2)-maxpool(2), conv(256, k=1)-dropout(0.5); the global average
    over time is the embedding. With ``n_classes``, a dense softmax layer over
    artists follows ("basic" model); the Siamese model uses the embedding alone.
    It is a :class:`~sktag.nn.MelCNN` with these kernels and pools.

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
        if len(tuple(widths)) != 5:
            raise ValueError(f"widths must have 5 entries, got {len(tuple(widths))}")
        super().__init__(
            n_classes,
            sample_rate=sample_rate,
            n_fft=n_fft,
            hop_length=hop_length,
            n_mels=n_mels,
            fmax=fmax,
            n_frames=n_frames,
            widths=widths,
            kernel_sizes=(4, 4, 4, 2, 1),
            pool_sizes=(4, 4, 4, 2, None),
            dropout=dropout,
        )
