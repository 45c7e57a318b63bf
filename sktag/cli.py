"""The ``sktag`` command line (also ``python -m sktag``)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from .audio import AudioError
from .weights import WeightsError

__all__ = ["main"]


def _tag(args: argparse.Namespace) -> int:
    from .training import SampleCNNTagger

    tagger = SampleCNNTagger.from_checkpoint(args.weights, device=args.device)
    failures = 0
    for path in args.files:
        try:
            (probabilities,) = tagger.predict_proba([path])
        except (AudioError, FileNotFoundError) as exc:
            print(f"sktag tag: {exc}", file=sys.stderr)
            failures += 1
            continue
        ranked = sorted(zip(tagger.classes_, probabilities.tolist()), key=lambda item: -item[1])
        if args.json:
            print(json.dumps({"path": path, "tags": {str(tag): round(p, 6) for tag, p in ranked}}))
        else:
            top = ", ".join(f"{tag} {p:.3f}" for tag, p in ranked[: args.top])
            print(f"{path}: {top}")
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sktag", description="Sample-level CNNs for music auto-tagging.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and the device to stderr")
    commands = parser.add_subparsers(dest="command", required=True)
    tag = commands.add_parser("tag", help="print the top tags of audio files")
    tag.add_argument("files", nargs="+", help="audio files (wav, flac, ogg, mp3, ...)")
    tag.add_argument("--weights", default="default", help="shipped weights name or checkpoint path")
    tag.add_argument("--top", type=int, default=5, help="tags printed per file (default 5)")
    tag.add_argument("--json", action="store_true", help="one JSON object per file with every tag's probability")
    tag.add_argument("--device", default="auto", help="torch device (default: CUDA when present)")
    tag.set_defaults(run=_tag)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 some files failed, 2 usage or weights error)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        return args.run(args)
    except WeightsError as exc:
        print(f"sktag {args.command}: {exc}", file=sys.stderr)
        return 2
