"""Side by side on the same mp3 clips: sktag at its best, a naive loop, musicnn, the decode limit, Dask (issue 12).

Every row extracts features of the same game_music clips (16 kHz mp3, 29.2 s) in
this run:

- *sktag fp32 / bf16*: ``SampleCNNFeatures(weights=None, precision=...).transform(paths)`` (the
  3^9 basic network, default ``batch_size="auto"``: the pipelined extractor);
- *naive*: how the peers work: fp32, one file at a time, the model built for every
  file, serial decoding, batch 1 (the same 3^9 network in plain PyTorch), in a
  fresh process of its own, as a user's script runs it. In this process it would
  inherit the malloc setting that sktag's first model applies
  (:func:`sktag.runtime.settle_glibc_malloc`, one of sktag's speed-ups); that
  row is reported too, as *naive, in sktag's process*;
- *musicnn*: the peer's ``musicnn.extractor.extractor(path, model="MTT_musicnn",
  extract_features=True)``, run in its own environment (``--musicnn-python``)
  because it needs TensorFlow::

      python -m venv ~/musicnn-env
      ~/musicnn-env/bin/pip install tensorflow-cpu==2.15.1 librosa
      ~/musicnn-env/bin/pip install --no-deps musicnn

  Without that interpreter the row is skipped with a note;
- *decode only*: decoding, resampling to 16 kHz and segmenting every clip in one
  thread, as ``SampleCNNFeatures`` feeds its network on a CPU
  (:func:`benchmarks.speed.common.decode`; the decode limit);
- *Dask*: ``sktag.extract.extract(..., client=...)`` on a ``LocalCluster`` of one
  worker with 2 threads, and of two workers with one thread each.

The sktag rows are the end-to-end runs of ``benchmarks.speed.throughput`` at the default
batch size (the same :func:`benchmarks.speed.common.warm_extractor` and
:func:`~benchmarks.speed.common.timed_transform`), on these clips and in these rounds.
Writes ``benchmarks/results/peers.md`` / ``.json`` on CPUs with native bf16 (issue 12's
class), ``peers_<class>.md`` / ``.json`` on others
(:func:`benchmarks.speed.common.results_stem`)::

    python -m benchmarks.speed.peers --musicnn-python ~/musicnn-env/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks import common
from benchmarks.speed.common import (
    LAYERS,
    audio_seconds,
    decode,
    game_music_mp3s,
    machine,
    results_stem,
    timed,
    timed_transform,
    warm_extractor,
)
from sktag import SampleCNNFeatures
from sktag.audio import frame, load
from sktag.extract import extract
from sktag.nn import SampleCNN
from sktag.runtime import cpu_has_native_bf16

#: The environment this script started with, for its subprocesses: a Dask LocalCluster writes its workers'
#: OMP_NUM_THREADS=1 and MALLOC_TRIM_THRESHOLD_=65536 into this process's os.environ, and a naive run started
#: after it would inherit them (2.5x slower: one thread, malloc unsettled).
_START_ENVIRONMENT = dict(os.environ)

_MUSICNN_SCRIPT = """
import json, sys, time
from musicnn.extractor import extractor
paths = json.loads(sys.argv[1])
extractor(paths[0], model="MTT_musicnn", extract_features=True)  # warm-up: TensorFlow's first graph
started = time.perf_counter()
for path in paths:
    extractor(path, model="MTT_musicnn", extract_features=True)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def naive_seconds(paths: list[str]) -> float:
    """The naive loop over ``paths`` in this process."""

    def run():
        for path in paths:
            model = SampleCNN().eval()  # rebuilt per file, as the peers do
            y, _ = load(path, sr=16000)
            with torch.inference_mode():
                for segment in frame(y, length=model.input_length, hop=model.input_length):
                    model.forward_intermediates(torch.from_numpy(np.ascontiguousarray(segment))[None], LAYERS)

    return timed(run)


def naive_seconds_fresh_process(paths: list[str]) -> float:
    """The naive loop in a new Python process (no sktag model loaded before it)."""
    result = subprocess.run(
        [sys.executable, "-m", __spec__.name, "--naive-only", json.dumps(paths)],
        capture_output=True,
        text=True,
        check=True,
        env=_START_ENVIRONMENT,
        cwd=common.ROOT,
    )
    return float(result.stdout.strip().splitlines()[-1])


def musicnn_seconds(paths: list[str], python: str | None) -> float | str:
    if not python or not os.path.exists(python):
        return "skipped: no --musicnn-python interpreter (see this script's docstring to make one)"
    result = subprocess.run(
        [python, "-c", _MUSICNN_SCRIPT, json.dumps(paths)], capture_output=True, text=True, env=_START_ENVIRONMENT
    )
    if result.returncode:
        return "failed: " + result.stderr.strip().splitlines()[-1]
    return json.loads(result.stdout.strip().splitlines()[-1])["seconds"]


def dask_seconds(paths: list[str], n_workers: int) -> float:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=n_workers, threads_per_worker=2 // n_workers, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
        tempfile.TemporaryDirectory() as out,
    ):
        transformer = SampleCNNFeatures(weights=None, random_state=0)
        extract(transformer, paths[:2], Path(out) / "warm", client=client, shard_size=1, progress=False)
        return timed(
            lambda: extract(
                transformer,
                paths,
                Path(out) / "run",
                client=client,
                shard_size=max(1, len(paths) // (2 * n_workers)),
                progress=False,
            )
        )


def build_parser():
    parser = common.parser(__spec__.name, __doc__)
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--stride", type=int, default=50, help="take every stride-th game_music mp3 (sorted)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved repetitions; the table gives medians")
    parser.add_argument("--musicnn-python", default=None, help="python of an environment with musicnn installed")
    parser.add_argument("--naive-only", default=None, help=argparse.SUPPRESS)  # JSON paths: the fresh-process row
    return parser


def measures(paths: list[str], musicnn_python: str | None) -> dict[str, object]:
    """Each row's measurement (seconds over ``paths``), or why it is not run."""

    def sktag_seconds(precision: str) -> float:
        return timed_transform(warm_extractor(paths, precision=precision), paths)[1]

    # In this order within a round: the in-process naive row must follow sktag's first model (malloc settled).
    return {
        "naive (fp32, batch 1, model per file, serial; own process)": lambda: naive_seconds_fresh_process(paths),
        "sktag fp32": lambda: sktag_seconds("fp32"),
        "sktag bf16": (
            (lambda: sktag_seconds("bf16"))
            if cpu_has_native_bf16()
            else "not run: this CPU emulates bf16 (no avx512_bf16/amx_bf16), 14-47x slower than fp32"
        ),
        "naive, in sktag's process (malloc settled by sktag)": lambda: naive_seconds(paths),
        "musicnn extractor (MTT_musicnn)": lambda: musicnn_seconds(paths, musicnn_python),
        "decode + resample only (serial)": lambda: decode(paths, 1)[0],
        "sktag extract, Dask: 1 worker x 2 threads": lambda: dask_seconds(paths, 1),
        "sktag extract, Dask: 2 workers x 1 thread": lambda: dask_seconds(paths, 2),
    }


def markdown(rows: dict, paths: list[str], seconds: float, rounds: int, command: str) -> list[str]:
    best = min(v for k, v in rows.items() if k.startswith("sktag") and isinstance(v, float))
    return [
        "# sktag against a naive loop and the peer, same clips, same run (issue 12)",
        "",
        f"Machine: {machine()}. Command: `{command}`. Medians of {rounds} interleaved rounds. "
        f"{len(paths)} game_music mp3 clips, "
        f"{seconds:.0f} s of audio; the SampleCNN rows run the 3^9 basic network (random weights: speed does "
        "not depend on them) at 16 kHz, fp32 unless said.",
        "",
        "| extractor | seconds | clips/s | × real time | sktag's best is × faster |",
        "|---|---:|---:|---:|---:|",
        *[
            f"| {name} | {value} | | | |"
            if isinstance(value, str)
            else f"| {name} | {value:.1f} | {len(paths) / value:.2f} | {seconds / value:.0f}× | {value / best:.1f} |"
            for name, value in rows.items()
        ],
    ]


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.naive_only:
        print(naive_seconds(json.loads(args.naive_only)))
        return
    paths = game_music_mp3s(args.clips, args.stride)
    measured: dict[str, list] = {}
    for round_ in range(args.rounds):  # interleaved: a drift of this shared machine hits every row alike
        for name, measure in measures(paths, args.musicnn_python).items():
            measured.setdefault(name, []).append(measure() if callable(measure) else measure)
            print(f"round {round_ + 1}: {name}: {measured[name][-1]}", flush=True)
    rows = {
        name: (float(np.median(v)) if all(isinstance(x, float) for x in v) else v[-1]) for name, v in measured.items()
    }
    seconds = audio_seconds(paths)
    given = sys.argv[1:] if argv is None else argv
    command = common.command(__spec__.name, ["..." if a == args.musicnn_python else a for a in given])
    common.write_results(
        results_stem("peers"),
        {"clips": paths, "audio_seconds": seconds, "rows": rows, "rounds": measured, "machine": machine()},
        markdown(rows, paths, seconds, args.rounds, command),
    )


if __name__ == "__main__":
    main()
