"""Peak memory on an hour-long file, and memory over a long extraction (issue 9).

1. A 60-minute 44.1 kHz stereo FLAC (written here, in a temporary folder) through
   ``SampleCNNFeatures``, ``ArtistCNNFeatures`` and ``BagOfFeatures`` (fitted on a
   few short clips first), each in a fresh process: peak resident memory
   (``ru_maxrss``) and time. The bound is 1.5 GB.
2. ``sktag.extract.extract`` of ``--clips`` short wav files (one segment each)
   with ``SampleCNNFeatures``: resident memory sampled after every shard, to show
   it does not grow with the number of clips.

Writes ``benchmarks/results/memory.md`` / ``.json``::

    python -m benchmarks.speed.memory                 # 10,000 clips in part 2
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import psutil
import soundfile

from benchmarks import common
from benchmarks.speed.common import machine

_ONE_EXTRACTOR = """
import json, resource, sys, time
import numpy as np
from sktag import ArtistCNNFeatures, BagOfFeatures, SampleCNNFeatures
kind, path = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
short = [rng.standard_normal(48000).astype(np.float32) * 0.1 for _ in range(3)]
extractor = {"SampleCNNFeatures": lambda: SampleCNNFeatures(weights=None, random_state=0),
             "ArtistCNNFeatures": lambda: ArtistCNNFeatures(weights=None, random_state=0),
             "BagOfFeatures": lambda: BagOfFeatures(256, dictionary="kmeans", random_state=0,
                                                    sample_rate=16000)}[kind]()
extractor.fit(short)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
started = time.perf_counter()
features = extractor.transform([path])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak,
                  "peak_before_mb": before, "finite": bool(np.isfinite(features).all()), "width": features.shape[1]}))
"""


def write_long_file(path: Path, minutes: float, sr: int = 44100) -> None:
    """A stereo FLAC of noise bursts and tones, written block by block."""
    rng = np.random.default_rng(0)
    with soundfile.SoundFile(path, "w", samplerate=sr, channels=2, subtype="PCM_16") as f:
        for start in range(0, int(minutes * 60 * sr), 10 * sr):
            t = (start + np.arange(10 * sr)) / sr
            tone = 0.2 * np.sin(2 * np.pi * (220 + 20 * (start // (10 * sr) % 12)) * t)
            block = np.stack([tone + 0.05 * rng.standard_normal(len(t)), tone], axis=1)
            f.write(block.astype(np.float32))


def long_file_rows(minutes: float, folder: Path) -> list[dict]:
    path = folder / "long.flac"
    write_long_file(path, minutes)
    rows = []
    for kind in ("SampleCNNFeatures", "ArtistCNNFeatures", "BagOfFeatures"):
        result = subprocess.run(
            [sys.executable, "-c", _ONE_EXTRACTOR, kind, str(path)], capture_output=True, text=True, check=True
        )
        rows.append({"extractor": kind, **json.loads(result.stdout.strip().splitlines()[-1])})
        print(rows[-1], flush=True)
    return rows


def extraction_growth(n_clips: int, folder: Path) -> list[tuple[int, float]]:
    from sktag import SampleCNNFeatures
    from sktag.extract import extract

    rng = np.random.default_rng(1)
    clips = folder / "clips"
    clips.mkdir()
    paths = []
    for i in range(n_clips):
        path = clips / f"{i:05d}.wav"
        soundfile.write(path, (rng.standard_normal(8000) * 0.1).astype(np.float32), 16000, subtype="PCM_16")
        paths.append(str(path))
    process = psutil.Process()
    out = folder / "out"
    shard_size = max(1, n_clips // 20)
    samples: dict[int, float] = {}
    finished = threading.Event()

    def watch():  # resident memory each time another shard lands
        while not finished.wait(0.5):
            done = len(list(out.glob("*.npy"))) * shard_size if out.exists() else 0
            samples[min(done, n_clips)] = process.memory_info().rss / 2**20

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    extract(SampleCNNFeatures(weights=None, random_state=0), paths, out, shard_size=shard_size, progress=False)
    finished.set()
    watcher.join()
    samples[n_clips] = process.memory_info().rss / 2**20
    return sorted(samples.items())


def build_parser():
    parser = common.parser(__spec__.name, __doc__)
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the long file")
    parser.add_argument("--clips", type=int, default=10_000, help="one-segment clips of the long extraction")
    return parser


def markdown(long_rows: list[dict], growth: list[tuple[int, float]], args, command: str) -> list[str]:
    return [
        "# Memory (issue 9)",
        "",
        f"Command: `{command}`. Machine: {machine()}, {psutil.virtual_memory().total / 2**30:.0f} GiB, no GPU.",
        "",
        f"## One {args.minutes:.0f}-minute 44.1 kHz stereo FLAC, each extractor in a fresh process",
        "",
        "| extractor | peak resident memory (MB) | of which before transform (MB) | transform (s) | finite |",
        "|---|---:|---:|---:|---|",
        *[
            f"| {r['extractor']} | {r['peak_mb']:.0f} | {r['peak_before_mb']:.0f} | {r['seconds']:.0f} "
            f"| {r['finite']} |"
            for r in long_rows
        ],
        "",
        "Bound: 1.5 GB (1536 MB).",
        "",
        f"## `sktag.extract.extract` of {args.clips} one-segment wav clips (SampleCNNFeatures)",
        "",
        "| clips done | resident memory (MB) |",
        "|---:|---:|",
        *[f"| {n} | {mb:.0f} |" for n, mb in growth],
    ]


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sktag-memory-") as tmp:
        long_rows = long_file_rows(args.minutes, Path(tmp))
        growth = extraction_growth(args.clips, Path(tmp))
    common.write_results(
        "memory",
        {"long_file": long_rows, "extraction": growth},
        markdown(long_rows, growth, args, common.command(__spec__.name, argv)),
    )


if __name__ == "__main__":
    main()
