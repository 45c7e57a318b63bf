"""The ``sktag`` command line (also ``python -m sktag``).

``sktag tag FILE ... [--weights W]`` prints tags; ``sktag train DATASET ROOT --out MODEL.pt``
trains or fine-tunes a SampleCNN tagger (see ``sktag train --help``); ``sktag extract
DIR|GLOB|CSV -o OUT`` writes resumable feature shards (see ``sktag extract --help``);
``sktag bench --data SHARED --out DIR`` runs the transfer-learning benchmark; ``sktag weights
[NAME] [--json]`` lists the shipped weights (or describes one).

An error the user can act on (bad weights, an unreadable input, an output folder
of another run, ...) is one line on stderr, ``sktag <command>: error:
<message>``, and exit status 2; ``--debug`` (or ``-v``) adds the traceback.
Ctrl-C is one line too, saying whether a rerun resumes, and exit status 130.

Building the parser imports neither torch nor the sktag modules that need it
(``sktag --help`` starts in a fraction of a second): each command imports what
it uses when it runs, and ``sktag bench``'s options are added when that command
is parsed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import textwrap
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence

from ._catalog import (
    DATASET_KINDS,
    DEFAULT_WEIGHTS,
    FAMILIES,
    REGISTRY,
    SHIPPED_WEIGHTS,
    get_shipped_weights,
    weights_table,
)
from ._deprecation import renamed_message
from ._progress import writing_stderr

__all__ = ["build_parser", "main"]

logger = logging.getLogger("sktag")

#: The rate of a network that ``sktag train`` builds, unless ``--analysis-rate`` says otherwise.
DEFAULT_ANALYSIS_RATE = 16000.0


class CommandError(ValueError):
    """A usage error found by a command itself (reported like any other error the user can act on)."""


def _tag(args: argparse.Namespace) -> int:
    from .audio import AudioError
    from .training import SampleCNNTagger
    from .weights import resolve_weights_name

    started = time.perf_counter()
    tagger = SampleCNNTagger.from_checkpoint(args.weights, device=args.device)
    module = tagger.net_.module_
    name = resolve_weights_name(args.weights)
    logger.info(
        "sktag tag: %s (weights %s: %d tags at %g Hz) loaded on %s in %.1f s",
        type(module).__name__,
        name if name == args.weights else f"{args.weights} = {name}",
        len(tagger.classes_),
        tagger.analysis_rate_,
        next(module.parameters()).device,
        time.perf_counter() - started,
    )
    failures = 0
    started = time.perf_counter()
    for number, path in enumerate(args.files, 1):
        clip_started = time.perf_counter()
        try:
            (probabilities,) = tagger.predict_proba([path])
        except (AudioError, FileNotFoundError) as exc:
            print(f"sktag tag: error: {exc}", file=sys.stderr)
            failures += 1
            continue
        ranked = sorted(zip(tagger.classes_, probabilities.tolist()), key=lambda item: -item[1])
        if args.json:
            print(json.dumps({"path": path, "tags": {str(tag): round(p, 6) for tag, p in ranked}}), flush=True)
        else:
            top = ", ".join(f"{tag} {p:.3f}" for tag, p in ranked[: args.top])
            print(f"{path}: {top}", flush=True)
        logger.info(
            "sktag tag: [%d/%d] %s tagged in %.2f s", number, len(args.files), path, time.perf_counter() - clip_started
        )
    elapsed = time.perf_counter() - started
    logger.info(
        "sktag tag: %d files (%d failed) in %.1f s, %.2f files/s",
        len(args.files),
        failures,
        elapsed,
        len(args.files) / max(elapsed, 1e-9),
    )
    return 1 if failures else 0


def _weights(args: argparse.Namespace) -> int:
    """``sktag weights``: the table of shipped weights, or one entry in full; ``--json`` for machines."""
    if args.name is not None:
        entry = get_shipped_weights(args.name)  # WeightsError (a ValueError): one line, status 2
        print(json.dumps(entry.to_dict(), indent=2) if args.json else entry.describe())
    elif args.json:
        print(json.dumps([entry.to_dict() for entry in REGISTRY.values()], indent=2))
    else:
        print(weights_table())
    return 0


#: Command-line name of each network family (``sktag train --network``, ``sktag extract --extractor``) -> its
#: record in the registry of families.
FAMILIES_BY_COMMAND = {family.command: family for family in FAMILIES.values()}
#: ``sktag extract --extractor`` names -> feature transformer (a class name of :mod:`sktag.features`).
EXTRACTORS = {command: family.features for command, family in FAMILIES_BY_COMMAND.items()}


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _extract(args: argparse.Namespace) -> int:
    from . import features
    from .audio import AudioError
    from .extract import extract, find_clips

    params = {
        key: value
        for key, value in (
            ("weights", args.weights),
            ("pooling", args.pooling),
            ("aggregate", args.aggregate),
            ("precision", args.precision),
            ("device", args.device),
            ("batch_size", args.batch_size),
        )
        if value is not None
    }
    if args.layers:
        params["layers"] = args.layers.split(",")
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise CommandError(f"--set takes KEY=VALUE, got {item!r}")
        params[key] = _parse_value(value)
    transformer = getattr(features, EXTRACTORS[args.extractor])(**params)
    ids, paths = find_clips(args.inputs, path_column=args.path_column, id_column=args.id_column)
    client = None
    if args.scheduler:
        try:
            from distributed import Client
        except ImportError as exc:
            raise CommandError("--scheduler needs Dask's distributed package: pip install distributed") from exc

        client = Client(args.scheduler)
    try:
        result = extract(
            transformer,
            paths,
            args.output,
            clip_ids=ids,
            shard_size=args.shard_size,
            client=client,
            on_error=args.on_error,
        )
    except AudioError as exc:  # --on-error raise: a clip failed, as in ``sktag tag``: status 1
        print(
            f"sktag extract: error: {exc} (finished shards are kept: rerun after fixing the file, or with "
            "--on-error warn, to resume)",
            file=sys.stderr,
        )
        return 1
    print(
        f"{len(result.clip_ids)} clips x {result.features.shape[1]} features in {args.output}"
        f" ({len(result.failures)} failed, listed in failures.csv)"
    )
    return 1 if result.failures else 0


def _load_dataset(args: argparse.Namespace):
    from .datasets import load_dataset

    if args.dataset == "msd" and not args.audio_root:
        raise CommandError("dataset msd needs --audio-root (the folder of 7digital previews)")
    options = {
        "audio_root": args.audio_root,
        "split_dir": args.split_dir,
        "tag_column": args.tag_column,
        "tag_separator": args.tag_separator,
        "split_column": args.split_column,
        "label_columns": args.label_columns.split(",") if args.label_columns else None,
    }
    return load_dataset(args.dataset, args.root, **options)


def _bench(args: argparse.Namespace) -> int:
    from .bench.transfer import run

    run(args, " ".join(["sktag", *sys.argv[1:]]))
    return 0


def _analysis_rate(args: argparse.Namespace) -> float | None:
    """``--analysis-rate``, or its deprecated spelling ``--sample-rate`` (with a warning on stderr)."""
    if args.old_sample_rate is None:
        return args.analysis_rate
    if args.analysis_rate is not None:
        raise CommandError("--sample-rate is the old name of --analysis-rate: give --analysis-rate only")
    logger.warning("sktag train: warning: %s", renamed_message("--sample-rate", "--analysis-rate (the network's rate)"))
    if args.weights:  # ignored with --weights, as before: the checkpoint brings its rate
        return None
    return args.old_sample_rate


def _new_architecture(args: argparse.Namespace, rate: float) -> dict:
    mel = {"sample_rate": rate, "hop_length": round(512 * rate / 22050)}  # the papers' hop
    if args.network == "artist":  # the paper's 3 s patch
        return mel
    if args.network == "melcnn":
        return {**mel, "n_frames": args.n_frames}
    return {"m": args.m, "n": args.n, "block": args.block, "multi_level": args.multi_level}


@contextlib.contextmanager
def _noting_interrupts() -> Iterator[list]:
    """A list that gets an item when Ctrl-C is pressed inside the block.

    skorch's ``fit`` catches the ``KeyboardInterrupt`` and returns as if
    training had ended; this tells ``sktag train`` that it was interrupted.
    """
    seen: list = []
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:  # not ours to change
        yield seen
        return

    def handler(signum, frame):
        if previous == signal.SIG_IGN:
            return
        seen.append(signum)
        (previous if callable(previous) else signal.default_int_handler)(signum, frame)

    signal.signal(signal.SIGINT, handler)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


def _train(args: argparse.Namespace) -> int:
    import numpy as np

    from . import training

    data = _load_dataset(args)
    train, valid = data.split == "train", data.split == "valid"
    if not train.any():  # no split given: everything trains
        train, valid = np.ones(len(data.paths), bool), np.zeros(len(data.paths), bool)
    rate = _analysis_rate(args)
    architecture = None if args.weights else _new_architecture(args, rate or DEFAULT_ANALYSIS_RATE)
    trainer = getattr(training, FAMILIES_BY_COMMAND[args.network].tagger)
    tagger = trainer(
        args.weights,
        architecture=architecture,
        analysis_rate=rate,
        recipe=args.recipe,
        lr=args.lr,
        max_epochs=args.max_epochs,
        batch_size=args.batch_size,
        crops_per_clip=args.crops_per_clip,
        loss=args.loss,
        freeze=args.freeze.split(",") if args.freeze else None,
        precision=args.precision,
        checkpoint_dir=args.checkpoint_dir,
        device=args.device,
        random_state=args.seed,
        verbose=1,
    )
    validation = {"X_valid": list(data.paths[valid]), "y_valid": data.target[valid]} if valid.any() else {}
    with _noting_interrupts() as interrupted:
        tagger.fit(list(data.paths[train]), data.target[train], tags=list(data.target_names), **validation)
    if interrupted and args.checkpoint_dir:  # the epochs done are in --checkpoint-dir; --out comes with the rerun
        raise KeyboardInterrupt
    sha256 = tagger.save(args.out, meta={"training_data": data.DESCR})
    if interrupted:
        print(
            f"sktag train: interrupted after {len(tagger.history_)} epochs; the model so far is saved in "
            f"{args.out} (sha256 {sha256}). Without --checkpoint-dir a rerun starts over",
            file=sys.stderr,
        )
        return 130
    print(f"saved {args.out} (sha256 {sha256})")
    return 0


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help, but lines never break inside a hyphenated word (weights names: artist-basic-gamemusic)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose arguments may be added when it is first used (``lazy=``).

    ``sktag bench``'s options come from :func:`sktag.bench.options.add_arguments`
    (torch-free), added only when that command is parsed or its help shown.
    """

    def __init__(self, *args, lazy: Callable[[argparse.ArgumentParser], None] | None = None, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
        self._lazy = lazy

    def _add_lazy_arguments(self) -> None:
        if self._lazy is not None:
            add, self._lazy = self._lazy, None
            add(self)

    def parse_known_args(self, args=None, namespace=None):
        self._add_lazy_arguments()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self._add_lazy_arguments()
        return super().format_help()

    def format_usage(self) -> str:
        self._add_lazy_arguments()
        return super().format_usage()


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    from .bench.options import add_arguments

    add_arguments(parser)


def _weights_help(names: list[str], default: str) -> str:
    shipped = ", ".join(names) if names else "see sktag.weights.SHIPPED_WEIGHTS"
    return (
        f"a sktag checkpoint path, or shipped weights: 'default' or one of {shipped} ({default}; "
        "'sktag weights' describes each)"
    )


def _verbosity(default: object) -> argparse.ArgumentParser:
    """``-v`` and ``--debug``, for the top level (``default=False``) and after a command (``argparse.SUPPRESS``:
    not given there, they keep the top level's value)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default,
        help="log the device, the network loaded, progress and timings to stderr",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="like -v, plus the decoders' own messages, and a traceback with every error",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The ``sktag`` argument parser (building it imports no torch).

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    names, defaults = list(SHIPPED_WEIGHTS), DEFAULT_WEIGHTS
    verbosity = _verbosity(argparse.SUPPRESS)  # also accepted after the command: sktag tag -v ...
    parser = _Parser(
        prog="sktag",
        description="Sample-level CNNs for music auto-tagging.",
        parents=[_verbosity(False)],
        epilog="Exit status: 0 done, 1 some files failed, 2 usage or input error "
        "(one line on stderr; --debug adds the traceback), 130 interrupted.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    tag = commands.add_parser("tag", help="print the top tags of audio files", parents=[verbosity])
    tag.add_argument(
        "files", nargs="+", help="audio files (wav, flac, ogg, mp3, ...; m4a, aac, wma with sktag[ffmpeg])"
    )
    tagger_default = defaults.get("SampleCNN", names[0] if names else "default")
    tag.add_argument("--weights", default="default", help=_weights_help(names, f"default: {tagger_default}"))
    tag.add_argument("--top", type=int, default=5, help="tags printed per file (default 5)")
    tag.add_argument("--json", action="store_true", help="one JSON object per file with every tag's probability")
    tag.add_argument("--device", default="auto", help="torch device (default: CUDA when present)")
    tag.set_defaults(run=_tag)

    train = commands.add_parser("train", help="train or fine-tune a SampleCNN tagger on a dataset", parents=[verbosity])
    train.add_argument("dataset", choices=list(DATASET_KINDS))
    train.add_argument("root", help="dataset folder, or the CSV file for 'csv'")
    train.add_argument("--out", required=True, help="where to write the trained checkpoint (.pt)")
    train.add_argument("--audio-root", help="msd: the folder of 7digital previews")
    train.add_argument("--split-dir", help="gtzan: folder of the fault-filtered split lists")
    train.add_argument("--tag-column", help="csv: a label column (single-label, or several tags with --tag-separator)")
    train.add_argument("--tag-separator", help="csv: separator of several tags in --tag-column")
    train.add_argument("--label-columns", help="csv: comma-separated 0/1 or probability columns")
    train.add_argument("--split-column", help="csv: column with train/valid/test")
    train.add_argument(
        "--weights", help="fine-tune these weights: " + _weights_help(names, "default: train a new network")
    )
    train.add_argument("--freeze", help="comma-separated layers kept fixed, e.g. stem,block1,block2")
    train.add_argument(
        "--network",
        choices=list(FAMILIES_BY_COMMAND),
        default="samplecnn",
        help="artist: the artist-label CNN (a 3 s log-mel patch, hop 23 ms at --analysis-rate); "
        "melcnn: a local log-mel CNN of the multi-scale paper (--n-frames)",
    )
    train.add_argument("--n-frames", type=int, default=27, help="melcnn: input frames, 18, 27 or 54 (default 27)")
    train.add_argument("--m", type=int, default=3, help="filter/pool size of a new network (default 3)")
    train.add_argument("--n", type=int, default=9, help="blocks of a new network (default 9: 59049 samples)")
    train.add_argument("--block", default="basic", choices=["basic", "se", "res1", "res2", "rese1", "rese2"])
    train.add_argument("--multi-level", action="store_true", help="multi-level head (last three blocks)")
    train.add_argument(
        "--analysis-rate",
        type=float,
        help=f"the network's rate: that of a new network (default {DEFAULT_ANALYSIS_RATE:g}); with "
        "--weights, the checkpoint's own (a different one is an error)",
    )
    train.add_argument(
        "--sample-rate",
        type=float,
        dest="old_sample_rate",
        help="deprecated name of --analysis-rate (removed in sktag 0.3)",
    )
    train.add_argument("--recipe", choices=["staged", "adam"], default="staged")
    train.add_argument("--lr", type=float, help="adam: learning rate (default 1e-3)")
    train.add_argument("--max-epochs", type=int, default=100)
    train.add_argument("--batch-size", type=int, default=23)
    train.add_argument("--crops-per-clip", type=int, default=1, help="random crops of every clip per epoch")
    train.add_argument(
        "--loss",
        choices=["bce", "logit_mse"],
        default="bce",
        help="logit_mse: regress a teacher's logits (soft --label-columns)",
    )
    train.add_argument("--precision", choices=["fp32", "bf16", "auto"], default="auto")
    train.add_argument("--checkpoint-dir", help="save every epoch there; rerun with it to resume")
    train.add_argument("--device", default="auto")
    train.add_argument("--seed", type=int, default=0)
    train.set_defaults(run=_train)

    extract = commands.add_parser(
        "extract", help="extract features of a collection into resumable shards", parents=[verbosity]
    )
    extract.add_argument("inputs", nargs="+", help="folders, glob patterns, CSV files (a 'path' column) or audio files")
    extract.add_argument("-o", "--output", required=True, help="output folder; rerun with it to resume")
    extract.add_argument("--extractor", choices=sorted(EXTRACTORS), default="samplecnn")
    extractor_defaults = ", ".join(
        f"{defaults[family.architecture]} for {command}"
        for command, family in FAMILIES_BY_COMMAND.items()
        if family.architecture in defaults
    )
    extract.add_argument(
        "--weights",
        help=_weights_help(
            names,
            f"default: the extractor's, {extractor_defaults}" if extractor_defaults else "default: the extractor's",
        ),
    )
    extract.add_argument("--layers", help="comma-separated layers, e.g. block7,block8,block9")
    extract.add_argument("--pooling", choices=["max", "mean", "max+mean"])
    extract.add_argument("--aggregate", choices=["mean", "max", "mean+std"])
    extract.add_argument("--precision", choices=["fp32", "bf16", "auto"])
    extract.add_argument("--device")
    extract.add_argument("--batch-size", type=int)
    extract.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="any other extractor parameter (VALUE as JSON, else a string); repeatable",
    )
    extract.add_argument("--shard-size", type=int, default=256, help="clips per shard (default 256)")
    extract.add_argument("--path-column", default="path", help="CSV inputs: the audio path column")
    extract.add_argument("--id-column", default="clip_id", help="CSV inputs: the clip id column, if any")
    extract.add_argument(
        "--on-error",
        choices=["warn", "raise"],
        default="warn",
        help="warn (default): NaN row + failures.csv and go on; raise: stop at the first bad clip",
    )
    extract.add_argument("--scheduler", help="Dask scheduler address: run the shards on that cluster")
    extract.set_defaults(run=_extract)

    weights = commands.add_parser(
        "weights",
        parents=[verbosity],
        help="list the shipped weights: family, default, rate, segment, size, training data, key score",
    )
    weights.add_argument(
        "name",
        nargs="?",
        help="print everything about these weights: file, sha256, config, recipe, scores "
        "('default': the SampleCNN default)",
    )
    weights.add_argument("--json", action="store_true", help="JSON: a list of every entry, or the one named")
    weights.set_defaults(run=_weights)

    bench = commands.add_parser(
        "bench",
        help="the transfer-learning benchmark: tasks x extractors x heads",
        parents=[verbosity],
        lazy=_bench_arguments,
    )
    bench.set_defaults(run=_bench)
    return parser


class _StderrHandler(logging.Handler):
    """Log records as plain lines on ``sys.stderr`` as it is at the time (not as it was at set-up)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            with writing_stderr():
                sys.stderr.write(text + "\n")
                sys.stderr.flush()
        except Exception:
            self.handleError(record)


@contextlib.contextmanager
def _logging_to_stderr(level: int) -> Iterator[None]:
    """The ``"sktag"`` logger's records at ``level`` and above on stderr, for the duration of a command."""
    sktag_logger = logging.getLogger("sktag")
    saved = sktag_logger.level, sktag_logger.propagate
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    sktag_logger.addHandler(handler)
    sktag_logger.setLevel(level)
    sktag_logger.propagate = False
    try:
        yield
    finally:
        sktag_logger.removeHandler(handler)
        sktag_logger.setLevel(saved[0])
        sktag_logger.propagate = saved[1]


def _interrupted(args: argparse.Namespace) -> str:
    """What Ctrl-C leaves behind, for the one line ``main`` prints."""
    if args.command == "extract":
        return "interrupted; rerun the same command to resume (finished shards are kept)"
    if args.command == "train" and args.checkpoint_dir:
        return (
            f"interrupted; rerun the same command to resume from the last finished epoch (saved in "
            f"{args.checkpoint_dir})"
        )
    if args.command == "train":
        return "interrupted; nothing saved (with --checkpoint-dir every epoch is saved and a rerun resumes)"
    return "interrupted"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``sktag``; default: ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 done; 1 some files failed (each named on stderr, or in ``failures.csv``);
        2 a usage error or an error the user can act on (bad weights, a missing
        or unreadable input, an output folder of another run), printed as one
        line ``sktag <command>: error: <message>`` (with the traceback under
        ``--debug`` or ``-v``); 130 interrupted (Ctrl-C), with one line saying
        whether a rerun resumes.
    """
    args = build_parser().parse_args(argv)
    command = f"sktag {args.command}"
    level = logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING
    with _logging_to_stderr(level):
        try:
            return args.run(args)
        except KeyboardInterrupt:
            if args.debug:
                traceback.print_exc()
            print(f"{command}: {_interrupted(args)}", file=sys.stderr)
            return 130
        except (ValueError, OSError) as exc:  # WeightsError, AudioError, FileNotFoundError, a foreign output folder
            if args.debug or args.verbose:
                traceback.print_exc()
            print(f"{command}: error: {str(exc) or type(exc).__name__}", file=sys.stderr)
            return 2
