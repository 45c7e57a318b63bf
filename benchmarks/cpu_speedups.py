"""Which CPU-side speed-ups help the 3^9 SampleCNN on this machine, and which do not (issue 12).

Network only, random 59049-sample segments, ``torch.inference_mode``, the default
layers (block7-9), at the batch sizes ``batch_size="auto"`` picks (1 for fp32, 3
for bf16) and 16. Every variant starts from the network as ``SampleCNNFeatures``
runs it (BatchNorm folded into the convs: ``sktag.nn.fold_batchnorm``):

- *sktag*: as shipped (2 intra-op threads, eager);
- *1 thread*: ``torch.set_num_threads(1)``;
- *unfolded BN*: the network as trained, BatchNorm separate (what folding saves);
- *channels-last 2-D*: every Conv1d run as a (1, k) Conv2d on ``channels_last``
  tensors (oneDNN's preferred layout; ``channels_last`` is defined for 4-D
  tensors only);
- *TorchScript frozen*: ``torch.jit.freeze`` + ``optimize_for_inference`` (oneDNN
  fusion of conv + ReLU);
- *torch.compile*: the inductor backend (C++/OpenMP kernels; compile time excluded).

Medians of ``--rounds`` interleaved rounds. Writes ``benchmarks/results/cpu_speedups.md`` / ``.json``
(``cpu_speedups_<class>.*`` on a CPU without native bf16, which leaves out the bf16 points)::

    python benchmarks/cpu_speedups.py            # about 6 min on 2 cores
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sktag.nn import SampleCNN, fold_batchnorm
from sktag.runtime import cpu_has_native_bf16, settle_glibc_malloc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.speed import LAYERS, SEGMENT, machine, results_stem  # noqa: E402


class _Conv1dAs2d(nn.Module):
    """A Conv1d computed as a (1, k) Conv2d on a channels-last (B, C, 1, T) view."""

    def __init__(self, conv: nn.Conv1d):
        super().__init__()
        self.conv = nn.Conv2d(conv.in_channels, conv.out_channels, (1, conv.kernel_size[0]),
                              stride=(1, conv.stride[0]), padding=(0, conv.padding[0]), bias=conv.bias is not None)
        self.conv.weight.data = conv.weight.data.unsqueeze(2).contiguous(memory_format=torch.channels_last)
        if conv.bias is not None:
            self.conv.bias.data = conv.bias.data.clone()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.unsqueeze(2).contiguous(memory_format=torch.channels_last)
        return self.conv(x).squeeze(2)


def channels_last_2d(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose Conv1d layers run as channels-last Conv2d."""
    copied = copy.deepcopy(model)
    for parent in list(copied.modules()):
        for name, child in parent.named_children():
            if isinstance(child, nn.Conv1d):
                setattr(parent, name, _Conv1dAs2d(child))
    return copied


class _Intermediates(nn.Module):
    """``forward(x)`` = the network's ``forward_intermediates(x, LAYERS)`` (for tracing and compiling)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return self.model.forward_intermediates(x, LAYERS)


def frozen_script(model: nn.Module, batch_size: int, bf16: bool) -> nn.Module:
    """TorchScript-traced, frozen and ``optimize_for_inference``-d (oneDNN conv fusion)."""
    example = torch.randn(batch_size, SEGMENT)
    with torch.inference_mode(False), torch.no_grad(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
        torch.jit.set_fusion_strategy([("STATIC", 2)])
        traced = torch.jit.trace(_Intermediates(model).eval(), example, check_trace=False)
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced))


def rate(call, batch_size: int, bf16: bool, seconds: float) -> float:
    """Segments per second of ``call(x)`` on a (batch_size, 59049) batch after two warm-up calls."""
    x = torch.randn(batch_size, SEGMENT, generator=torch.Generator().manual_seed(0))

    def run():
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            call(x)

    run()
    run()
    n, started = 0, time.perf_counter()
    while n < 2 * batch_size or time.perf_counter() - started < seconds:
        run()
        n += batch_size
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum timing per point")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved repetitions; the table gives medians")
    parser.add_argument("--no-compile", action="store_true", help="leave out torch.compile (needs a C++ compiler)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()

    torch.manual_seed(0)
    plain = SampleCNN().eval()
    folded = fold_batchnorm(plain)
    settle_glibc_malloc()
    threads = torch.get_num_threads()
    points = [(1, False), (16, False), (3, True), (16, True)]  # (batch, bf16): auto's batch and a large one
    if not cpu_has_native_bf16():  # emulated bf16, 14-47x slower than fp32 (speed_avx2.md): nothing to learn from it
        points = [(bs, bf16) for bs, bf16 in points if not bf16]

    def in_threads(n: int, call):
        def run(x):
            torch.set_num_threads(n)
            try:
                return call(x)
            finally:
                torch.set_num_threads(threads)
        return run

    def forward(model):
        return lambda x: model.forward_intermediates(x, LAYERS)

    variants = {
        "sktag": lambda bs, bf16: forward(folded),
        "1 thread": lambda bs, bf16: in_threads(1, forward(folded)),
        "unfolded BN": lambda bs, bf16: forward(plain),
        "channels-last 2-D": lambda bs, bf16: forward(channels_last_2d(folded)),
        "TorchScript frozen": lambda bs, bf16: frozen_script(folded, bs, bf16),
    }
    if not args.no_compile:
        compiled = torch.compile(_Intermediates(folded), dynamic=False)  # one static graph per batch size
        variants["torch.compile"] = lambda bs, bf16: compiled
    built = {}
    for name, make in variants.items():
        for bs, bf16 in points:
            started = time.perf_counter()
            built[name, bs, bf16] = make(bs, bf16)
            rate(built[name, bs, bf16], bs, bf16, 0.0)  # compiles / traces / creates oneDNN primitives
            print(f"built {name} batch {bs} {'bf16' if bf16 else 'fp32'} in {time.perf_counter() - started:.1f} s",
                  flush=True)
    measured = {key: [] for key in built}
    for round_ in range(args.rounds):  # interleaved rounds: drifts of the machine hit every cell alike
        for key, call in built.items():
            measured[key].append(rate(call, key[1], key[2], args.seconds))
            print(f"round {round_ + 1}: {key} {measured[key][-1]:.1f} segments/s", flush=True)
    median = {key: float(np.median(v)) for key, v in measured.items()}

    header = [f"batch {bs} {'bf16' if bf16 else 'fp32'}" for bs, bf16 in points]
    lines = [
        "# CPU-side speed-ups for the 3^9 SampleCNN (issue 12)",
        "",
        f"Machine: {machine()}. Command: `python benchmarks/cpu_speedups.py`. Network only (random 59049-sample "
        f"segments, layers block7-9, `torch.inference_mode`); medians of {args.rounds} interleaved rounds of at "
        f"least {args.seconds:.0f} s. Cells: segments/s (ratio to *sktag*, the network as `SampleCNNFeatures` runs "
        "it: BatchNorm folded, eager, all threads). bf16 = `torch.autocast(\"cpu\", torch.bfloat16)`.",
        "",
        "| variant | " + " | ".join(header) + " |",
        "|---|" + "---:|" * len(points),
    ]
    for name in variants:
        cells = [f"{median[name, bs, bf16]:.1f} ({median[name, bs, bf16] / median['sktag', bs, bf16]:.2f})"
                 for bs, bf16 in points]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = results_stem("cpu_speedups")
    (out / f"{stem}.md").write_text(table)
    rounds = {f"{name} | batch {bs} | {'bf16' if bf16 else 'fp32'}": v for (name, bs, bf16), v in measured.items()}
    (out / f"{stem}.json").write_text(json.dumps({"machine": machine(), "segments_per_s": rounds}, indent=1))


if __name__ == "__main__":
    main()
