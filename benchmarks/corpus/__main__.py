"""Command line: ``python -m benchmarks.corpus build`` (run from the repository root).

::

    # once, by a maintainer: fetch, unpack, and write the committed md5 manifest
    python -m benchmarks.corpus build --write-manifest
    # everyone: fetch the manifest's versions, verify every file's md5, cut, split, write the tables
    python -m benchmarks.corpus build --cache ~/.cache/sktag-corpus --out ~/.cache/sktag-corpus/game_music2

Every stage is resumable: cached .deb files, unpacked packages and cut tracks are
reused; a rerun after an interruption continues where it stopped.
"""

from __future__ import annotations

import argparse
import csv
import logging
import time
from pathlib import Path

from .build import SUMMARY_COLUMNS, build_corpus, check_out_dir
from .credits import CreditTables
from .fetch import extract, extracted_version, fetch
from .inventory import SourceFile, find_music_files, probe, read_manifest, verify, write_manifest
from .packages import PACKAGES, Package, check_allowed, get_package

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_CACHE = Path("~/.cache/sktag-corpus")
STAGES = ("fetch", "extract", "verify", "all")

logger = logging.getLogger("benchmarks.corpus")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line.

    Parameters
    ----------
    argv : list of str, optional

    Returns
    -------
    args : argparse.Namespace
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="fetch, unpack, verify, cut and split the corpus")
    build.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="folder for .deb files and unpacked packages")
    build.add_argument("--out", type=Path, default=None, help="output folder (default: CACHE/game_music2)")
    build.add_argument(
        "--packages", default=None, help="comma-separated package names (default: all 14 corpus packages)"
    )
    build.add_argument("--manifest", type=Path, default=HERE / "manifest.csv")
    build.add_argument("--tables", type=Path, default=HERE, help="folder of composers.csv, aliases.csv, groups.csv")
    build.add_argument("--seed", type=int, default=20240611, help="seed of the train/valid/test split")
    build.add_argument("--until", choices=STAGES, default="all", help="stop after this stage")
    build.add_argument(
        "--write-manifest",
        action="store_true",
        help="write --manifest from the unpacked packages (maintainers), then stop",
    )
    build.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def selected_packages(spec: str | None) -> list[Package]:
    """The packages named on the command line (reserved ones refused), or all of them.

    Parameters
    ----------
    spec : str or None
        Comma-separated names.

    Returns
    -------
    packages : list of Package
    """
    if not spec:
        return list(PACKAGES)
    return [get_package(check_allowed(name.strip())) for name in spec.split(",") if name.strip()]


def prepare(package: Package, cache: Path, version: str | None) -> tuple[Path, str]:
    """Fetch and unpack one package (both resumable).

    Parameters
    ----------
    package : Package
    cache : Path
    version : str or None
        The version to fetch (the manifest's), or the candidate when ``None``.

    Returns
    -------
    folder : Path
    version : str
    """
    deb = fetch(cache / "debs", package.name, version)
    folder = extract(deb, cache / "extracted", package.name)
    return folder, extracted_version(folder)


def manifest_rows(sources: list[tuple[Package, Path, str]]) -> list[SourceFile]:
    """Probe every music file of the unpacked packages (for ``--write-manifest``).

    Parameters
    ----------
    sources : list of (Package, Path, str)

    Returns
    -------
    rows : list of SourceFile
    """
    rows = []
    for package, folder, version in sources:
        audio, trackers = find_music_files(folder)
        for name in trackers:
            logger.warning("%s: %s is a tracker module: skipped (needs a module renderer)", package.name, name)
        rows += [probe(folder, rel, package.name, version) for rel in audio]
    return rows


def markdown_table(rows: list[dict]) -> str:
    """A Markdown table of summary rows.

    Parameters
    ----------
    rows : list of dict

    Returns
    -------
    table : str
    """
    lines = ["| " + " | ".join(SUMMARY_COLUMNS) + " |", "|" + "---|" * len(SUMMARY_COLUMNS)]
    lines += ["| " + " | ".join(str(r[c]) for c in SUMMARY_COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the builder."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s")
    started = time.perf_counter()
    cache = args.cache.expanduser()
    out = check_out_dir(args.out or cache / "game_music2", [ROOT, ROOT.parent / "shared"])
    packages = selected_packages(args.packages)
    pinned = (
        {}
        if args.write_manifest or not args.manifest.is_file()
        else {r.package: r.version for r in read_manifest(args.manifest)}
    )
    if args.until == "fetch":
        for p in packages:
            fetch(cache / "debs", p.name, pinned.get(p.name))
        return
    sources = [(p, *prepare(p, cache, pinned.get(p.name))) for p in packages]
    if args.write_manifest:  # rows of packages not rebuilt now are kept
        chosen = {p.name for p in packages}
        kept = [r for r in read_manifest(args.manifest) if r.package not in chosen] if args.manifest.is_file() else []
        write_manifest(kept + manifest_rows(sources), args.manifest)
        logger.info("manifest written: %s", args.manifest)
        return
    if args.until == "extract":
        return
    manifest = read_manifest(args.manifest)
    if args.until == "verify":
        for package, folder, version in sources:
            verify(folder, package.name, version, manifest)
        logger.info("verified %d packages against %s", len(sources), args.manifest)
        return
    build_corpus(sources, manifest, CreditTables.load(args.tables), out, seed=args.seed)
    with open(out / "summary.csv", newline="") as f:
        print(markdown_table(list(csv.DictReader(f))))
    print(f"\ncorpus in {out}; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
