"""Process-level settings that make CPU inference fast."""

from __future__ import annotations

import platform

import numpy as np

__all__ = ["settle_glibc_malloc"]

_SETTLED = False
#: Just under glibc's DEFAULT_MMAP_THRESHOLD_MAX (32 MiB on 64-bit systems).
_PRIMING_BYTES = 31 * 2**20


def settle_glibc_malloc() -> None:
    """Let glibc's malloc reuse heap memory for activations of up to ~31 MiB.

    glibc serves allocations above a *dynamic* threshold (128 KiB at start) with
    fresh ``mmap`` pages and unmaps them at ``free``, so every network call
    page-faults and zero-fills its large activations again; it raises the
    threshold to the size of the largest mmap'd chunk freed so far (at most
    32 MiB) and the heap's trim threshold to twice that. Allocating and freeing
    one 31 MiB buffer puts the process in the state any long-running job reaches
    anyway, from the first call on: the 3^9 SampleCNN then runs one segment per
    call about 2x faster on a 2-core CPU (benchmarks/results/speed.md). A no-op
    off glibc and after the first call.
    """
    global _SETTLED
    if _SETTLED:
        return
    _SETTLED = True
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        np.empty(_PRIMING_BYTES, dtype=np.uint8)  # allocated with mmap, freed at once
