"""Throughput of the 3^9 SampleCNN: network only, and end to end from mp3 files.

Prints a Markdown table and writes it, a CSV and the machine's description to
``benchmarks/results/`` (``speed.md``, ``speed.csv``)::

    python benchmarks/speed.py                       # full run (about 10 min on 2 cores)
    python benchmarks/speed.py --quick               # batch sizes 1, 16 only

Network only: random segments through the network as ``SampleCNNFeatures`` runs it
(eval mode, BatchNorm folded, ``torch.inference_mode``, the default last three
blocks), for the plain network too (BN not folded) and under bf16 autocast. End to
end: ``SampleCNNFeatures(...).transform(paths)`` over game_music mp3 files from
``../shared/data`` (decoding, resampling, segmenting, batching, pooling, aggregation).

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

import soundfile
import torch
from torch.utils.flop_counter import FlopCounterMode

from sktag import SampleCNNFeatures
from sktag.nn import SampleCNN, fold_batchnorm

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SHARED = Path(os.environ.get("SKTAG_SHARED_DATA", ROOT.parent / "shared" / "data"))
LAYERS = ["block7", "block8", "block9"]
SEGMENT = 59049


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} logical cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), Python {platform.python_version()}"
    )


def gflop_per_segment(model: torch.nn.Module) -> float:
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        model.forward_intermediates(torch.zeros(1, SEGMENT), LAYERS)
    return counter.get_total_flops() / 1e9


def network_rate(model, batch_size: int, autocast: bool, min_seconds: float) -> float:
    """Segments per second through ``model`` at ``batch_size``."""
    x = torch.randn(batch_size, SEGMENT, generator=torch.Generator().manual_seed(0))

    def run():
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            model.forward_intermediates(x, LAYERS)

    run()  # warm-up: oneDNN primitive creation
    n, started = 0, time.perf_counter()
    while True:
        run()
        n += batch_size
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds and n >= 2 * batch_size:
            return n / elapsed


def end_to_end_rate(paths: list[str], batch_size: int) -> tuple[float, int, float]:
    """(segments/s, segments, seconds of audio per second) of a full transform."""
    features = SampleCNNFeatures(random_state=0, batch_size=batch_size).fit(paths[:1])
    features.transform(paths[:1])  # warm-up
    started = time.perf_counter()
    features.transform(paths)
    elapsed = time.perf_counter() - started
    infos = [soundfile.info(p) for p in paths]
    length = features.segment_length_
    n_segments = sum(
        max(1, 1 + (round(i.frames * features.sample_rate_ / i.samplerate) - length) // length) for i in infos
    )
    audio_seconds = sum(i.frames / i.samplerate for i in infos)
    return n_segments / elapsed, n_segments, audio_seconds / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="batch sizes 1 and 16 only")
    parser.add_argument("--clips", type=int, default=24, help="game_music mp3 files for the end-to-end run")
    parser.add_argument("--seconds", type=float, default=8.0, help="minimum timing per network-only point")
    parser.add_argument("--out", default=str(RESULTS), help="folder for speed.md and speed.csv")
    args = parser.parse_args()
    batch_sizes = [1, 16] if args.quick else [1, 2, 4, 8, 16, 32, 64]

    torch.manual_seed(0)
    plain = SampleCNN().eval()
    folded = fold_batchnorm(plain)
    gflop = gflop_per_segment(folded)
    paths = sorted(glob.glob(str(SHARED / "game_music" / "audio" / "*" / "*.mp3")))[:: 7][: args.clips]
    if not paths:
        raise SystemExit(f"no game_music mp3 files under {SHARED}; set SKTAG_SHARED_DATA")

    rows = []
    for batch_size in batch_sizes:
        row = {"batch_size": batch_size}
        row["plain_fp32"] = network_rate(plain, batch_size, False, args.seconds)
        row["sktag_fp32"] = network_rate(folded, batch_size, False, args.seconds)
        row["sktag_bf16_autocast"] = network_rate(folded, batch_size, True, args.seconds)
        row["end_to_end"], n_segments, row["e2e_audio_x"] = end_to_end_rate(paths, batch_size)
        rows.append(row)
        print(f"batch {batch_size}: " + ", ".join(f"{k} {v:.1f}" for k, v in row.items() if k != "batch_size"), flush=True)

    seconds_22k, seconds_16k = SEGMENT / 22050, SEGMENT / 16000
    lines = [
        "# Speed of the 3^9 SampleCNN (basic blocks, layers block7-9)",
        "",
        f"Machine: {machine()}.",
        f"Forward cost: {gflop:.2f} GFLOP per 59049-sample segment (torch FlopCounterMode).",
        f"End to end: `SampleCNNFeatures(random_state=0).transform` of {len(paths)} game_music mp3 clips "
        f"(16 kHz, 29.2 s; {n_segments} segments), network at 16 kHz, fp32.",
        "Command: `python benchmarks/speed.py`.",
        "",
        "segments/s (× real time at 22050 Hz / 16 kHz; GFLOP/s):",
        "",
        "| batch | plain fp32 | sktag fp32 (BN folded) | sktag bf16 autocast | end to end (seg/s) | e2e / network | e2e audio × real time |",
        "|---:|---|---|---|---|---:|---:|",
    ]
    for r in rows:
        def cell(rate: float) -> str:
            return f"{rate:.1f} ({rate * seconds_22k:.0f}× / {rate * seconds_16k:.0f}×; {rate * gflop:.0f})"

        lines.append(
            f"| {r['batch_size']} | {cell(r['plain_fp32'])} | {cell(r['sktag_fp32'])} | "
            f"{cell(r['sktag_bf16_autocast'])} | {r['end_to_end']:.1f} | "
            f"{r['sktag_fp32'] / r['end_to_end']:.2f} | {r['e2e_audio_x']:.0f}× |"
        )
    table = "\n".join(lines) + "\n"
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "speed.md").write_text(table)
    with open(out / "speed.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) + ["gflop_per_segment", "machine"])
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "gflop_per_segment": round(gflop, 3), "machine": machine()})


if __name__ == "__main__":
    main()
