"""How fast, in how much memory, at what precision? One script per question, each run with ``python -m``:

- ``benchmarks.speed.throughput``: the 3^9 SampleCNN's segments/s, network only and end to
  end, by batch size and precision (``speed*``; on a GPU ``speed_<gpu>``, with the
  decoding-thread sweep) (issues 2, 12);
- ``benchmarks.speed.peers``: sktag against a naive loop, musicnn and Dask on the same
  clips in one run (``peers*``) (12);
- ``benchmarks.speed.cpu_speedups``: which CPU-side variants of the network help
  (threads, BatchNorm folding, channels-last, TorchScript, torch.compile) (``cpu_speedups*``) (12);
- ``benchmarks.speed.cpu_sharing``: beside other work, before and after sktag's
  OpenMP policy, and the spin-count sweep (``cpu_sharing*``) (25);
- ``benchmarks.speed.precision``: what bf16 costs in feature error and probe accuracy
  (``precision_<name>``) (12);
- ``benchmarks.speed.memory``: peak memory on an hour-long file, and over a long
  extraction (``memory``) (9).

``benchmarks.speed.common`` holds what they share (the machine, the clip set, the timing
loops, where a CPU run writes); ``machine`` is importable from here too.
"""

__all__ = ["machine"]


def __getattr__(name: str):
    # Lazily, so that `python -m benchmarks.speed.cpu_sharing` imports sktag before torch.
    if name == "machine":
        from benchmarks.speed.common import machine

        return machine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
