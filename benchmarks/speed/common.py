"""What the speed scripts share: the machine, where a CPU run writes, the clips, and the timing loops.

- :func:`machine`, :func:`cpu_class`, :func:`results_stem`: the machine a results file
  names, and the file a CPU run writes (``<stem>`` on CPUs with native bf16, issue 12's
  class; ``<stem>_<class>`` elsewhere);
- :func:`game_music_mp3s`, :func:`audio_seconds`: the clip set (every ``stride``-th
  game_music mp3, sorted) and its duration;
- :data:`LAYERS`, :data:`SEGMENT`, :func:`forward`, :func:`segments_per_second`: the
  network-only timing loop (random 59049-sample segments, the default layers);
- :func:`warm_extractor`, :func:`timed_transform`, :func:`decode`,
  :func:`count_segments`: end to end through ``SampleCNNFeatures``, and decoding alone.

Results files are written with :func:`benchmarks.common.write_results`.
"""

from __future__ import annotations

import glob
import os
import platform
import time
from collections.abc import Callable

import numpy as np
import soundfile
import torch

from benchmarks.common import SHARED
from sktag import SampleCNNFeatures
from sktag.clips import clip_segments, decode_ahead, validate_clips
from sktag.runtime import autocast, cpu_has_native_bf16

__all__ = [
    "LAYERS",
    "SEGMENT",
    "audio_seconds",
    "count_segments",
    "cpu_class",
    "decode",
    "forward",
    "game_music_mp3s",
    "machine",
    "results_stem",
    "segments_per_second",
    "timed",
    "timed_transform",
    "warm_extractor",
]

#: The layers ``SampleCNNFeatures`` takes by default: the network-only runs compute the same.
LAYERS = ["block7", "block8", "block9"]
#: Samples per segment of the 3^9 SampleCNN.
SEGMENT = 59049


def _cpuinfo_first(key: str) -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith(key))
    except (OSError, StopIteration):
        return ""


def cpu_class() -> str:
    """The CPU's widest vector unit that matters here.

    ``amx-bf16``, ``avx512-bf16``, ``avx512``, ``avx2``, or the architecture's name.
    """
    flags = set(_cpuinfo_first("flags").split())
    for flag, name in (
        ("amx_bf16", "amx-bf16"),
        ("avx512_bf16", "avx512-bf16"),
        ("avx512f", "avx512"),
        ("avx2", "avx2"),
    ):
        if flag in flags:
            return name
    return platform.machine()


def results_stem(stem: str) -> str:
    """Where a CPU run writes: ``stem`` on CPUs with native bf16 (issue 12's class), ``stem_<cpu_class>`` elsewhere."""
    return stem if cpu_has_native_bf16() else f"{stem}_{cpu_class()}"


def machine(device: torch.device = torch.device("cpu")) -> str:
    """The machine in one line: GPU (on ``device``), CPU and its class, cores, torch and its threads, Python."""
    cpu = _cpuinfo_first("model name") or platform.processor() or platform.machine()
    gpu = f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda}) with " if device.type == "cuda" else ""
    return (
        f"{gpu}{cpu} ({cpu_class()}), {os.cpu_count()} logical cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), Python {platform.python_version()}"
    )


# -- clips ---------------------------------------------------------------------------------------------------------
def game_music_mp3s(clips: int, stride: int) -> list[str]:
    """Every ``stride``-th game_music mp3 (sorted by path), the first ``clips`` of them; exits if there are fewer."""
    paths = sorted(glob.glob(str(SHARED / "game_music" / "audio" / "*" / "*.mp3")))[::stride][:clips]
    if len(paths) < clips:
        raise SystemExit(
            f"{len(paths)} game_music mp3 files under {SHARED} (every {stride}th), {clips} wanted; "
            "set SKTAG_SHARED_DATA or ask for fewer clips"
        )
    return paths


def audio_seconds(paths: list[str]) -> float:
    """The clips' total duration in seconds (from their headers)."""
    return sum(info.frames / info.samplerate for info in map(soundfile.info, paths))


def count_segments(paths: list[str], features: SampleCNNFeatures) -> int:
    """Segments the fitted ``features`` cuts ``paths`` into (no overlap; a short clip is one)."""
    length = features.segment_length_
    total = 0
    for info in map(soundfile.info, paths):
        n = round(info.frames * features.analysis_rate_ / info.samplerate)
        total += max(1, 1 + (n - length) // length)
    return total


# -- timing --------------------------------------------------------------------------------------------------------
def timed(run: Callable[[], object]) -> float:
    """Seconds that ``run()`` takes."""
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def forward(model: torch.nn.Module) -> Callable[[torch.Tensor], object]:
    """``x -> model.forward_intermediates(x, LAYERS)``: the network pass ``SampleCNNFeatures`` makes."""
    return lambda x: model.forward_intermediates(x, LAYERS)


def segments_per_second(
    call: Callable[[torch.Tensor], object],
    batch_size: int,
    bf16: bool,
    seconds: float,
    device: torch.device = torch.device("cpu"),
) -> float:
    """Segments per second of ``call`` on random ``(batch_size, 59049)`` batches on ``device``.

    Under ``torch.inference_mode`` and, with ``bf16``, bf16 autocast; after one warm-up call
    (oneDNN primitive creation, cuDNN algorithm choice); at least two calls and ``seconds``.
    On CUDA, synchronised every 8 calls and at the end.
    """
    x = torch.randn(batch_size, SEGMENT, generator=torch.Generator().manual_seed(0)).to(device)

    def run():
        with torch.inference_mode(), autocast(device, torch.bfloat16 if bf16 else None):
            call(x)

    def synchronize():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    run()
    synchronize()
    n, started = 0, time.perf_counter()
    while n < 2 * batch_size or time.perf_counter() - started < seconds:
        run()
        n += batch_size
        if device.type == "cuda" and n % (8 * batch_size) == 0:
            synchronize()
    synchronize()
    return n / (time.perf_counter() - started)


def warm_extractor(
    paths: list[str],
    *,
    weights: str | None = None,
    precision: str = "fp32",
    batch_size: int | str = "auto",
    device: str = "cpu",
) -> SampleCNNFeatures:
    """``SampleCNNFeatures(weights, random_state=0, ...)`` fitted on and warmed up with ``paths[:1]``."""
    features = SampleCNNFeatures(
        weights=weights, random_state=0, batch_size=batch_size, precision=precision, device=device
    ).fit(paths[:1])
    features.transform(paths[:1])  # oneDNN primitives, the malloc setting, the decoding threads
    return features


def timed_transform(features: SampleCNNFeatures, paths: list[str]) -> tuple[np.ndarray, float]:
    """``features.transform(paths)`` and the seconds it took."""
    started = time.perf_counter()
    Z = features.transform(paths)
    return Z, time.perf_counter() - started


def decode(paths: list[str], workers: int, *, sample_rate: float = 16000.0, length: int = SEGMENT) -> tuple[float, int]:
    """Seconds to decode, resample and cut ``paths`` into segments alone with ``workers`` threads (as
    ``SampleCNNFeatures`` feeds its network: :func:`sktag.clips.decode_ahead`), and the segments."""
    clips = validate_clips(paths)

    def source(clip):
        return lambda: clip_segments(clip, sample_rate=sample_rate, input_rate=None, length=length, hop=length)

    started = time.perf_counter()
    n = sum(item is not None for _, item in decode_ahead([source(c) for c in clips], workers=workers, maxsize=64))
    return time.perf_counter() - started, n
