"""Throughput of the 3^9 SampleCNN: network only, and end to end from mp3 files (issues 2, 12).

Prints a Markdown table and writes it, a CSV and the machine's description to
``benchmarks/results/`` (``speed.md``, ``speed.csv``)::

    python -m benchmarks.speed.throughput              # full run (about 10 min on 2 cores)
    python -m benchmarks.speed.throughput --quick      # batch sizes 1, 16 only
    python -m benchmarks.speed.throughput --device cuda --clips 180 --stride 1   # a GPU: speed_<gpu>.md / .csv

Issue 12's CPU targets are set for CPUs with native bf16 (``avx512_bf16`` or
``amx_bf16``), whose results go to ``speed.md``; any other CPU writes
``speed_<class>.md`` (e.g. ``speed_avx2.md``) and leaves out the end-to-end
bf16 runs, since torch emulates bf16 there 14-47x slower than fp32 (the
network-only bf16 column shows it).

Network only: random segments through the network as ``SampleCNNFeatures`` runs it
(eval mode, BatchNorm folded, ``torch.inference_mode``, the default last three
blocks), for the plain network too (BN not folded) and under bf16 autocast. End to
end: ``SampleCNNFeatures(...).transform(paths)`` over game_music mp3 files from
``../shared/data`` (decoding, resampling, segmenting, batching, pooling, aggregation).

On a GPU the network is timed with CUDA synchronisation, bf16 is CUDA autocast,
and a second table shows the decoding side by decoding threads (1, 2, 4, 8 and
the ``SampleCNNFeatures`` default there, every core but one): decoding,
resampling and segmenting alone, and from the files to each segment's pooled rows
(``sktag.clips.map_segments(..., workers=n)``: the transformer's network pass).

Real-time factors are given for 22050 Hz (the paper's rate: a 59049-sample segment
is 2.678 s) and 16 kHz (sktag's corpus rate: 3.691 s).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks import common
from benchmarks.speed.common import (
    LAYERS,
    SEGMENT,
    audio_seconds,
    count_segments,
    decode,
    forward,
    game_music_mp3s,
    machine,
    results_stem,
    segments_per_second,
    timed_transform,
    warm_extractor,
)
from sktag.clips import map_segments, validate_clips
from sktag.nn import SampleCNN, fold_batchnorm
from sktag.runtime import MAX_DECODE_WORKERS, cpu_has_native_bf16, decode_workers, settle_glibc_malloc

#: The columns of ``speed.csv`` (after ``batch_size``), and of the table by batch size.
VARIANTS = ("plain_fp32", "sktag_fp32", "sktag_bf16_autocast", "end_to_end", "end_to_end_bf16")


def build_parser():
    parser = common.parser(__spec__.name, __doc__)
    parser.add_argument("--quick", action="store_true", help="batch sizes 1 and 16 only (1 and 64 on a GPU)")
    parser.add_argument("--clips", type=int, default=24, help="game_music mp3 files for the end-to-end run")
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum timing per network-only point")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved repetitions; the table gives medians")
    parser.add_argument("--stride", type=int, default=7, help="take every stride-th game_music mp3 (sorted)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:k] (default: cpu)")
    parser.add_argument("--out", default=str(common.RESULTS), help="folder for speed.md and speed.csv")
    return parser


def gflop_per_segment(model: torch.nn.Module) -> float:
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        model.forward_intermediates(torch.zeros(1, SEGMENT), LAYERS)
    return counter.get_total_flops() / 1e9


def end_to_end_rate(paths: list[str], batch_size, precision: str = "fp32", device: str = "cpu") -> float:
    """Segments per second of a random 3^9 ``SampleCNNFeatures(weights=None, ...).transform(paths)``."""
    features = warm_extractor(paths, batch_size=batch_size, precision=precision, device=device)
    return count_segments(paths, features) / timed_transform(features, paths)[1]


def pooled(model: torch.nn.Module):
    """``x ->`` each default layer's max and mean over time: a segment's rows, as ``SampleCNNFeatures`` pools them."""

    def run(x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [
                torch.stack([a.amax(-1).float(), a.mean(-1, dtype=torch.float32)], dim=1)
                for a in model.forward_intermediates(x, LAYERS)
            ],
            dim=2,
        )

    return run


def threads_rate(paths: list[str], threads: int, device: str) -> float:
    """Segments per second from ``paths`` to pooled rows with ``threads`` decoding threads (fp32, default batch
    size): ``sktag.clips.map_segments`` as a random 3^9 ``SampleCNNFeatures`` calls it, with ``workers=threads``."""
    features = warm_extractor(paths, device=device)
    model = features.model_
    started = time.perf_counter()
    rows = map_segments(
        validate_clips(paths),
        pooled(model),
        sample_rate=features.analysis_rate_,
        input_rate=None,
        length=features.segment_length_,
        hop=features.segment_length_,
        batch_size=features.batch_size_,
        device=next(model.parameters()).device,
        workers=threads,
    )
    return sum(len(r) for r in rows) / (time.perf_counter() - started)


def median(measure, rounds: int) -> float:
    return float(np.median([measure() for _ in range(rounds)]))


def measure(args) -> dict:
    """Every number of the table: network only and end to end by batch size, the defaults, decoding."""
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    if on_gpu:
        batch_sizes = [1, 64] if args.quick else [1, 4, 16, 64, 256]
    else:
        batch_sizes = [1, 16] if args.quick else [1, 2, 4, 8, 16, 32, 64]
    torch.manual_seed(0)
    plain = SampleCNN().eval()
    folded = fold_batchnorm(plain)
    gflop = gflop_per_segment(folded)
    plain, folded = plain.to(device), folded.to(device)
    paths = game_music_mp3s(args.clips, args.stride)

    # Emulated bf16 (a CPU without avx512_bf16/amx_bf16) is 14-47x slower than fp32: its network-only column is
    # measured (time-bounded), the end-to-end runs over every clip would take an hour and are left out.
    bf16 = on_gpu or cpu_has_native_bf16()
    precisions = ("fp32", "bf16") if bf16 else ("fp32",)
    variants = {
        "plain_fp32": lambda bs: segments_per_second(forward(plain), bs, False, args.seconds, device),
        "sktag_fp32": lambda bs: segments_per_second(forward(folded), bs, False, args.seconds, device),
        "sktag_bf16_autocast": lambda bs: segments_per_second(forward(folded), bs, True, args.seconds, device),
        "end_to_end": lambda bs: end_to_end_rate(paths, bs, "fp32", args.device),
        "end_to_end_bf16": lambda bs: end_to_end_rate(paths, bs, "bf16", args.device),
    }
    if not bf16:
        del variants["end_to_end_bf16"]
    # The straightforward PyTorch baseline: a fresh process, glibc's malloc as it starts.
    baseline = (
        {bs: segments_per_second(forward(plain), bs, False, args.seconds) for bs in (1, 16)} if not on_gpu else {}
    )
    settle_glibc_malloc()  # what SampleCNNFeatures does when it builds a CPU network
    segments_per_second(forward(folded), 1, False, args.seconds, device)  # warm-up; not reported
    measured = {(bs, name): [] for bs in batch_sizes for name in variants}
    for round_ in range(args.rounds):  # interleaved rounds: drifts of the machine hit every cell alike
        for bs in batch_sizes:
            for name, rate in variants.items():
                measured[bs, name].append(rate(bs))
            print(
                f"round {round_ + 1}, batch {bs}: " + ", ".join(f"{n} {measured[bs, n][-1]:.1f}" for n in variants),
                flush=True,
            )
    workers = decode_workers(device)
    threads = sorted({1, 2, 4, 8, workers}) if on_gpu else [workers]
    extractors = {p: warm_extractor(paths, precision=p, device=args.device) for p in precisions}

    def decode_rate(n: int) -> float:
        seconds, segments = decode(paths, n)
        return segments / seconds

    return {
        "device": device,
        "paths": paths,
        "gflop": gflop,
        "precisions": precisions,
        "baseline": baseline,
        "rows": [{"batch_size": bs, **{n: float(np.median(measured[bs, n])) for n in variants}} for bs in batch_sizes],
        "auto": {
            p: median(lambda p=p: end_to_end_rate(paths, "auto", p, args.device), args.rounds) for p in precisions
        },
        "auto_batch": {p: extractor.batch_size_ for p, extractor in extractors.items()},
        "workers": workers,
        "threads": threads,
        "decoding": {n: median(lambda n=n: decode_rate(n), args.rounds) for n in threads},
        "by_threads": (
            {n: median(lambda n=n: threads_rate(paths, n, args.device), args.rounds) for n in threads} if on_gpu else {}
        ),
        "n_segments": count_segments(paths, extractors["fp32"]),
        "audio_seconds": audio_seconds(paths),
    }


def markdown(m: dict, args, command: str) -> list[str]:
    device, paths, rounds = m["device"], m["paths"], args.rounds
    on_gpu = device.type == "cuda"
    seconds_22k, seconds_16k = SEGMENT / 22050, SEGMENT / 16000

    def cell(rate: float | None) -> str:
        if rate is None:
            return "not run (emulated bf16)"
        return f"{rate:.1f} ({rate * seconds_22k:.0f}× / {rate * seconds_16k:.0f}×; {rate * m['gflop']:.0f})"

    baseline, workers, threads = m["baseline"], m["workers"], m["threads"]
    lines = [
        "# Speed of the 3^9 SampleCNN (basic blocks, layers block7-9)",
        "",
        f"Machine: {machine(device)}.",
        f"Forward cost: {m['gflop']:.2f} GFLOP per 59049-sample segment (torch FlopCounterMode).",
        f"Medians of {rounds} interleaved rounds. Command: `{command}`.",
        "",
        "Network only: random segments, `torch.inference_mode`; *plain* = the network as trained "
        "(BatchNorm separate), *sktag* = as `SampleCNNFeatures` runs it (BatchNorm folded into the convs); "
        f"bf16 = under `torch.autocast(\"{device.type}\", torch.bfloat16)`. "
        f"End to end: `SampleCNNFeatures(weights=None, random_state=0, batch_size=..., precision=...).transform` "
        f"of {len(paths)} "
        f"game_music mp3 clips (16 kHz, {m['audio_seconds'] / len(paths):.1f} s each, {m['n_segments']} segments): "
        "decoding, resampling, segmenting, network, pooling and aggregation.",
        "",
        "Cells: segments/s (× real time at 22050 Hz / at 16 kHz; GFLOP/s).",
        "",
        *(
            [
                f"Baseline, the plain network in a fresh process before sktag settles glibc's malloc "
                f"(`sktag.runtime.settle_glibc_malloc`): batch 1 {cell(baseline[1])}, batch 16 {cell(baseline[16])}. "
                "Every row below runs after it, as `SampleCNNFeatures` does.",
                "",
            ]
            if baseline
            else []
        ),
        "| batch | plain fp32 | sktag fp32 | sktag bf16 autocast | end to end fp32 | end to end bf16 "
        "| network / end to end (fp32) |",
        "|---:|---|---|---|---|---|---:|",
        *[
            f"| {r['batch_size']} | {cell(r['plain_fp32'])} | {cell(r['sktag_fp32'])} | "
            f"{cell(r['sktag_bf16_autocast'])} | {cell(r['end_to_end'])} | {cell(r.get('end_to_end_bf16'))} | "
            f"{r['sktag_fp32'] / r['end_to_end']:.2f} |"
            for r in m["rows"]
        ],
        "",
        *[
            f"Default `batch_size=\"auto\"` with `precision=\"{p}\"` (= {m['auto_batch'][p]} segment(s) per call on "
            f"this device): end to end {cell(m['auto'][p])}; "
            f"{m['auto'][p] / m['n_segments'] * m['audio_seconds']:.0f}× real time over the whole clips."
            for p in m["precisions"]
        ],
        "",
    ]
    if not on_gpu:
        return lines + [
            f"Decoding, resampling and segmenting alone ({workers} thread, as `SampleCNNFeatures` "
            f"decodes on this device): {cell(m['decoding'][workers]).split('; ')[0]})."
        ]
    return lines + [
        f"Decoding threads (`SampleCNNFeatures` uses {workers} on this machine: every core but one, at most "
        f"{MAX_DECODE_WORKERS}): decoding, resampling and segmenting alone, and end to end from the files to "
        "each segment's pooled rows (`sktag.clips.map_segments(..., workers=n)` as `SampleCNNFeatures` calls it: "
        "fp32, default batch size; without the aggregation over segments).",
        "",
        "| decoding threads | decoding alone | end to end fp32 |",
        "|---:|---|---|",
        *[f"| {n} | {cell(m['decoding'][n]).split('; ')[0]}) | {cell(m['by_threads'][n])} |" for n in threads],
    ]


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    m = measure(args)
    device = m["device"]
    on_gpu = device.type == "cuda"
    stem = (
        "speed_" + "-".join(torch.cuda.get_device_name(device).lower().split()[:2]) if on_gpu else results_stem("speed")
    )
    csv_rows = [{**r, "gflop_per_segment": round(m["gflop"], 3), "machine": machine(device)} for r in m["rows"]]
    common.write_results(
        stem, None, markdown(m, args, common.command(__spec__.name, argv)), out=args.out, csv_rows=csv_rows
    )


if __name__ == "__main__":
    main()
