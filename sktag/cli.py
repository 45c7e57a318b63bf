"""The ``sktag`` command line (also ``python -m sktag``).

``sktag tag FILE ... [--weights W]`` prints tags; ``sktag train DATASET ROOT --out MODEL.pt``
trains or fine-tunes a SampleCNN tagger (see ``sktag train --help``); ``sktag extract
DIR|GLOB|CSV -o OUT`` writes resumable feature shards (see ``sktag extract --help``);
``sktag bench --data SHARED --out DIR`` runs the transfer-learning benchmark.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

import numpy as np

from .audio import AudioError
from .datasets import DATASET_KINDS
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


#: ``sktag extract --extractor`` names.
EXTRACTORS = {"samplecnn": "SampleCNNFeatures", "artist": "ArtistCNNFeatures", "melcnn": "MelCNNFeatures"}


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _extract(args: argparse.Namespace) -> int:
    import sktag

    from .extract import extract, find_clips

    params = {key: value for key, value in (("weights", args.weights), ("pooling", args.pooling),
                                            ("aggregate", args.aggregate), ("precision", args.precision),
                                            ("device", args.device), ("batch_size", args.batch_size))
              if value is not None}
    if args.layers:
        params["layers"] = args.layers.split(",")
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"sktag extract: --set takes KEY=VALUE, got {item!r}")
        params[key] = _parse_value(value)
    transformer = getattr(sktag, EXTRACTORS[args.extractor])(**params)
    ids, paths = find_clips(args.inputs, path_column=args.path_column, id_column=args.id_column)
    client = None
    if args.scheduler:
        from distributed import Client

        client = Client(args.scheduler)
    try:
        result = extract(transformer, paths, args.output, clip_ids=ids, shard_size=args.shard_size, client=client,
                         on_error=args.on_error)
    except AudioError as exc:  # --on-error raise
        print(f"sktag extract: {exc}", file=sys.stderr)
        return 1
    print(f"{len(result.clip_ids)} clips x {result.features.shape[1]} features in {args.output}"
          f" ({len(result.failures)} failed, listed in failures.csv)")
    return 1 if result.failures else 0


def _load_dataset(args: argparse.Namespace):
    from .datasets import load_dataset

    if args.dataset == "msd" and not args.audio_root:
        raise SystemExit("sktag train: --dataset msd needs --audio-root (the folder of 7digital previews)")
    options = {"audio_root": args.audio_root, "split_dir": args.split_dir, "tag_column": args.tag_column,
               "tag_separator": args.tag_separator, "split_column": args.split_column,
               "label_columns": args.label_columns.split(",") if args.label_columns else None}
    try:
        return load_dataset(args.dataset, args.root, **options)
    except ValueError as error:
        if "does not take" in str(error):
            raise SystemExit(f"sktag train: {error}") from None
        raise


def _bench(args: argparse.Namespace) -> int:
    from .bench.transfer import run

    run(args, " ".join(["sktag", *sys.argv[1:]]))
    return 0


def _new_architecture(args: argparse.Namespace) -> dict:
    mel = {"sample_rate": args.sample_rate, "hop_length": round(512 * args.sample_rate / 22050)}  # the papers' hop
    if args.network == "artist":  # the paper's 3 s patch
        return mel
    if args.network == "melcnn":
        return {**mel, "n_frames": args.n_frames}
    return {"m": args.m, "n": args.n, "block": args.block, "multi_level": args.multi_level}


def _train(args: argparse.Namespace) -> int:
    from .training import ArtistCNNTagger, MelCNNTagger, SampleCNNTagger

    data = _load_dataset(args)
    train, valid = data.split == "train", data.split == "valid"
    if not train.any():  # no split given: everything trains
        train, valid = np.ones(len(data.paths), bool), np.zeros(len(data.paths), bool)
    architecture = None if args.weights else _new_architecture(args)
    trainer = {"samplecnn": SampleCNNTagger, "artist": ArtistCNNTagger, "melcnn": MelCNNTagger}[args.network]
    tagger = trainer(
        args.weights, architecture=architecture, sample_rate=args.sample_rate, recipe=args.recipe, lr=args.lr,
        max_epochs=args.max_epochs, batch_size=args.batch_size, crops_per_clip=args.crops_per_clip, loss=args.loss,
        freeze=args.freeze.split(",") if args.freeze else None, precision=args.precision,
        checkpoint_dir=args.checkpoint_dir, device=args.device, random_state=args.seed, verbose=1,
    )
    validation = {"X_valid": list(data.paths[valid]), "y_valid": data.target[valid]} if valid.any() else {}
    tagger.fit(list(data.paths[train]), data.target[train], tags=list(data.target_names), **validation)
    sha256 = tagger.save(args.out, meta={"training_data": data.DESCR})
    print(f"saved {args.out} (sha256 {sha256})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sktag", description="Sample-level CNNs for music auto-tagging.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and the device to stderr")
    commands = parser.add_subparsers(dest="command", required=True)
    tag = commands.add_parser("tag", help="print the top tags of audio files")
    tag.add_argument("files", nargs="+",
                     help="audio files (wav, flac, ogg, mp3, ...; m4a, aac, wma with sktag[ffmpeg])")
    tag.add_argument("--weights", default="default", help="shipped weights name or checkpoint path")
    tag.add_argument("--top", type=int, default=5, help="tags printed per file (default 5)")
    tag.add_argument("--json", action="store_true", help="one JSON object per file with every tag's probability")
    tag.add_argument("--device", default="auto", help="torch device (default: CUDA when present)")
    tag.set_defaults(run=_tag)

    train = commands.add_parser("train", help="train or fine-tune a SampleCNN tagger on a dataset")
    train.add_argument("dataset", choices=list(DATASET_KINDS))
    train.add_argument("root", help="dataset folder, or the CSV file for 'csv'")
    train.add_argument("--out", required=True, help="where to write the trained checkpoint (.pt)")
    train.add_argument("--audio-root", help="msd: the folder of 7digital previews")
    train.add_argument("--split-dir", help="gtzan: folder of the fault-filtered split lists")
    train.add_argument("--tag-column", help="csv: a label column (single-label, or several tags with --tag-separator)")
    train.add_argument("--tag-separator", help="csv: separator of several tags in --tag-column")
    train.add_argument("--label-columns", help="csv: comma-separated 0/1 or probability columns")
    train.add_argument("--split-column", help="csv: column with train/valid/test")
    train.add_argument("--weights", help="start from this checkpoint or shipped name (fine-tuning)")
    train.add_argument("--freeze", help="comma-separated layers kept fixed, e.g. stem,block1,block2")
    train.add_argument("--network", choices=["samplecnn", "artist", "melcnn"], default="samplecnn",
                       help="artist: the artist-label CNN (a 3 s log-mel patch, hop 23 ms at --sample-rate); "
                            "melcnn: a local log-mel CNN of the multi-scale paper (--n-frames)")
    train.add_argument("--n-frames", type=int, default=27, help="melcnn: input frames, 18, 27 or 54 (default 27)")
    train.add_argument("--m", type=int, default=3, help="filter/pool size of a new network (default 3)")
    train.add_argument("--n", type=int, default=9, help="blocks of a new network (default 9: 59049 samples)")
    train.add_argument("--block", default="basic", choices=["basic", "se", "res1", "res2", "rese1", "rese2"])
    train.add_argument("--multi-level", action="store_true", help="multi-level head (last three blocks)")
    train.add_argument("--sample-rate", type=float, default=16000, help="rate of a new network (default 16000)")
    train.add_argument("--recipe", choices=["staged", "adam"], default="staged")
    train.add_argument("--lr", type=float, help="adam: learning rate (default 1e-3)")
    train.add_argument("--max-epochs", type=int, default=100)
    train.add_argument("--batch-size", type=int, default=23)
    train.add_argument("--crops-per-clip", type=int, default=1, help="random crops of every clip per epoch")
    train.add_argument("--loss", choices=["bce", "logit_mse"], default="bce",
                       help="logit_mse: regress a teacher's logits (soft --label-columns)")
    train.add_argument("--precision", choices=["fp32", "bf16", "auto"], default="auto")
    train.add_argument("--checkpoint-dir", help="save every epoch there; rerun with it to resume")
    train.add_argument("--device", default="auto")
    train.add_argument("--seed", type=int, default=0)
    train.set_defaults(run=_train)

    extract = commands.add_parser("extract", help="extract features of a collection into resumable shards")
    extract.add_argument("inputs", nargs="+", help="folders, glob patterns, CSV files (a 'path' column) or audio files")
    extract.add_argument("-o", "--output", required=True, help="output folder; rerun with it to resume")
    extract.add_argument("--extractor", choices=sorted(EXTRACTORS), default="samplecnn")
    extract.add_argument("--weights", help="shipped weights name or checkpoint path (default: the extractor's)")
    extract.add_argument("--layers", help="comma-separated layers, e.g. block7,block8,block9")
    extract.add_argument("--pooling", choices=["max", "mean", "max+mean"])
    extract.add_argument("--aggregate", choices=["mean", "max", "mean+std"])
    extract.add_argument("--precision", choices=["fp32", "bf16", "auto"])
    extract.add_argument("--device")
    extract.add_argument("--batch-size", type=int)
    extract.add_argument("--set", action="append", metavar="KEY=VALUE",
                         help="any other extractor parameter (VALUE as JSON, else a string); repeatable")
    extract.add_argument("--shard-size", type=int, default=256, help="clips per shard (default 256)")
    extract.add_argument("--path-column", default="path", help="CSV inputs: the audio path column")
    extract.add_argument("--id-column", default="clip_id", help="CSV inputs: the clip id column, if any")
    extract.add_argument("--on-error", choices=["warn", "raise"], default="warn",
                         help="warn (default): NaN row + failures.csv and go on; raise: stop at the first bad clip")
    extract.add_argument("--scheduler", help="Dask scheduler address: run the shards on that cluster")
    extract.set_defaults(run=_extract)

    bench = commands.add_parser("bench", help="the transfer-learning benchmark: tasks x extractors x heads")
    from .bench.transfer import add_arguments

    add_arguments(bench)
    bench.set_defaults(run=_bench)
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
