"""Clips in, rows out: the input contract, decoded segments and batched network calls under every network.

What every part of sktag that runs a network over audio shares (the feature
transformers, the trainers' prediction, the HEAR API, batch extraction):

* :mod:`~sktag.clips.inputs`: what ``X`` may be (:func:`validate_clips`: paths,
  1-D waveforms ``(n,)``, a 2-D array ``(n_clips, n_samples)``, a column of
  paths), each clip's name and content key, and the report of failed clips;
* :mod:`~sktag.clips.segments`: one clip decoded, mixed to mono and resampled in
  blocks (:func:`clip_blocks`), and cut into fixed-length segments
  (:func:`clip_segments`);
* :mod:`~sktag.clips.batching`: the segments of many clips through a function in
  batches, decoded ahead in background threads (:func:`map_segments`,
  :func:`decode_ahead`);
* :mod:`~sktag.clips.network`: segments through a network, rows per clip
  (:func:`network_rows`, :func:`clip_means`), and each layer pooled over the
  frames a clip reaches (:func:`pool_segments`, :func:`layer_statistics`).

It sits above :mod:`sktag.audio`, :mod:`sktag.nn` and :mod:`sktag.weights`, and
below :mod:`sktag.features` and :mod:`sktag.training`.
"""

from .batching import decode_ahead, map_segments
from .inputs import Clip, DecodedFile, clip_content_key, report_failures, validate_clips
from .network import clip_means, layer_statistics, network_rows, pool_segments
from .segments import clip_blocks, clip_segments, warn_short_clips

__all__ = [
    "Clip",
    "DecodedFile",
    "clip_blocks",
    "clip_content_key",
    "clip_means",
    "clip_segments",
    "decode_ahead",
    "map_segments",
    "layer_statistics",
    "network_rows",
    "pool_segments",
    "report_failures",
    "validate_clips",
    "warn_short_clips",
]
