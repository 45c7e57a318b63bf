"""What bf16 autocast costs in feature accuracy, and what it buys in speed (issue 12).

Extracts ``SampleCNNFeatures`` of every Philharmonia clip in ``../shared/data`` at
``precision="fp32"`` and ``"bf16"``, and reports: end-to-end clips/s of each, the
relative L2 error of each clip's bf16 feature vector against fp32, the error of
each feature relative to its spread over the clips, and the test accuracy of the
same probe (StandardScaler + LogisticRegression on the train split, 16 instrument
groups) on both. Writes ``benchmarks/results/precision_<name>.md`` / ``.json``::

    python benchmarks/precision.py --weights default --name default
    python benchmarks/precision.py --name random-init          # weights=None, seed 0
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktag import SampleCNNFeatures
from sktag.datasets import load_csv

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SKTAG_SHARED_DATA", ROOT.parent / "shared" / "data"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="checkpoint path or shipped name (default: random init)")
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    data = load_csv(SHARED / "philharmonia" / "clips.csv", tag_column="instrument_group", split_column="split")
    paths = list(data.paths)
    train, test = data.split == "train", data.split == "test"
    features, report = {}, {"name": args.name, "weights": args.weights, "clips": len(paths)}
    for precision in ("fp32", "bf16"):
        extractor = SampleCNNFeatures(weights=args.weights, random_state=0, precision=precision).fit(paths[:1])
        started = time.perf_counter()
        Z = extractor.transform(paths)
        seconds = time.perf_counter() - started
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
        probe.fit(Z[train], data.target_label[train])
        features[precision] = Z
        report[precision] = {"clips_per_s": len(paths) / seconds, "seconds": seconds,
                             "probe_accuracy": probe.score(Z[test], data.target_label[test])}
        print(f"{precision}: {report[precision]}", flush=True)
    fp32, bf16 = features["fp32"], features["bf16"]
    per_clip = np.linalg.norm(bf16 - fp32, axis=1) / np.linalg.norm(fp32, axis=1)
    per_feature = np.abs(bf16 - fp32) / (fp32.std(axis=0) + 1e-12)
    report["clip_relative_l2"] = {"median": float(np.median(per_clip)), "p99": float(np.quantile(per_clip, 0.99)),
                                  "max": float(per_clip.max())}
    report["feature_error_over_std"] = {"median": float(np.median(per_feature)),
                                        "p99": float(np.quantile(per_feature, 0.99)), "max": float(per_feature.max())}
    results = ROOT / "benchmarks" / "results"
    (results / f"precision_{args.name}.json").write_text(json.dumps(report, indent=1))
    c, f = report["clip_relative_l2"], report["feature_error_over_std"]
    lines = [
        f"# bf16 autocast vs fp32 features, `{args.name}`", "",
        f"`python benchmarks/precision.py{' --weights ' + args.weights if args.weights else ''} --name {args.name}`: "
        f"SampleCNNFeatures (weights={args.weights!r}, defaults otherwise) over all {len(paths)} Philharmonia clips "
        f"of ../shared/data; probe = StandardScaler + LogisticRegression(C=0.1) on the train split "
        f"({int(train.sum())} clips), accuracy on the test split ({int(test.sum())} clips), 16 instrument groups. "
        f"Machine: {os.cpu_count()}-core CPU of this project's CI class (AVX512-BF16), torch default threads.", "",
        "| precision | clips/s end to end | probe test accuracy |", "|---|---:|---:|",
        *[f"| {p} | {report[p]['clips_per_s']:.1f} | {report[p]['probe_accuracy']:.3f} |" for p in ("fp32", "bf16")],
        "", "bf16 against fp32:", "",
        f"- per clip, relative L2 error of the feature vector: median {c['median']:.4f}, "
        f"99th percentile {c['p99']:.4f}, max {c['max']:.4f};",
        f"- per feature value, |error| / the feature's standard deviation over clips: median {f['median']:.4f}, "
        f"99th percentile {f['p99']:.4f}, max {f['max']:.4f}.",
    ]
    (results / f"precision_{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
