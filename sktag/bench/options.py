"""The options of ``sktag bench``, torch-free so that ``sktag bench --help`` starts at once."""

from __future__ import annotations

import argparse
import os

from .._catalog import DEFAULT_WEIGHTS, SHIPPED_WEIGHTS

__all__ = ["RANDOM_PREFIX", "add_arguments"]

#: ``random:<weights>`` extractors: that checkpoint's network at random initialisation.
RANDOM_PREFIX = "random:"


def _at_least_one(text: str) -> int:
    """An option's value that must be an integer >= 1 (``argparse`` type)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"give an integer >= 1, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``sktag bench`` (and ``python -m benchmarks.quality.transfer``)."""
    parser.add_argument(
        "--data",
        default=os.environ.get("SKTAG_SHARED_DATA"),
        help="the shared corpus folder (default: $SKTAG_SHARED_DATA)",
    )
    parser.add_argument("--out", default=".", help="folder for transfer<suffix>.md/.csv/.png (default: .)")
    parser.add_argument(
        "--no-shared", action="store_true", help="only the user's dataset or --heldout-corpus, not the shared tasks"
    )
    parser.add_argument(
        "--heldout-corpus",
        metavar="DIR",
        help="add heldout-composer and heldout-teacher-tags: a corpus folder laid out like "
        "game_music (clips.csv; teacher_mtt50.csv for the tags), scored by 5-fold "
        "cross-validation grouped by track",
    )
    parser.add_argument("--heldout-games", help="comma-separated games of --heldout-corpus to keep (default: all)")
    parser.add_argument("--tasks", help="comma-separated task names (default: all)")
    parser.add_argument(
        "--extractors",
        default=",".join(
            [*SHIPPED_WEIGHTS, *(RANDOM_PREFIX + name for name in DEFAULT_WEIGHTS.values()), "bag", "mfcc", "peer"]
        ),
        help="comma-separated: shipped weight names, random:<weight name> (that network at "
        "random initialisation), bag, mfcc, peer; weight names joined by + "
        "(samplecnn-3x9+artist-siamese-gamemusic) give their multi-level features "
        "side by side (MultiScaleFeatures)",
    )
    parser.add_argument(
        "--random-seeds",
        type=_at_least_one,
        default=1,
        metavar="N",
        help="score each random:<weights> extractor with N networks (random_state 0 to N-1): a row for each "
        "seed's network, labelled 'random init (seed k)', and one for their mean, 'random init (mean of N "
        "seeds)', which the summary's random init column reports (default: 1, one network, random_state 0)",
    )
    parser.add_argument("--heads", help="comma-separated head names (default: all)")
    parser.add_argument("--suffix", default="", help="results file suffix, e.g. _mydata")
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="CSV",
        help="run nothing: write one report from the CSVs of earlier runs (say, parts of the "
        "tasks or extractors run apart); a later file's row replaces an earlier one's for "
        "the same task, features and head",
    )
    parser.add_argument("--csv", help="a user dataset: CSV with a path column (sktag.datasets.load_csv)")
    parser.add_argument("--label-columns", help="csv: comma-separated 0/1 or probability columns")
    parser.add_argument("--tag-column", help="csv: a label column")
    parser.add_argument("--tag-separator", help="csv: separator of several tags in --tag-column")
    parser.add_argument("--split-column", default="split", help="csv: column with train/valid/test")
    parser.add_argument("--folder", help="a user dataset: a folder per class (sktag.datasets.load_folder)")
    parser.add_argument("--dataset", nargs=2, metavar=("KIND", "ROOT"), help="mtat, gtzan or msd and its root")
    parser.add_argument("--audio-root", help="msd: the folder of 7digital previews")
    parser.add_argument("--split-dir", help="gtzan: the folder of the fault-filtered split lists")
