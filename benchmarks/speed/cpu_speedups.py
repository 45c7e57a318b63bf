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

The *sktag* and *unfolded BN* rows are the network-only columns of
``benchmarks.speed.throughput`` (the same timing loop,
:func:`benchmarks.speed.common.segments_per_second`), measured again here because the
ratios need them from the same rounds. Medians of ``--rounds`` interleaved rounds.
Writes ``benchmarks/results/cpu_speedups.md`` / ``.json`` (``cpu_speedups_<class>.*`` on
a CPU without native bf16, which leaves out the bf16 points)::

    python -m benchmarks.speed.cpu_speedups            # about 6 min on 2 cores
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch
from torch import nn

from benchmarks import common
from benchmarks.speed.common import LAYERS, SEGMENT, forward, machine, results_stem, segments_per_second
from sktag.nn import SampleCNN, fold_batchnorm
from sktag.runtime import cpu_has_native_bf16, settle_glibc_malloc

#: (batch, bf16): the batches ``batch_size="auto"`` picks (1 in fp32, 3 in bf16) and a large one.
POINTS = [(1, False), (16, False), (3, True), (16, True)]


class _Conv1dAs2d(nn.Module):
    """A Conv1d computed as a (1, k) Conv2d on a channels-last (B, C, 1, T) view."""

    def __init__(self, conv: nn.Conv1d):
        super().__init__()
        self.conv = nn.Conv2d(
            conv.in_channels,
            conv.out_channels,
            (1, conv.kernel_size[0]),
            stride=(1, conv.stride[0]),
            padding=(0, conv.padding[0]),
            bias=conv.bias is not None,
        )
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


def build_parser():
    parser = common.parser(__spec__.name, __doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum timing per point")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved repetitions; the table gives medians")
    parser.add_argument("--no-compile", action="store_true", help="leave out torch.compile (needs a C++ compiler)")
    parser.add_argument("--out", default=str(common.RESULTS), help="folder for the results files")
    return parser


def in_threads(n: int, call):
    """``call`` run with ``n`` torch threads (the setting restored after each call)."""

    def run(x):
        threads = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            return call(x)
        finally:
            torch.set_num_threads(threads)

    return run


def variants(no_compile: bool) -> dict:
    """Each variant's maker: ``(batch_size, bf16) -> call``, all from the same random network."""
    torch.manual_seed(0)
    plain = SampleCNN().eval()
    folded = fold_batchnorm(plain)
    made = {
        "sktag": lambda bs, bf16: forward(folded),
        "1 thread": lambda bs, bf16: in_threads(1, forward(folded)),
        "unfolded BN": lambda bs, bf16: forward(plain),
        "channels-last 2-D": lambda bs, bf16: forward(channels_last_2d(folded)),
        "TorchScript frozen": lambda bs, bf16: frozen_script(folded, bs, bf16),
    }
    if not no_compile:
        compiled = torch.compile(_Intermediates(folded), dynamic=False)  # one static graph per batch size
        made["torch.compile"] = lambda bs, bf16: compiled
    return made


def measure(made: dict, points: list, rounds: int, seconds: float) -> dict:
    """Segments/s of every (variant, batch, bf16) in each of ``rounds`` interleaved rounds."""
    built = {}
    for name, make in made.items():
        for bs, bf16 in points:
            started = time.perf_counter()
            built[name, bs, bf16] = make(bs, bf16)
            segments_per_second(built[name, bs, bf16], bs, bf16, 0.0)  # compiles / traces / creates primitives
            print(
                f"built {name} batch {bs} {'bf16' if bf16 else 'fp32'} in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
    measured = {key: [] for key in built}
    for round_ in range(rounds):  # interleaved rounds: drifts of the machine hit every cell alike
        for key, call in built.items():
            measured[key].append(segments_per_second(call, key[1], key[2], seconds))
            print(f"round {round_ + 1}: {key} {measured[key][-1]:.1f} segments/s", flush=True)
    return measured


def markdown(measured: dict, names, points, args, command: str) -> list[str]:
    median = {key: float(np.median(v)) for key, v in measured.items()}
    header = [f"batch {bs} {'bf16' if bf16 else 'fp32'}" for bs, bf16 in points]
    return [
        "# CPU-side speed-ups for the 3^9 SampleCNN (issue 12)",
        "",
        f"Machine: {machine()}. Command: `{command}`. Network only (random 59049-sample "
        f"segments, layers block7-9, `torch.inference_mode`); medians of {args.rounds} interleaved rounds of at "
        f"least {args.seconds:.0f} s. Cells: segments/s (ratio to *sktag*, the network as `SampleCNNFeatures` runs "
        "it: BatchNorm folded, eager, all threads). bf16 = `torch.autocast(\"cpu\", torch.bfloat16)`.",
        "",
        "| variant | " + " | ".join(header) + " |",
        "|---|" + "---:|" * len(points),
        *[
            f"| {name} | "
            + " | ".join(
                f"{median[name, bs, bf16]:.1f} ({median[name, bs, bf16] / median['sktag', bs, bf16]:.2f})"
                for bs, bf16 in points
            )
            + " |"
            for name in names
        ],
    ]


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    made = variants(args.no_compile)
    settle_glibc_malloc()
    # Emulated bf16 (no avx512_bf16/amx_bf16) is 14-47x slower than fp32 (speed_avx2.md): nothing to learn from it.
    points = [(bs, bf16) for bs, bf16 in POINTS if cpu_has_native_bf16() or not bf16]
    measured = measure(made, points, args.rounds, args.seconds)
    rounds = {f"{name} | batch {bs} | {'bf16' if bf16 else 'fp32'}": v for (name, bs, bf16), v in measured.items()}
    common.write_results(
        results_stem("cpu_speedups"),
        {"machine": machine(), "segments_per_s": rounds},
        markdown(measured, made, points, args, common.command(__spec__.name, argv)),
        out=args.out,
    )


if __name__ == "__main__":
    main()
