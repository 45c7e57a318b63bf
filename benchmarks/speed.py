"""Throughput of the 3^9 SampleCNN: network only, and end to end from mp3 files.

Prints a Markdown table and writes it, a CSV and the machine's description to
``benchmarks/results/`` (``speed.md``, ``speed.csv``)::

    python benchmarks/speed.py                       # full run (about 10 min on 2 cores)
    python benchmarks/speed.py --quick               # batch sizes 1, 16 only
    python benchmarks/speed.py --device cuda --clips 180 --stride 1   # a GPU: speed_<gpu>.md / .csv

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
and two more rows show the decoding side: decoding, resampling and segmenting
alone with the threads ``SampleCNNFeatures`` uses there (every core but one),
and end to end with a single decoding thread (how it ran before).

Real-time factors are given for 22050 Hz (the paper's rate: a 59049-sample segment
is 2.678 s) and 16 kHz (sktag's corpus rate: 3.691 s).
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import platform
import time
from pathlib import Path

import numpy as np
import soundfile
import torch
from torch.utils.flop_counter import FlopCounterMode

from sktag import SampleCNNFeatures
from sktag.clips import batching, clip_segments, decode_ahead, validate_clips
from sktag.nn import SampleCNN, fold_batchnorm
from sktag.runtime import MAX_DECODE_WORKERS, autocast, cpu_has_native_bf16, decode_workers, settle_glibc_malloc

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SHARED = Path(os.environ.get("SKTAG_SHARED_DATA", ROOT.parent / "shared" / "data"))
LAYERS = ["block7", "block8", "block9"]
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
    for flag, name in (("amx_bf16", "amx-bf16"), ("avx512_bf16", "avx512-bf16"), ("avx512f", "avx512"),
                       ("avx2", "avx2")):
        if flag in flags:
            return name
    return platform.machine()


def results_stem(stem: str) -> str:
    """Where a CPU run writes: ``stem`` on CPUs with native bf16 (issue 12's class), ``stem_<cpu_class>`` elsewhere."""
    return stem if cpu_has_native_bf16() else f"{stem}_{cpu_class()}"


def machine(device: torch.device = torch.device("cpu")) -> str:
    cpu = _cpuinfo_first("model name") or platform.processor() or platform.machine()
    gpu = f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda}) with " if device.type == "cuda" else ""
    return (
        f"{gpu}{cpu} ({cpu_class()}), {os.cpu_count()} logical cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), Python {platform.python_version()}"
    )


def gflop_per_segment(model: torch.nn.Module) -> float:
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        model.forward_intermediates(torch.zeros(1, SEGMENT), LAYERS)
    return counter.get_total_flops() / 1e9


def network_rate(model, batch_size: int, bf16: bool, seconds: float) -> float:
    """Segments per second through ``model`` (on its device) at ``batch_size`` (after one warm-up call)."""
    device = next(model.parameters()).device
    x = torch.randn(batch_size, SEGMENT, generator=torch.Generator().manual_seed(0)).to(device)

    def run():
        with torch.inference_mode(), autocast(device, torch.bfloat16 if bf16 else None):
            model.forward_intermediates(x, LAYERS)

    def synchronize():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    run()  # oneDNN primitive creation, cuDNN algorithm choice
    synchronize()
    n, started = 0, time.perf_counter()
    while n < 2 * batch_size or time.perf_counter() - started < seconds:
        run()
        n += batch_size
        if device.type == "cuda" and n % (8 * batch_size) == 0:
            synchronize()
    synchronize()
    return n / (time.perf_counter() - started)


def end_to_end_rate(paths: list[str], batch_size, precision: str = "fp32", device: str = "cpu") -> float:
    """Segments per second of a random 3^9 ``SampleCNNFeatures(weights=None, ...).transform(paths)``."""
    features = SampleCNNFeatures(weights=None, random_state=0, batch_size=batch_size, precision=precision,
                                 device=device).fit(paths[:1])
    features.transform(paths[:1])  # warm-up
    started = time.perf_counter()
    features.transform(paths)
    return count_segments(paths, features) / (time.perf_counter() - started)


def decode_rate(paths: list[str], workers: int) -> float:
    """Segments per second of decoding, resampling and segmenting alone, with ``workers`` threads."""
    features = SampleCNNFeatures(weights=None, random_state=0).fit(paths[:1])
    clips = validate_clips(paths)

    def source(clip):
        return lambda: clip_segments(clip, sample_rate=features.sample_rate_, input_rate=None,
                                     length=features.segment_length_, hop=features.segment_length_)

    started = time.perf_counter()
    n = sum(item is not None for _, item in decode_ahead([source(c) for c in clips], workers=workers, maxsize=64))
    return n / (time.perf_counter() - started)


def threads_end_to_end_rate(paths: list[str], threads: int, device: str) -> float:
    """``end_to_end_rate`` (fp32, default batch size) with ``threads`` decoding threads."""
    default = batching.decode_workers  # the function map_segments asks
    batching.decode_workers = lambda device: threads
    try:
        return end_to_end_rate(paths, "auto", "fp32", device)
    finally:
        batching.decode_workers = default


def count_segments(paths: list[str], features: SampleCNNFeatures) -> int:
    length = features.segment_length_
    total = 0
    for info in map(soundfile.info, paths):
        n = round(info.frames * features.sample_rate_ / info.samplerate)
        total += max(1, 1 + (n - length) // length)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="batch sizes 1 and 16 only")
    parser.add_argument("--clips", type=int, default=24, help="game_music mp3 files for the end-to-end run")
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum timing per network-only point")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved repetitions; the table gives medians")
    parser.add_argument("--stride", type=int, default=7, help="take every stride-th game_music mp3 (sorted)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:k] (default: cpu)")
    parser.add_argument("--out", default=str(RESULTS), help="folder for speed.md and speed.csv")
    args = parser.parse_args()
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
    paths = sorted(glob.glob(str(SHARED / "game_music" / "audio" / "*" / "*.mp3")))[:: args.stride][: args.clips]
    if not paths:
        raise SystemExit(f"no game_music mp3 files under {SHARED}; set SKTAG_SHARED_DATA")

    # Emulated bf16 (a CPU without avx512_bf16/amx_bf16) is 14-47x slower than fp32: its network-only column is
    # measured (time-bounded), the end-to-end runs over every clip would take an hour and are left out.
    bf16 = on_gpu or cpu_has_native_bf16()
    precisions = ("fp32", "bf16") if bf16 else ("fp32",)
    variants = {
        "plain_fp32": lambda bs: network_rate(plain, bs, False, args.seconds),
        "sktag_fp32": lambda bs: network_rate(folded, bs, False, args.seconds),
        "sktag_bf16_autocast": lambda bs: network_rate(folded, bs, True, args.seconds),
        "end_to_end": lambda bs: end_to_end_rate(paths, bs, "fp32", args.device),
        "end_to_end_bf16": lambda bs: end_to_end_rate(paths, bs, "bf16", args.device),
    }
    if not bf16:
        del variants["end_to_end_bf16"]
    # The straightforward PyTorch baseline: a fresh process, glibc's malloc as it starts.
    baseline = {bs: network_rate(plain, bs, False, args.seconds) for bs in (1, 16)} if not on_gpu else {}
    settle_glibc_malloc()  # what SampleCNNFeatures does when it builds a CPU network
    network_rate(folded, 1, False, args.seconds)  # warm-up; not reported
    measured = {(bs, name): [] for bs in batch_sizes for name in variants}
    for round_ in range(args.rounds):  # interleaved rounds: drifts of the machine hit every cell alike
        for bs in batch_sizes:
            for name, measure in variants.items():
                measured[bs, name].append(measure(bs))
            print(f"round {round_ + 1}, batch {bs}: "
                  + ", ".join(f"{n} {measured[bs, n][-1]:.1f}" for n in variants), flush=True)
    rows = [{"batch_size": bs, **{n: float(np.median(measured[bs, n])) for n in variants}} for bs in batch_sizes]
    auto = {p: float(np.median([end_to_end_rate(paths, "auto", p, args.device) for _ in range(args.rounds)]))
            for p in precisions}
    workers = decode_workers(device)
    threads = sorted({1, 2, 4, 8, workers}) if on_gpu else [workers]
    decoding = {n: float(np.median([decode_rate(paths, n) for _ in range(args.rounds)])) for n in threads}
    by_threads = ({n: float(np.median([threads_end_to_end_rate(paths, n, args.device) for _ in range(args.rounds)]))
                   for n in threads} if on_gpu else {})
    features = SampleCNNFeatures(weights=None, random_state=0).fit(paths[:1])
    n_segments = count_segments(paths, features)
    auto_batch = {}
    for precision in precisions:
        extractor = SampleCNNFeatures(weights=None, random_state=0, precision=precision,
                                      device=args.device).fit(paths[:1])
        auto_batch[precision] = extractor._network_batch_size(extractor.model_)
    audio_seconds = sum(info.frames / info.samplerate for info in map(soundfile.info, paths))

    seconds_22k, seconds_16k = SEGMENT / 22050, SEGMENT / 16000
    def cell(rate: float | None) -> str:
        if rate is None:
            return "not run (emulated bf16)"
        return f"{rate:.1f} ({rate * seconds_22k:.0f}× / {rate * seconds_16k:.0f}×; {rate * gflop:.0f})"

    lines = [
        "# Speed of the 3^9 SampleCNN (basic blocks, layers block7-9)",
        "",
        f"Machine: {machine(device)}.",
        f"Forward cost: {gflop:.2f} GFLOP per 59049-sample segment (torch FlopCounterMode).",
        f"Medians of {args.rounds} interleaved rounds. Command: `python benchmarks/speed.py"
        + (" --quick" if args.quick else "")
        + (f" --device {args.device} --clips {args.clips} --stride {args.stride}`." if on_gpu else "`."),
        "",
        "Network only: random segments, `torch.inference_mode`; *plain* = the network as trained "
        "(BatchNorm separate), *sktag* = as `SampleCNNFeatures` runs it (BatchNorm folded into the convs); "
        f"bf16 = under `torch.autocast(\"{device.type}\", torch.bfloat16)`. "
        f"End to end: `SampleCNNFeatures(weights=None, random_state=0, batch_size=..., precision=...).transform` "
        f"of {len(paths)} "
        f"game_music mp3 clips (16 kHz, {audio_seconds / len(paths):.1f} s each, {n_segments} segments): "
        "decoding, resampling, segmenting, network, pooling and aggregation.",
        "",
        "Cells: segments/s (× real time at 22050 Hz / at 16 kHz; GFLOP/s).",
        "",
        *([f"Baseline, the plain network in a fresh process before sktag settles glibc's malloc "
           f"(`sktag.runtime.settle_glibc_malloc`): batch 1 {cell(baseline[1])}, batch 16 {cell(baseline[16])}. "
           "Every row below runs after it, as `SampleCNNFeatures` does.", ""] if baseline else []),
        "| batch | plain fp32 | sktag fp32 | sktag bf16 autocast | end to end fp32 | end to end bf16 "
        "| network / end to end (fp32) |",
        "|---:|---|---|---|---|---|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['batch_size']} | {cell(r['plain_fp32'])} | {cell(r['sktag_fp32'])} | "
            f"{cell(r['sktag_bf16_autocast'])} | {cell(r['end_to_end'])} | {cell(r.get('end_to_end_bf16'))} | "
            f"{r['sktag_fp32'] / r['end_to_end']:.2f} |"
        )
    lines += [
        "",
        *[f"Default `batch_size=\"auto\"` with `precision=\"{p}\"` (= {auto_batch[p]} segment(s) per call on "
          f"this device): end to end {cell(auto[p])}; {auto[p] / n_segments * audio_seconds:.0f}× real time over the "
          "whole clips." for p in precisions],
        "",
        *([f"Decoding, resampling and segmenting alone ({workers} thread, as `SampleCNNFeatures` decodes on "
           f"this device): {cell(decoding[workers]).split('; ')[0]})."] if not on_gpu else [
            f"Decoding threads (`SampleCNNFeatures` uses {workers} on this machine: every core but one, at most "
            f"{MAX_DECODE_WORKERS}): "
            "decoding, resampling and segmenting alone, and end to end (fp32, default batch size).",
            "",
            "| decoding threads | decoding alone | end to end fp32 |",
            "|---:|---|---|",
            *[f"| {n} | {cell(decoding[n]).split('; ')[0]}) | {cell(by_threads[n])} |" for n in threads]]),
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gpu_name = "-".join(torch.cuda.get_device_name(device).lower().split()[:2]) if on_gpu else ""
    name = f"speed_{gpu_name}" if on_gpu else results_stem("speed")
    (out / f"{name}.md").write_text(table)
    with open(out / f"{name}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) + ["gflop_per_segment", "machine"])
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "gflop_per_segment": round(gflop, 3), "machine": machine(device)})


if __name__ == "__main__":
    main()
