"""Process-level settings that make CPU inference fast, and fair to other work on the machine."""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import sys

__all__ = ["NUM_THREADS_ENV", "settle_glibc_malloc", "settle_torch_threads", "shorten_openmp_spin_waits"]

logger = logging.getLogger("sktag")

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


#: Environment variable: how many threads torch runs sktag's CPU networks with (an integer >= 1).
NUM_THREADS_ENV = "SKTAG_NUM_THREADS"
#: Busy-wait spins of an idle libgomp thread before it sleeps, against libgomp's default of 300,000
#: (milliseconds) when OMP_WAIT_POLICY is unset; chosen among 0-300,000 in benchmarks/results/cpu_sharing.md.
OPENMP_SPIN_COUNT = 1000
#: Variables that say how OpenMP threads wait: libgomp's (torch's Linux wheels) and LLVM/Intel OpenMP's.
_OPENMP_WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")
#: True where torch was imported, with OpenMP's default (long) spins, before sktag could shorten them.
_TORCH_SPINS = False
_THREADS_SETTLED = False


def shorten_openmp_spin_waits() -> bool:
    """Let idle OpenMP threads sleep after a short spin, unless the environment says how they wait.

    torch runs one OpenMP thread per core, and an idle thread busy-waits for
    the next parallel region (several per convolution) for up to 300,000 spins
    before it sleeps (libgomp's default: milliseconds). Beside other work, a
    thread the kernel has descheduled leaves the rest of its team spinning for
    it, which takes the CPU from it and from the other work.

    This sets ``GOMP_SPINCOUNT=1000`` (:data:`OPENMP_SPIN_COUNT`, 1/300 of the
    default) in ``os.environ`` unless ``OMP_WAIT_POLICY``, ``GOMP_SPINCOUNT`` or
    ``KMP_BLOCKTIME`` is already there. libgomp (the OpenMP of torch's Linux
    wheels) reads it once, when torch loads it: it takes effect in this process
    only if torch is not imported yet (``import sktag`` calls this), and in
    every process started from it (joblib's loky workers, a Dask
    ``LocalCluster``'s workers, subprocesses). Other OpenMP runtimes ignore it.

    On the 2-core benchmark machine (``benchmarks/results/cpu_sharing.md``), the
    3^9 SampleCNN kept 63 % of its quiet speed beside one busy-loop process
    (against 33 % with the default spin), and two sktag jobs at once ran 4.2x
    faster; the price is 8-17 % on a quiet machine (network only 41.6 against
    45.2 segments/s; one end-to-end round 5.19 against 6.26 clips/s).

    Returns
    -------
    applied : bool
        Whether this call set the variable before torch was imported, so that
        this process's OpenMP threads spin briefly.
    """
    global _TORCH_SPINS
    if any(name in os.environ for name in _OPENMP_WAIT_VARIABLES):
        return False
    os.environ["GOMP_SPINCOUNT"] = str(OPENMP_SPIN_COUNT)
    if "torch" in sys.modules:
        _TORCH_SPINS = True
        return False
    return True


def settle_torch_threads() -> int:
    """Give torch the thread count ``SKTAG_NUM_THREADS`` names, once per process; else leave torch's own.

    The rule, for sktag's CPU networks:

    1. ``SKTAG_NUM_THREADS=k`` in the environment (an integer >= 1): torch runs
       ``k`` threads (``torch.set_num_threads(k)``), whatever was set before.
    2. Otherwise torch keeps its own count, which already respects what the
       user and the environment said: a ``torch.set_num_threads(k)`` made
       before, else ``OMP_NUM_THREADS`` where it is set (joblib's loky workers
       get the cores divided by ``n_jobs``, Dask's nanny starts workers with
       1), else one thread per core this process may run on.

    Applied when sktag first builds a CPU network in the process (a feature
    transformer's, or a trainer's ``fit``); a later
    ``torch.set_num_threads`` stands. Where torch was imported before sktag
    (so that its threads spin long while they wait, see
    :func:`shorten_openmp_spin_waits`) and runs several threads, an INFO line
    on the ``"sktag"`` logger says how to share the CPU.

    Returns
    -------
    threads : int
        ``torch.get_num_threads()`` afterwards.

    Raises
    ------
    ValueError
        If ``SKTAG_NUM_THREADS`` is set but not an integer >= 1.
    """
    import torch

    global _THREADS_SETTLED
    if not _THREADS_SETTLED:
        value = os.environ.get(NUM_THREADS_ENV, "").strip()
        if value:
            try:
                threads = int(value)
            except ValueError:
                threads = 0
            if threads < 1:
                raise ValueError(f"{NUM_THREADS_ENV}={value!r}: give the number of threads, an integer >= 1")
            torch.set_num_threads(threads)
        elif _TORCH_SPINS and torch.get_num_threads() > 1:
            logger.info(
                "sktag: torch was imported before sktag, so its %d threads spin for milliseconds while "
                "they wait and slow down badly beside other work; import sktag first, or set "
                "GOMP_SPINCOUNT=%d or %s=1 in the environment",
                torch.get_num_threads(),
                OPENMP_SPIN_COUNT,
                NUM_THREADS_ENV,
            )
        _THREADS_SETTLED = True
    return torch.get_num_threads()
