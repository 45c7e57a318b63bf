"""What bf16 autocast costs in feature accuracy, and what it buys in speed (issue 12).

Extracts ``SampleCNNFeatures`` of every Philharmonia clip in ``../shared/data`` at
``precision="fp32"`` and ``"bf16"``, and reports: end-to-end clips/s of each (after a
warm-up clip, as ``benchmarks.speed.throughput`` times them), the relative L2 error of
each clip's bf16 feature vector against fp32, the error of each feature relative to its
spread over the clips, and the test accuracy of the same probe (StandardScaler +
LogisticRegression on the train split, 16 instrument groups) on both. Writes
``benchmarks/results/precision_<name>.md`` / ``.json``::

    python -m benchmarks.speed.precision --weights default --name default
    python -m benchmarks.speed.precision --name random-init          # weights=None, seed 0
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks import common
from benchmarks.speed.common import machine, timed_transform, warm_extractor
from sktag.datasets import load_csv


def build_parser():
    parser = common.parser(__spec__.name, __doc__)
    parser.add_argument("--weights", default=None, help="checkpoint path or shipped name (default: random init)")
    parser.add_argument("--name", required=True)
    return parser


def spread(values: np.ndarray) -> dict:
    return {"median": float(np.median(values)), "p99": float(np.quantile(values, 0.99)), "max": float(values.max())}


def measure(weights: str | None, report: dict) -> None:
    """Each precision's speed and probe accuracy, and bf16's error against fp32, into ``report``."""
    data = load_csv(common.SHARED / "philharmonia" / "clips.csv", tag_column="instrument_group", split_column="split")
    paths = list(data.paths)
    train, test = data.split == "train", data.split == "test"
    report.update(clips=len(paths), train_clips=int(train.sum()), test_clips=int(test.sum()))
    features = {}
    for precision in ("fp32", "bf16"):
        Z, seconds = timed_transform(warm_extractor(paths, weights=weights, precision=precision), paths)
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
        probe.fit(Z[train], data.target_label[train])
        features[precision] = Z
        report[precision] = {
            "clips_per_s": len(paths) / seconds,
            "seconds": seconds,
            "probe_accuracy": probe.score(Z[test], data.target_label[test]),
        }
        print(f"{precision}: {report[precision]}", flush=True)
    fp32, bf16 = features["fp32"], features["bf16"]
    report["clip_relative_l2"] = spread(np.linalg.norm(bf16 - fp32, axis=1) / np.linalg.norm(fp32, axis=1))
    report["feature_error_over_std"] = spread(np.abs(bf16 - fp32) / (fp32.std(axis=0) + 1e-12))


def markdown(report: dict) -> list[str]:
    c, f, weights = report["clip_relative_l2"], report["feature_error_over_std"], report["weights"]
    return [
        f"# bf16 autocast vs fp32 features, `{report['name']}`",
        "",
        f"`{report['command']}`: "
        f"SampleCNNFeatures (weights={weights!r}, defaults otherwise) over all {report['clips']} Philharmonia clips "
        f"of ../shared/data; probe = StandardScaler + LogisticRegression(C=0.1) on the train split "
        f"({report['train_clips']} clips), accuracy on the test split ({report['test_clips']} clips), 16 instrument "
        f"groups. Machine: {report['machine']}.",
        "",
        "| precision | clips/s end to end | probe test accuracy |",
        "|---|---:|---:|",
        *[f"| {p} | {report[p]['clips_per_s']:.1f} | {report[p]['probe_accuracy']:.3f} |" for p in ("fp32", "bf16")],
        "",
        "bf16 against fp32:",
        "",
        f"- per clip, relative L2 error of the feature vector: median {c['median']:.4f}, "
        f"99th percentile {c['p99']:.4f}, max {c['max']:.4f};",
        f"- per feature value, |error| / the feature's standard deviation over clips: median {f['median']:.4f}, "
        f"99th percentile {f['p99']:.4f}, max {f['max']:.4f}.",
    ]


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    report = {"name": args.name, "weights": args.weights}
    measure(args.weights, report)
    report.update(machine=machine(), command=common.command(__spec__.name, argv))
    common.write_results(f"precision_{args.name}", report, markdown(report))


if __name__ == "__main__":
    main()
