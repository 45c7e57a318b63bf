"""SampleCNNFeatures beside other work: before and after sktag's CPU-sharing policy (issue 25).

Clips/s of ``SampleCNNFeatures(weights="samplecnn-3x9", precision="fp32").transform``
over game_music mp3 clips (16 kHz, 29.1 s) in four situations, each in fresh
processes so that no thread setting leaks from one to the next:

- *alone*;
- *beside one busy process*: a ``python -c "while True: pass"`` subprocess
  runs while the clips are transformed;
- *two sktag jobs at once*: two extraction processes, each over half the
  clips, started together (clips/s of both together);
- *cross_val_score*: ``cross_val_score(make_pipeline(SampleCNNFeatures(...),
  LogisticRegression()), clips, game, cv=3, n_jobs=1 or 2)`` on clips of
  three games, timed from the call (so with loky's worker start-up), as
  clip transforms per second (every fold transforms every clip once).

Then a sweep of how idle OpenMP threads wait (no spin, 300 ... 300,000 spins,
one thread), network only, alone and beside one or two busy processes: the
measurements behind sktag's choice (``--sweep-seconds 0`` leaves it out).

*Before* is torch's defaults, as sktag ran before the policy: each process
starts with ``GOMP_SPINCOUNT=300000``, libgomp's own spin count when
``OMP_WAIT_POLICY`` is unset, which sktag then leaves as it is. *After* is
sktag as it ships: imported first (as ``from sktag import ...`` does), it sets
``GOMP_SPINCOUNT=1000`` before torch loads (``sktag._runtime``).

The network-only cells use :func:`benchmarks.speed.common.segments_per_second`, the timing
loop of ``benchmarks.speed.throughput``. Writes ``benchmarks/results/cpu_sharing.md`` /
``.json`` on CPUs with native bf16 (``cpu_sharing_<class>.*`` on others,
:func:`benchmarks.speed.common.results_stem`)::

    python -m benchmarks.speed.cpu_sharing           # about 7 min on 2 quiet cores, 15 beside other jobs
    python -m benchmarks.speed.cpu_sharing --clips 100 --rounds 3

The load average at start and end and, per run, the CPU that other processes
took while it ran (cores, from ``/proc/stat``) are recorded: on a shared
machine they say how quiet "alone" was.
"""

from __future__ import annotations

import os

#: The environment this script started with: importing sktag adds its OpenMP wait policy to os.environ, and the
#: "before" runs must not inherit it.
_START_ENVIRONMENT = dict(os.environ)

import argparse
import json
import subprocess
import sys
import time

import numpy as np
import psutil

import sktag  # noqa: F401  first, as in a user's script: its OpenMP setting must precede torch
from benchmarks import common
from benchmarks.speed.common import forward, game_music_mp3s, machine, results_stem, segments_per_second, warm_extractor

WEIGHTS = "samplecnn-3x9"
#: What each policy adds to the clean environment of its processes.
POLICIES = {"before": {"GOMP_SPINCOUNT": "300000"}, "after": {}}
#: Variables that would decide the outcome if inherited from the shell; each run starts without them.
_THREAD_VARIABLES = (
    "SKTAG_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "GOMP_SPINCOUNT",
    "KMP_BLOCKTIME",
)
SITUATIONS = {
    "alone": "alone",
    "busy": "beside one busy process",
    "two_jobs": "two sktag jobs at once (both together)",
    "cv_1": "cross_val_score, n_jobs=1",
    "cv_2": "cross_val_score, n_jobs=2",
}
#: The spin-count sweep (network only): how idle OpenMP threads wait, as the environment of a fresh process says.
WAITS = {
    "OMP_WAIT_POLICY=PASSIVE (no spin)": {"OMP_WAIT_POLICY": "PASSIVE"},
    "GOMP_SPINCOUNT=300": {"GOMP_SPINCOUNT": "300"},
    "GOMP_SPINCOUNT=1000 (sktag's)": {},
    "GOMP_SPINCOUNT=3000": {"GOMP_SPINCOUNT": "3000"},
    "GOMP_SPINCOUNT=10000": {"GOMP_SPINCOUNT": "10000"},
    "GOMP_SPINCOUNT=300000 (libgomp's default)": {"GOMP_SPINCOUNT": "300000"},
    "1 thread (SKTAG_NUM_THREADS=1), default spin": {"GOMP_SPINCOUNT": "300000", "SKTAG_NUM_THREADS": "1"},
}


class CpuWatch:
    """CPU that processes outside this one and its children take while it runs, in cores."""

    def __enter__(self):
        self._start = self._read()
        return self

    def __exit__(self, *exc):
        (system, mine, t), (system0, mine0, t0) = self._read(), self._start
        self.seconds = t - t0
        self.others = max(0.0, (system - system0) - (mine - mine0)) / self.seconds
        self.own = (mine - mine0) / self.seconds

    @staticmethod
    def _read() -> tuple[float, float, float]:
        with open("/proc/stat") as f:
            jiffies = [int(x) for x in f.readline().split()[1:]]
        system = (sum(jiffies) - jiffies[3] - jiffies[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
        me = psutil.Process()
        mine = 0.0
        for process in [me, *me.children(recursive=True)]:
            try:
                mine += sum(process.cpu_times()[:2])
            except psutil.NoSuchProcess:  # ended meanwhile
                pass
        return system, mine, time.perf_counter()


# -- in a fresh process ------------------------------------------------------------------------
def child_extract(paths: list[str], busy: int, wait_for_go: bool) -> dict:
    import torch

    features = warm_extractor(paths, weights=WEIGHTS)  # fp32; oneDNN primitives, the malloc setting
    if wait_for_go:  # start together with the other job: the parent says go once both are ready
        print("ready", flush=True)
        sys.stdin.readline()
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        time.sleep(0.5 if busy else 0.0)
        with CpuWatch() as watch:
            features.transform(paths)
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    return {
        "clips_per_s": len(paths) / watch.seconds,
        "seconds": watch.seconds,
        "threads": torch.get_num_threads(),
        "others_cores": watch.others,
        "own_cores": watch.own,
    }


def child_network(busy: int, seconds: float) -> dict:
    """Segments/s of the network alone (batch 1, as ``batch_size="auto"`` runs it in fp32 here)."""
    import torch

    from sktag import SampleCNNFeatures

    model = SampleCNNFeatures(weights=WEIGHTS, precision="fp32").fit([np.zeros(16000, np.float32)]).model_
    segments_per_second(forward(model), 1, False, 0.5)  # warm-up
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        time.sleep(0.5 if busy else 0.0)
        with CpuWatch() as watch:
            rate = segments_per_second(forward(model), 1, False, seconds)
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    return {"segments_per_s": rate, "threads": torch.get_num_threads(), "others_cores": watch.others}


def child_cv(paths: list[str], labels: list[str], n_jobs: int) -> dict:
    import torch
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    from sktag import SampleCNNFeatures

    pipeline = make_pipeline(SampleCNNFeatures(weights=WEIGHTS, precision="fp32"), LogisticRegression(max_iter=1000))
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    with CpuWatch() as watch:
        scores = cross_val_score(pipeline, paths, labels, cv=folds, n_jobs=n_jobs)
    threads = torch.get_num_threads()
    if n_jobs > 1:  # torch's threads in the workers that ran the folds (loky reuses them)
        from joblib import Parallel, delayed

        threads = f"{n_jobs} x {max(Parallel(n_jobs=n_jobs)(delayed(torch.get_num_threads)() for _ in range(n_jobs)))}"
    return {
        "clips_per_s": folds.get_n_splits() * len(paths) / watch.seconds,
        "seconds": watch.seconds,
        "threads": threads,
        "accuracy": float(np.mean(scores)),
        "others_cores": watch.others,
        "own_cores": watch.own,
    }


# -- the parent --------------------------------------------------------------------------------
def environment(variables: dict) -> dict:
    clean = {k: v for k, v in _START_ENVIRONMENT.items() if k not in _THREAD_VARIABLES}
    return {**clean, **variables}


def start_child(policy: str, task: dict, variables: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", __spec__.name, "--child", json.dumps(task)],
        cwd=common.ROOT,
        env=environment(POLICIES[policy] if variables is None else variables),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def child_result(process: subprocess.Popen) -> dict:
    out, err = process.communicate()
    if process.returncode:
        raise RuntimeError(f"a benchmark process failed:\n{err}")
    return json.loads(out.strip().splitlines()[-1])


def measure(situation: str, policy: str, paths: list[str], cv_paths: list[str], cv_labels: list[str]) -> dict:
    if situation in ("alone", "busy"):
        return child_result(
            start_child(
                policy, {"mode": "extract", "paths": paths, "busy": int(situation == "busy"), "wait_for_go": False}
            )
        )
    if situation == "two_jobs":
        jobs = [
            start_child(policy, {"mode": "extract", "paths": half, "busy": 0, "wait_for_go": True})
            for half in (paths[0::2], paths[1::2])
        ]
        for job in jobs:  # both past their model load and warm-up
            if job.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a benchmark process failed:\n{job.communicate()[1]}")
        for job in jobs:
            job.stdin.write("go\n")
            job.stdin.flush()
        results = [child_result(job) for job in jobs]
        return {
            "clips_per_s": sum(r["clips_per_s"] for r in results),
            "jobs": results,
            "threads": results[0]["threads"],
            "others_cores": float(np.mean([r["others_cores"] for r in results])),
        }
    n_jobs = int(situation.removeprefix("cv_"))
    return child_result(start_child(policy, {"mode": "cv", "paths": cv_paths, "labels": cv_labels, "n_jobs": n_jobs}))


def cv_clips(per_game: int) -> tuple[list[str], list[str]]:
    """``per_game`` clips of each of three games (evenly spread over their clips), and the game as label."""
    paths, labels = [], []
    for game in ("nexuiz-music", "singularity-music", "wesnoth-1.16-music"):
        clips = common.game_music_clips(games={game})
        for row in clips[:: max(1, len(clips) // per_game)][:per_game]:
            paths.append(str(common.GAME_MUSIC / row["path"]))
            labels.append(game)
    return paths, labels


def build_parser():
    parser = common.parser(__spec__.name, __doc__)
    parser.add_argument("--clips", type=int, default=48, help="game_music clips per extraction run")
    parser.add_argument("--cv-clips", type=int, default=8, help="clips per game (3 games) for cross_val_score")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved repetitions; the table gives medians")
    parser.add_argument(
        "--sweep-seconds",
        type=float,
        default=3.0,
        help="network-only timing per cell of the spin-count sweep (0: no sweep)",
    )
    parser.add_argument("--stride", type=int, default=7, help="take every stride-th game_music mp3 (sorted)")
    parser.add_argument(
        "--situations", default=",".join(SITUATIONS), help="comma-separated subset of " + ", ".join(SITUATIONS)
    )
    parser.add_argument("--out", default=str(common.RESULTS), help="folder for the results files")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)  # JSON task: run in this fresh process
    return parser


def run_child(task: dict) -> dict:
    """One measurement in this (fresh) process."""
    if task["mode"] == "extract":
        return child_extract(task["paths"], task["busy"], task["wait_for_go"])
    if task["mode"] == "network":
        return child_network(task["busy"], task["seconds"])
    return child_cv(task["paths"], task["labels"], task["n_jobs"])


def run_situations(
    situations: list[str], rounds: int, paths: list[str], cv_paths: list[str], cv_labels: list[str]
) -> dict[str, dict[str, list]]:
    """Every situation under both policies, in ``rounds`` interleaved rounds: ``runs[situation][policy]``."""
    runs: dict[str, dict[str, list]] = {s: {p: [] for p in POLICIES} for s in situations}
    for round_ in range(rounds):  # interleaved: a drift of this shared machine hits every cell alike
        for situation in situations:
            for policy in POLICIES:
                result = measure(situation, policy, paths, cv_paths, cv_labels)
                runs[situation][policy].append(result)
                print(
                    f"round {round_ + 1}: {SITUATIONS[situation]}, {policy}: {result['clips_per_s']:.2f} clips/s "
                    f"({result['threads']} threads; other processes took {result['others_cores']:.2f} cores)",
                    flush=True,
                )
    return runs


def run_sweep(rounds: int, seconds: float) -> dict[str, dict[int, list]]:
    """The spin-count sweep, network only: ``sweep[wait][busy processes]``."""
    sweep: dict[str, dict[int, list]] = {name: {busy: [] for busy in (0, 1, 2)} for name in WAITS}
    for round_ in range(rounds if seconds else 0):
        for name, variables in WAITS.items():
            for busy in (0, 1, 2):
                result = child_result(
                    start_child("after", {"mode": "network", "busy": busy, "seconds": seconds}, variables)
                )
                sweep[name][busy].append(result)
                print(
                    f"round {round_ + 1}: network only, {name}, beside {busy} busy: "
                    f"{result['segments_per_s']:.1f} segments/s (other processes took "
                    f"{result['others_cores']:.2f} cores)",
                    flush=True,
                )
    return sweep


def markdown(report: dict, args, command: str) -> list[str]:
    runs, sweep, paths, cv_paths = report["runs"], report["sweep"], report["clips"], report["cv_clips"]

    def median(situation: str, policy: str, key: str = "clips_per_s") -> float:
        return float(np.median([r[key] for r in runs[situation][policy]]))

    lines = [
        "# SampleCNNFeatures beside other work: before and after sktag's CPU-sharing policy (issue 25)",
        "",
        (
            f"Machine: {report['machine']}. Command: `{command}` "
            f"({report['minutes']:.1f} min). Load average (1, 5, 15 min) at the start "
            f"{', '.join(f'{x:.2f}' for x in report['load_average_start'])}, at the end "
            f"{', '.join(f'{x:.2f}' for x in report['load_average_end'])}."
        ),
        "",
        (
            f"`SampleCNNFeatures(weights=\"{WEIGHTS}\", precision=\"fp32\")` (default batch size; fp32 although this "
            "CPU class has native bf16, avx512_bf16, where `precision=\"auto\"` picks bf16: fp32 keeps the numbers "
            f"comparable with `speed.md`). Extraction: {len(paths)} game_music mp3 clips (16 kHz, 29.1 s; every "
            f"{args.stride}th file), timed after a warm-up clip; *two jobs*: two processes of {len(paths) // 2} clips "
            f"started together. cross_val_score: {len(cv_paths)} clips of 3 games, 3 stratified folds, "
            "`LogisticRegression(max_iter=1000)`, timed from the call; its clips/s counts every fold's transforms "
            f"(3 x {len(cv_paths)}). Every run in fresh processes; "
            + (f"medians of {args.rounds} interleaved rounds." if args.rounds > 1 else "one round.")
            + " *Before*: torch's defaults (`GOMP_SPINCOUNT=300000`, libgomp's spin count with no wait policy); "
            "*after*: sktag's policy (`sktag._runtime`). *Others*: cores that processes outside the run took "
            "meanwhile (from `/proc/stat`), before / after."
        ),
        "",
        (
            "| situation | torch threads | before (clips/s) | after (clips/s) | after / before | after, share of alone "
            "| others (cores) |"
        ),
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    alone = median("alone", "after") if "alone" in runs else None
    for situation in runs:
        before, after = median(situation, "before"), median(situation, "after")
        threads = runs[situation]["after"][-1]["threads"]
        share = f"{after / alone:.0%}" if alone else ""
        others = f"{median(situation, 'before', 'others_cores'):.2f} / {median(situation, 'after', 'others_cores'):.2f}"
        lines.append(
            f"| {SITUATIONS[situation]} | {threads} | {before:.2f} | {after:.2f} | {after / before:.2f} | "
            f"{share} | {others} |"
        )
    if "cv_1" in runs and "cv_2" in runs:
        lines += [
            "",
            "cross_val_score, n_jobs=2 against n_jobs=1 (speed-up): "
            + ", ".join(f"{p} {median('cv_2', p) / median('cv_1', p):.2f}x" for p in POLICIES)
            + f"; mean accuracy {median('cv_1', 'after', 'accuracy'):.3f}.",
        ]
    if alone and "busy" in runs:
        lines += [
            "",
            (
                f"Beside one busy process, after: {median('busy', 'after') / alone:.0%} of the speed alone "
                f"(before: {median('busy', 'before') / median('alone', 'before'):.0%}; goal: at least 50 %)."
            ),
        ]
    if not args.sweep_seconds:
        return lines

    def cell(name: str, busy: int, key: str = "segments_per_s") -> float:
        return float(np.median([r[key] for r in sweep[name][busy]]))

    return lines + [
        "",
        "## How idle OpenMP threads wait: the spin-count sweep (network only)",
        "",
        (
            "The network as `SampleCNNFeatures` runs it (BatchNorm folded, one segment per call, layers "
            f"block7-9, fp32), timed for {args.sweep_seconds:g} s in a fresh process per cell whose environment "
            "says how torch's idle threads wait (libgomp reads it when torch loads), beside 0, 1 or 2 busy-loop "
            "processes. Cells: segments/s."
        ),
        "",
        "| idle threads | alone | beside 1 busy | beside 2 busy | beside 1 / alone | others (cores), alone |",
        "|---|---:|---:|---:|---:|---:|",
        *[
            f"| {name} | {cell(name, 0):.1f} | {cell(name, 1):.1f} | {cell(name, 2):.1f} | "
            f"{cell(name, 1) / cell(name, 0):.0%} | {cell(name, 0, 'others_cores'):.2f} |"
            for name in WAITS
        ],
    ]


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.child:
        print(json.dumps(run_child(json.loads(args.child))))
        return
    situations = [s for s in args.situations.split(",") if s]
    if set(situations) - set(SITUATIONS):
        raise SystemExit(
            f"unknown situations {sorted(set(situations) - set(SITUATIONS))}; choose from {list(SITUATIONS)}"
        )
    paths = game_music_mp3s(args.clips, args.stride)
    cv_paths, cv_labels = cv_clips(args.cv_clips)
    load_start, started = os.getloadavg(), time.perf_counter()
    runs = run_situations(situations, args.rounds, paths, cv_paths, cv_labels)
    sweep = run_sweep(args.rounds, args.sweep_seconds)
    report = {
        "machine": machine(),
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "minutes": (time.perf_counter() - started) / 60,
        "clips": paths,
        "cv_clips": cv_paths,
        "policies": POLICIES,
        "runs": runs,
        "waits": WAITS,
        "sweep": sweep,
    }
    common.write_results(
        results_stem("cpu_sharing"), report, markdown(report, args, common.command(__spec__.name, argv)), out=args.out
    )


if __name__ == "__main__":
    main()
