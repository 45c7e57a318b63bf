"""Put the stages together: verified sources -> tracks with credits -> clips -> splits -> tables.

The output folder mirrors shared ``game_music``::

    audio/<short>/<clip_id>.mp3
    clips.csv, tracks.csv     (shared's columns, in shared's order)
    summary.csv               (per package: version, tracks, clips, hours, composers, unknown)
    skipped.csv               (files left out, and why)
    LICENSES/<package>.copyright
    .work/<track_id>.json     (one record per cut track: what makes the cut stage resumable)
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .clips import CLIP_SECONDS, SAMPLE_RATE, Segment, TrackCut, cut_track
from .credits import UNKNOWN, CreditTables, match_row, read_tags, resolve_credit, split_group
from .inventory import SourceFile, find_music_files, verify
from .packages import Package, check_allowed
from .split import Group, assign_splits

__all__ = [
    "CLIP_COLUMNS",
    "SUMMARY_COLUMNS",
    "TRACK_COLUMNS",
    "Track",
    "build_corpus",
    "check_out_dir",
    "cut_all",
    "make_tracks",
    "summarise",
]

logger = logging.getLogger("benchmarks.corpus")

TRACK_COLUMNS = [
    "track_id",
    "game",
    "album",
    "title",
    "artist",
    "artist_source",
    "license",
    "source_file",
    "md5",
    "duration_s",
    "orig_sr",
    "orig_channels",
    "n_possible_clips",
    "n_clips",
    "n_silent_skipped",
    "split_group",
    "split",
]
CLIP_COLUMNS = [
    "clip_id",
    "path",
    "game",
    "album",
    "title",
    "artist",
    "artist_source",
    "license",
    "track_id",
    "start_s",
    "duration_s",
    "sample_rate",
    "rms",
    "split",
]
SUMMARY_COLUMNS = [
    "game",
    "version",
    "tracks",
    "tracks_with_clips",
    "clips",
    "clip_hours",
    "source_hours",
    "composers",
    "unknown_tracks",
    "unknown_clips",
    "skipped_files",
]


@dataclass
class Track:
    """One source track: its tracks.csv row, and the segments cut from it.

    Parameters
    ----------
    package : Package
    source : SourceFile
        Its manifest row.
    path : Path
        The file on disk.
    track_id, album, title, artist, artist_source, license, split_group : str
    split : str
        Filled in by the split stage.
    cut : TrackCut, optional
        Filled in by the cut stage.
    """

    package: Package
    source: SourceFile
    path: Path
    track_id: str
    album: str
    title: str
    artist: str
    artist_source: str
    license: str
    split_group: str
    split: str = ""
    cut: TrackCut | None = field(default=None, repr=False)

    def clip_id(self, index: int) -> str:
        """The id of the clip at grid position ``index`` (``naev_t003_c07``)."""
        return f"{self.track_id}_c{index:02d}"

    def clip_path(self, index: int) -> str:
        """The clip's path relative to the output folder."""
        return f"audio/{self.package.short}/{self.clip_id(index)}.mp3"


def check_out_dir(out: Path, forbidden: Iterable[Path]) -> Path:
    """Refuse an output folder inside the repository or the read-only shared data.

    Parameters
    ----------
    out : Path
    forbidden : iterable of Path
        Folders the corpus must not be written into.

    Returns
    -------
    out : Path
        Resolved.
    """
    out = out.expanduser().resolve()
    for folder in forbidden:
        folder = folder.resolve()
        if out == folder or folder in out.parents:
            raise ValueError(
                f"output folder {out} is inside {folder}: write the corpus outside the repository and outside ../shared"
            )
    return out


def make_tracks(
    package: Package, folder: Path, rows: list[SourceFile], tables: CreditTables, seen_md5: set[str]
) -> tuple[list[Track], list[str]]:
    """One :class:`Track` per verified source file, with its credit and split group.

    Byte-identical copies (an md5 already in ``seen_md5``, from this or an
    earlier package) are skipped.

    Parameters
    ----------
    package : Package
    folder : Path
        The unpacked package.
    rows : list of SourceFile
        Its verified manifest rows.
    tables : CreditTables
    seen_md5 : set of str
        md5s of the tracks made so far; updated.

    Returns
    -------
    tracks : list of Track
    skipped : list of str
        ``"<file> (why)"`` for each file left out.
    """
    check_allowed(package.name)
    tracks, skipped = [], []
    for row in sorted(rows, key=lambda r: r.source_file):
        if row.md5 in seen_md5:
            skipped.append(f"{row.source_file} (byte-identical copy of an earlier file)")
            continue
        seen_md5.add(row.md5)
        path = folder / row.source_file
        tags = read_tags(path)
        credit = resolve_credit(
            tags, match_row(tables.rows, package.name, row.source_file), tables.aliases, row.source_file
        )
        track_id = f"{package.short}_t{len(tracks):03d}"
        group = split_group(tables.groups, package.name, row.source_file)
        tracks.append(
            Track(
                package=package,
                source=row,
                path=path,
                track_id=track_id,
                album=tags.get("album", package.title),
                title=tags.get("title", Path(row.source_file).stem),
                artist=credit.artist,
                artist_source=credit.artist_source,
                license=credit.license,
                split_group=group or track_id,
            )
        )
    return tracks, skipped


def _work_record(out: Path, track: Track) -> Path:
    return out / ".work" / f"{track.track_id}.json"


def _load_cut(out: Path, track: Track) -> TrackCut | None:
    """The cut recorded for ``track`` if it is complete and from the same source bytes."""
    record = _work_record(out, track)
    if not record.is_file():
        return None
    data = json.loads(record.read_text())
    if data.get("md5") != track.source.md5:
        return None
    segments = [Segment(int(i), float(rms)) for i, rms in data["segments"]]
    if not all((out / track.clip_path(s.index)).is_file() for s in segments):
        return None
    return TrackCut(data["n_samples"], data["n_possible"], data["n_silent"], segments)


def _save_cut(out: Path, track: Track, cut: TrackCut) -> None:
    record = _work_record(out, track)
    record.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "md5": track.source.md5,
        "n_samples": cut.n_samples,
        "n_possible": cut.n_possible,
        "n_silent": cut.n_silent,
        "segments": [[s.index, s.rms] for s in cut.segments],
    }
    tmp = record.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(record)


def cut_all(tracks: list[Track], out: Path) -> None:
    """Cut every track's clips into ``out``, skipping tracks already cut (resumable).

    Parameters
    ----------
    tracks : list of Track
        Updated in place (``cut``).
    out : Path
    """
    for k, track in enumerate(tracks, 1):
        cut = _load_cut(out, track)
        if cut is None:
            cut = cut_track(track.path, lambda i, t=track: out / t.clip_path(i))
            _save_cut(out, track, cut)
            logger.info(
                "cut %d/%d %s: %s -> %d clips",
                k,
                len(tracks),
                track.track_id,
                track.source.source_file,
                len(cut.segments),
            )
        track.cut = cut


def _assign(tracks: list[Track], seed: int) -> None:
    """Fill in each track's split: by split group, stratified by composer (``unknown`` by game)."""
    members: dict[str, list[Track]] = {}
    for t in tracks:
        members.setdefault(t.split_group, []).append(t)
    groups = []
    for name, ts in members.items():
        first = min(ts, key=lambda t: t.track_id)
        stratum = first.artist if first.artist != UNKNOWN else f"{UNKNOWN}:{first.package.name}"
        groups.append(Group(name, stratum, sum(len(t.cut.segments) for t in ts)))
    splits = assign_splits(groups, seed)
    for t in tracks:
        t.split = splits[t.split_group]


def _track_row(t: Track) -> dict:
    return {
        "track_id": t.track_id,
        "game": t.package.name,
        "album": t.album,
        "title": t.title,
        "artist": t.artist,
        "artist_source": t.artist_source,
        "license": t.license,
        "source_file": f"{t.package.name}/{t.source.source_file}",
        "md5": t.source.md5,
        "duration_s": t.source.duration_s,
        "orig_sr": t.source.sample_rate,
        "orig_channels": t.source.channels,
        "n_possible_clips": t.cut.n_possible,
        "n_clips": len(t.cut.segments),
        "n_silent_skipped": t.cut.n_silent,
        "split_group": t.split_group,
        "split": t.split,
    }


def _clip_rows(t: Track) -> list[dict]:
    return [
        {
            "clip_id": t.clip_id(s.index),
            "path": t.clip_path(s.index),
            "game": t.package.name,
            "album": t.album,
            "title": t.title,
            "artist": t.artist,
            "artist_source": t.artist_source,
            "license": t.license,
            "track_id": t.track_id,
            "start_s": s.start_s,
            "duration_s": CLIP_SECONDS,
            "sample_rate": SAMPLE_RATE,
            "rms": round(s.rms, 5),
            "split": t.split,
        }
        for s in t.cut.segments
    ]


def _write_csv(path: Path, columns: list[str], rows: Iterable[dict]) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def summarise(tracks: list[Track], versions: dict[str, str], skipped: dict[str, list[str]]) -> list[dict]:
    """Per-package counts for ``summary.csv`` and the report, plus a ``total`` row.

    Parameters
    ----------
    tracks : list of Track
        Cut tracks.
    versions : dict
        Package -> version.
    skipped : dict
        Package -> skipped files.

    Returns
    -------
    rows : list of dict
        With :data:`SUMMARY_COLUMNS`.
    """

    def row(name: str, ts: list[Track], version: str, n_skipped: int) -> dict:
        clips = [len(t.cut.segments) for t in ts]
        return {
            "game": name,
            "version": version,
            "tracks": len(ts),
            "tracks_with_clips": sum(c > 0 for c in clips),
            "clips": sum(clips),
            "clip_hours": round(sum(clips) * CLIP_SECONDS / 3600, 2),
            "source_hours": round(sum(t.source.duration_s for t in ts) / 3600, 2),
            "composers": len({t.artist for t in ts if t.artist != UNKNOWN}),
            "unknown_tracks": sum(t.artist == UNKNOWN for t in ts),
            "unknown_clips": sum(c for t, c in zip(ts, clips) if t.artist == UNKNOWN),
            "skipped_files": n_skipped,
        }

    rows = [
        row(name, [t for t in tracks if t.package.name == name], version, len(skipped.get(name, [])))
        for name, version in versions.items()
    ]
    rows.append(row("total", tracks, "", sum(len(v) for v in skipped.values())))
    return rows


def build_corpus(
    sources: list[tuple[Package, Path, str]],
    manifest: list[SourceFile],
    tables: CreditTables,
    out: Path,
    seed: int = 20240611,
    licence_files: bool = True,
) -> list[Track]:
    """Verify, credit, cut, split and write the corpus tables.

    Parameters
    ----------
    sources : list of (Package, Path, str)
        Each package with its unpacked folder and version.
    manifest : list of SourceFile
        The committed manifest; every package is verified against it first.
    tables : CreditTables
    out : Path
        Output folder (created).
    seed : int, default=20240611
        Seed of the split.
    licence_files : bool, default=True
        Copy each package's ``copyright`` file to ``out/LICENSES``.

    Returns
    -------
    tracks : list of Track
    """
    out.mkdir(parents=True, exist_ok=True)
    verified = [
        (package, folder, verify(folder, package.name, version, manifest)) for package, folder, version in sources
    ]
    tracks, skipped, seen = [], {}, set()
    for package, folder, rows in verified:
        made, skipped[package.name] = make_tracks(package, folder, rows, tables, seen)
        skipped[package.name] += [f"{t} (tracker module: needs a module renderer)" for t in find_music_files(folder)[1]]
        tracks += made
    cut_all(tracks, out)
    _assign(tracks, seed)
    _write_csv(out / "tracks.csv", TRACK_COLUMNS, (_track_row(t) for t in tracks))
    _write_csv(out / "clips.csv", CLIP_COLUMNS, (r for t in tracks for r in _clip_rows(t)))
    versions = {package.name: version for package, _, version in sources}
    _write_csv(out / "summary.csv", SUMMARY_COLUMNS, summarise(tracks, versions, skipped))
    _write_csv(out / "skipped.csv", ["game", "file"], ({"game": g, "file": f} for g, fs in skipped.items() for f in fs))
    if licence_files:
        _copy_licences(sources, out / "LICENSES")
    return tracks


def _copy_licences(sources: list[tuple[Package, Path, str]], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for package, folder, _ in sources:
        copyright_file = folder / "usr" / "share" / "doc" / package.name / "copyright"
        if copyright_file.is_file():
            shutil.copyfile(copyright_file, dest / f"{package.name}.copyright")
