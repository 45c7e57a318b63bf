"""Stages 3 and 4: find a package's music files, and check them against the committed md5 manifest.

The manifest (``benchmarks/corpus/manifest.csv``) lists every source file the
corpus is cut from: package, version, path inside the package, md5, duration,
sample rate and channels. ``--write-manifest`` writes it from what is unpacked;
every later build refuses a file whose md5 differs from it, a file it lacks, and
a music file it does not list.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import soundfile

from .packages import check_allowed

__all__ = [
    "AUDIO_EXTENSIONS",
    "TRACKER_EXTENSIONS",
    "ManifestError",
    "SourceFile",
    "find_music_files",
    "md5sum",
    "probe",
    "read_manifest",
    "verify",
    "write_manifest",
]

#: Formats decoded (libsndfile: Vorbis, Opus, FLAC, WAV, MP3).
AUDIO_EXTENSIONS = (".ogg", ".oga", ".opus", ".flac", ".wav", ".mp3")
#: Tracker modules: they need a module renderer, so they are listed as skipped, not cut.
TRACKER_EXTENSIONS = (".mod", ".xm", ".it", ".s3m")


class ManifestError(ValueError):
    """A source file disagrees with the committed manifest (md5, presence or version)."""


@dataclass(frozen=True)
class SourceFile:
    """One row of the manifest: a music file inside a package.

    Parameters
    ----------
    package : str
        Debian package name.
    version : str
        Package version the file came from.
    source_file : str
        Path inside the unpacked package (``usr/share/...``), with ``/`` separators.
    md5 : str
        Hex md5 of the file's bytes.
    duration_s : float
        Decoded duration in seconds (libsndfile's frame count / rate), 3 decimals.
    sample_rate : int
    channels : int
    """

    package: str
    version: str
    source_file: str
    md5: str
    duration_s: float
    sample_rate: int
    channels: int


def _has_music_path(rel: str) -> bool:
    return "music" in rel.lower()


def find_music_files(folder: Path) -> tuple[list[str], list[str]]:
    """The audio files, and the skipped tracker modules, under a package folder's ``music`` paths.

    Parameters
    ----------
    folder : Path
        An unpacked package (what :func:`benchmarks.corpus.fetch.extract` made).

    Returns
    -------
    audio : list of str
        Paths relative to ``folder`` (``/`` separators), sorted, whose path
        contains ``music`` (any case) and whose extension is in :data:`AUDIO_EXTENSIONS`.
    trackers : list of str
        Likewise for :data:`TRACKER_EXTENSIONS`: not decodable here, so skipped.
    """
    audio, trackers = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if not _has_music_path(rel):
            continue
        suffix = path.suffix.lower()
        if suffix in AUDIO_EXTENSIONS:
            audio.append(rel)
        elif suffix in TRACKER_EXTENSIONS:
            trackers.append(rel)
    return audio, trackers


def md5sum(path: Path, chunk: int = 1 << 20) -> str:
    """Hex md5 of a file, read in chunks.

    Parameters
    ----------
    path : Path
    chunk : int, default=1 MiB

    Returns
    -------
    md5 : str
    """
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def probe(folder: Path, rel: str, package: str, version: str) -> SourceFile:
    """The manifest row of one file: md5, duration, rate and channels.

    Parameters
    ----------
    folder : Path
        The unpacked package.
    rel : str
        Path of the file inside it.
    package, version : str

    Returns
    -------
    row : SourceFile
    """
    path = folder / rel
    info = soundfile.info(str(path))
    return SourceFile(
        package=package,
        version=version,
        source_file=rel,
        md5=md5sum(path),
        duration_s=round(info.frames / info.samplerate, 3),
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
    )


def write_manifest(rows: Iterable[SourceFile], path: Path) -> None:
    """Write manifest rows as CSV, sorted by package and path.

    Parameters
    ----------
    rows : iterable of SourceFile
    path : Path
    """
    rows = sorted(rows, key=lambda r: (r.package, r.source_file))
    for row in rows:
        check_allowed(row.package)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[fl.name for fl in fields(SourceFile)], lineterminator="\n")
        writer.writeheader()
        writer.writerows(asdict(row) for row in rows)


def read_manifest(path: Path) -> list[SourceFile]:
    """Read a manifest CSV.

    Parameters
    ----------
    path : Path

    Returns
    -------
    rows : list of SourceFile

    Raises
    ------
    ReservedPackageError
        If the manifest names a reserved package.
    """
    with open(path, newline="") as f:
        rows = [
            SourceFile(
                package=check_allowed(r["package"]),
                version=r["version"],
                source_file=r["source_file"],
                md5=r["md5"],
                duration_s=float(r["duration_s"]),
                sample_rate=int(r["sample_rate"]),
                channels=int(r["channels"]),
            )
            for r in csv.DictReader(f)
        ]
    return rows


def verify(folder: Path, package: str, version: str, manifest: list[SourceFile]) -> list[SourceFile]:
    """Check an unpacked package against the manifest before anything is cut from it.

    Parameters
    ----------
    folder : Path
        The unpacked package.
    package : str
    version : str
        The version that was unpacked.
    manifest : list of SourceFile
        All manifest rows (other packages' rows are ignored).

    Returns
    -------
    rows : list of SourceFile
        The package's manifest rows, in manifest order.

    Raises
    ------
    ManifestError
        The manifest has no row for the package, lists another version, lists a
        file that is missing, or gives another md5 (the error names the file);
        or a music file is present that the manifest does not list.
    """
    rows = [r for r in manifest if r.package == package]
    if not rows:
        raise ManifestError(f"{package}: not in the manifest; run with --write-manifest to add it")
    versions = {r.version for r in rows}
    if versions != {version}:
        raise ManifestError(f"{package}: unpacked version {version} but the manifest lists {sorted(versions)}")
    listed = {r.source_file for r in rows}
    found, _ = find_music_files(folder)
    extra = sorted(set(found) - listed)
    if extra:
        raise ManifestError(f"{package}: music files not in the manifest: {', '.join(extra)}")
    for row in rows:
        path = folder / row.source_file
        if not path.is_file():
            raise ManifestError(f"{package}: {row.source_file} is in the manifest but missing")
        md5 = md5sum(path)
        if md5 != row.md5:
            raise ManifestError(
                f"{package}: {row.source_file} has md5 {md5}, the manifest says {row.md5}: refusing to use it"
            )
    return rows
