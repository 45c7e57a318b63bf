"""Process-level settings that make CPU inference fast."""

from __future__ import annotations

import ctypes
import platform

__all__ = ["settle_glibc_malloc"]

_SETTLED = False
#: Just under glibc's DEFAULT_MMAP_THRESHOLD_MAX (32 MiB on 64-bit systems).
MMAP_THRESHOLD_BYTES = 31 * 2**20
#: glibc's own rule once the threshold has grown: keep twice that free at the heap's top.
TRIM_THRESHOLD_BYTES = 2 * MMAP_THRESHOLD_BYTES
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, <malloc.h>


def settle_glibc_malloc() -> None:
    """Let glibc's malloc reuse heap memory for activations of up to 31 MiB.

    glibc serves allocations above its mmap threshold (128 KiB at start) with
    fresh ``mmap`` pages and unmaps them at ``free``, so every network call
    page-faults and zero-fills its large activations again. Left alone, glibc
    raises the threshold as large chunks are freed, so a long-running job gets
    there eventually; it never does where the environment fixes a threshold, as
    Dask workers do (``MALLOC_TRIM_THRESHOLD_=65536``), which turns the dynamic
    rule off. This sets the end state from the first call on, with
    ``mallopt``: mmap threshold 31 MiB, heap trim threshold 62 MiB (at most
    that much freed memory is kept per heap). The 3^9 SampleCNN then runs one
    segment per call 1.3-1.6x faster on a 2-core CPU, and 2x in a Dask worker
    (``benchmarks/results/speed.md``, ``speed_avx2.md``, ``README.md``). A no-op off glibc and after
    the first call.
    """
    global _SETTLED
    if _SETTLED:
        return
    _SETTLED = True
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
