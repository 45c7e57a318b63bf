"""What ``sktag tag`` costs: tagging speed of a network's own output layer against a clip-level tag head.

Tags the shared game_music test clips (29.1 s each, 16 kHz MP3) with
``SampleCNNTagger.from_checkpoint(weights).predict_proba`` for each of ``--weights``, in fp32
(``sktag tag``'s default) and bf16 autocast, after a warm-up clip, and reports clips/s end to
end (decoding included) and seconds of audio per second. ``samplecnn-3x9-multiteacher-v2``
tags with its own output layer (every segment through the whole network); ``-v3`` is the same
network with a clip-level head, which runs the blocks only and pools block3-9. Writes
``benchmarks/results/tagging_speed.md`` / ``.json`` (``tagging_speed_<cpu class>`` on CPUs without native
bf16, as the other speed scripts)::

    python -m benchmarks.speed.tagging
"""

from __future__ import annotations

import time

from benchmarks import common
from benchmarks.speed.common import machine, results_stem

DEFAULT_WEIGHTS = ("samplecnn-3x9-multiteacher-v2", "samplecnn-3x9-multiteacher-v3")


def build_parser():
    parser = common.parser(__spec__.name, __doc__)
    parser.add_argument("--weights", nargs="+", default=list(DEFAULT_WEIGHTS))
    parser.add_argument("--clips", type=int, default=60, help="test clips tagged (default 60)")
    return parser


def tagging_speed(weights: str, precision: str, paths: list[str]) -> dict:
    """Clips/s of ``predict_proba`` on ``paths`` (after tagging the first once, untimed)."""
    from sktag.training import SampleCNNTagger

    tagger = SampleCNNTagger.from_checkpoint(weights, precision=precision)
    tagger.predict_proba(paths[:1])
    started = time.perf_counter()
    tagger.predict_proba(paths)
    seconds = time.perf_counter() - started
    return {
        "weights": weights,
        "tags_from": "own output layer" if tagger.net_.module_.clip_head is None else "clip-level head",
        "precision": precision,
        "seconds": seconds,
        "clips_per_s": len(paths) / seconds,
    }


def main(argv: list[str] | None = None) -> None:
    import pandas as pd

    args = build_parser().parse_args(argv)
    clips = pd.read_csv(common.GAME_MUSIC / "clips.csv")
    clips = clips[clips.split == "test"].head(args.clips)
    paths = [str(common.GAME_MUSIC / p) for p in clips.path]
    audio_seconds = float(clips.duration_s.sum())
    rows = []
    for weights in args.weights:
        for precision in ("fp32", "bf16"):
            rows.append(tagging_speed(weights, precision, paths))
            print(rows[-1], flush=True)
    report = {"machine": machine(), "command": common.command(__spec__.name, argv), "clips": len(paths), "rows": rows}
    lines = [
        "# Tagging speed: a network's own output layer against a clip-level tag head",
        "",
        f"`{report['command']}`: `SampleCNNTagger.from_checkpoint(weights, precision=...).predict_proba` on the first "
        f"{len(paths)} test clips of shared game_music ({audio_seconds / 60:.1f} min of 16 kHz MP3), decoding "
        f"included, after one warm-up clip. Machine: {report['machine']}.",
        "",
        "| weights | tags from | precision | clips/s | audio s per s |",
        "|---|---|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| `{r['weights']}` | {r['tags_from']} | {r['precision']} | {r['clips_per_s']:.2f} | "
            f"{r['clips_per_s'] * audio_seconds / len(paths):.0f} |"
        )
    common.write_results(results_stem("tagging_speed"), report, lines)


if __name__ == "__main__":
    main()
