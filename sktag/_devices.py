"""Where and in which precision networks run: ``device`` and ``precision`` parameters resolved."""

from __future__ import annotations

import contextlib
import os
import warnings

import torch

__all__ = [
    "MAX_DECODE_WORKERS",
    "resolve_device",
    "resolve_precision",
    "autocast",
    "decode_workers",
    "cpu_has_native_bf16",
]

#: The most decoding threads that feed one GPU: on a 16-core H100 machine decoding alone
#: peaked at 8 threads (GIL-bound beyond), and so did extraction end to end
#: (benchmarks/results/speed_nvidia-h100.md).
MAX_DECODE_WORKERS = 8


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else as given to torch."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"device={device!r} is not a torch device ({exc})") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but torch sees no CUDA device; use device='auto' or 'cpu'")
    return resolved


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """``"bf16"`` -> ``torch.bfloat16`` autocast; ``"fp32"`` -> none; ``"auto"`` -> bf16 where it is fast."""
    if precision == "fp32":
        return None
    if precision == "bf16":
        if device.type == "cpu" and not cpu_has_native_bf16():
            warnings.warn(
                "precision='bf16' on a CPU without native bf16 (no avx512_bf16 or amx_bf16 flag): "
                "torch emulates it, 14-47x slower than fp32 on a 2-core AVX2 EPYC "
                "(benchmarks/results/speed_avx2.md); precision='auto' picks fp32 here",
                UserWarning,
                stacklevel=2,
            )
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return torch.bfloat16 if torch.backends.mkldnn.is_available() and cpu_has_native_bf16() else None


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """``torch.autocast`` to ``dtype`` on ``device``'s type, or a no-op context for ``None``.

    Parameters
    ----------
    device : torch.device
        Where the network runs (CUDA autocast on a GPU, CPU autocast elsewhere).
    dtype : torch.dtype or None
        ``torch.bfloat16`` (what ``precision="bf16"`` resolves to), or ``None`` for float32.

    Returns
    -------
    context : context manager
    """
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast("cuda" if device.type == "cuda" else "cpu", dtype=dtype)


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (an ``avx512_bf16`` or ``amx_bf16`` flag in ``/proc/cpuinfo``).

    Elsewhere torch emulates bf16, 14-47x slower than fp32 on a 2-core AVX2 EPYC
    (``benchmarks/results/speed_avx2.md``), so ``precision="auto"`` picks fp32 there.
    ``False`` where ``/proc/cpuinfo`` cannot be read.
    """
    try:
        with open("/proc/cpuinfo") as f:
            return any("avx512_bf16" in line or "amx_bf16" in line for line in f if line.startswith("flags"))
    except OSError:
        return False


def decode_workers(device: torch.device) -> int:
    """Threads that decode and resample clips for a network on ``device``.

    One on CPU: a core decodes and resamples mp3 at ~2,400x real time, over ten
    times what the network on all cores gets through, so more threads would only
    take cores from it. On a GPU the network outruns one decoding core by far, so
    every core but the one that drives the GPU decodes, up to
    :data:`MAX_DECODE_WORKERS`.

    Parameters
    ----------
    device : torch.device

    Returns
    -------
    workers : int
        At least 1.
    """
    if device.type == "cpu":
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(MAX_DECODE_WORKERS, cores - 1))
