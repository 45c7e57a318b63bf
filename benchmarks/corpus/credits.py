"""Who composed each track, under which licence, and which tracks are versions of one piece.

Three committed tables, written by reading each package's ``copyright`` file and
the credits files it ships (see the corpus README):

``composers.csv``
    ``package, pattern, composer, source, license, overrides_tag, note``. A
    track takes the first row of its package whose ``pattern`` (``fnmatch``,
    matched against the path inside the package) matches it. ``composer`` is
    empty where the package credits nobody for those files. ``source`` says
    where the credit is written: ``copyright-file`` (a ``Files:`` stanza of
    ``debian/copyright``) or ``credits-file`` (a credits file in the package,
    named in ``note``). ``overrides_tag`` is ``yes`` only where a file's tag is
    known to name someone else (the modder who packed it, say).
``aliases.csv``
    ``name, composer, note``: spellings of one person mapped to one name.
``groups.csv``
    ``package, pattern, group, note``: derived versions of one piece (a "fast"
    remix, a re-arrangement), and one recording shipped by two games, kept in
    one split. Group names are corpus-wide, so rows of two packages can share one.

Tags come first: a track's composer is its COMPOSER or ARTIST tag where it has
one, else the table's credit, else ``unknown``.
"""

from __future__ import annotations

import csv
import fnmatch
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import soundfile

__all__ = [
    "UNKNOWN",
    "Credit",
    "CreditRow",
    "CreditTables",
    "match_row",
    "normalise_name",
    "read_aliases",
    "read_credit_table",
    "read_groups",
    "read_tags",
    "resolve_credit",
    "split_group",
]

logger = logging.getLogger("benchmarks.corpus")

#: The composer of a track nobody is credited for.
UNKNOWN = "unknown"

_JOINT = re.compile(r"\s+(?:&|and)\s+")


@dataclass(frozen=True)
class CreditRow:
    """One row of ``composers.csv``.

    Parameters
    ----------
    package, pattern, composer, source, license, note : str
    overrides_tag : bool
    """

    package: str
    pattern: str
    composer: str
    source: str
    license: str
    overrides_tag: bool
    note: str


@dataclass(frozen=True)
class Credit:
    """A track's resolved credit.

    Parameters
    ----------
    artist : str
        Normalised composer, or ``"unknown"``.
    artist_source : str
        ``tag``, the table's source (``copyright-file``, ``credits-file``),
        ``tag+<source>`` when both name the same person, or ``unknown``.
    license : str
        The licence the table gives for the file.
    """

    artist: str
    artist_source: str
    license: str


def read_tags(path: Path) -> dict[str, str]:
    """The ARTIST, COMPOSER, TITLE and ALBUM tags of an audio file.

    Uses mutagen when installed (Vorbis comments, ID3, FLAC), else libsndfile's
    string fields (which have no COMPOSER). Missing or blank tags are left out.

    Parameters
    ----------
    path : Path

    Returns
    -------
    tags : dict
        Keys among ``artist``, ``composer``, ``title``, ``album``; values stripped.
    """
    try:
        import mutagen
    except ImportError:
        raw = _soundfile_tags(path)
    else:
        audio = mutagen.File(str(path), easy=True)
        raw = {k.lower(): v for k, v in (audio.tags or {}).items()} if audio is not None else {}
    tags = {}
    for key in ("artist", "composer", "title", "album"):
        value = raw.get(key)
        if isinstance(value, list):
            value = " / ".join(str(v) for v in value if str(v).strip())
        value = " ".join(str(value or "").split())
        if value:
            tags[key] = value
    return tags


def _soundfile_tags(path: Path) -> dict[str, str]:
    with soundfile.SoundFile(str(path)) as f:
        return dict(f.copy_metadata())


def read_aliases(path: Path) -> dict[str, str]:
    """``aliases.csv`` as a mapping from a spelling to the normalised name.

    Parameters
    ----------
    path : Path

    Returns
    -------
    aliases : dict
    """
    with open(path, newline="") as f:
        return {r["name"]: r["composer"] for r in csv.DictReader(f)}


def read_credit_table(path: Path) -> list[CreditRow]:
    """``composers.csv`` in file order (the first matching row wins).

    Parameters
    ----------
    path : Path

    Returns
    -------
    rows : list of CreditRow
    """
    with open(path, newline="") as f:
        return [
            CreditRow(
                package=r["package"],
                pattern=r["pattern"],
                composer=r["composer"].strip(),
                source=r["source"].strip(),
                license=r["license"].strip(),
                overrides_tag=r["overrides_tag"].strip().lower() == "yes",
                note=r.get("note", ""),
            )
            for r in csv.DictReader(f)
        ]


def read_groups(path: Path) -> list[tuple[str, str, str]]:
    """``groups.csv`` as ``(package, pattern, group)`` in file order.

    Parameters
    ----------
    path : Path

    Returns
    -------
    groups : list of tuple
    """
    with open(path, newline="") as f:
        return [(r["package"], r["pattern"], r["group"]) for r in csv.DictReader(f)]


def normalise_name(raw: str, aliases: dict[str, str]) -> str:
    """One spelling per person; joint credits as sorted names joined by ``" & "``.

    Parameters
    ----------
    raw : str
        A name from a tag or the table (``"Max Freeman & Chris Leutwyler"``).
    aliases : dict
        From :func:`read_aliases`.

    Returns
    -------
    name : str
        Empty when ``raw`` is blank.
    """
    name = " ".join(raw.split())
    if not name:
        return ""
    if name in aliases:
        return aliases[name]
    parts = _JOINT.split(name)
    if len(parts) == 1:
        return name
    return " & ".join(sorted({aliases.get(p, p) for p in parts}))


def match_row(rows: list[CreditRow], package: str, source_file: str) -> CreditRow:
    """The first table row of ``package`` whose pattern matches ``source_file``.

    Parameters
    ----------
    rows : list of CreditRow
    package : str
    source_file : str
        Path inside the package.

    Returns
    -------
    row : CreditRow

    Raises
    ------
    KeyError
        When no row matches: every package needs a catch-all ``*`` row that gives its licence.
    """
    for row in rows:
        if row.package == package and fnmatch.fnmatchcase(source_file, row.pattern):
            return row
    raise KeyError(f"composers table has no row for {package}: {source_file} (add a '*' row for the package)")


def resolve_credit(tags: dict[str, str], row: CreditRow, aliases: dict[str, str], source_file: str = "") -> Credit:
    """Combine a track's tags with its table row.

    Parameters
    ----------
    tags : dict
        From :func:`read_tags`.
    row : CreditRow
        From :func:`match_row`.
    aliases : dict
    source_file : str, optional
        The file, for the warning logged when the tag and the table disagree.

    Returns
    -------
    credit : Credit
    """
    tagged = normalise_name(tags.get("composer") or tags.get("artist") or "", aliases)
    listed = normalise_name(row.composer, aliases)
    if listed and (row.overrides_tag or not tagged):
        return Credit(listed, row.source, row.license)
    if tagged and listed:
        if tagged == listed:
            return Credit(tagged, f"tag+{row.source}", row.license)
        logger.warning(
            "credits: %s: tag says %r, %s says %r; the tag is used",
            source_file or row.pattern,
            tagged,
            row.source,
            listed,
        )
    if tagged:
        return Credit(tagged, "tag", row.license)
    return Credit(UNKNOWN, "unknown", row.license)


def split_group(groups: list[tuple[str, str, str]], package: str, source_file: str) -> str | None:
    """The group of derived versions a file belongs to, or ``None``.

    Parameters
    ----------
    groups : list of tuple
        From :func:`read_groups`.
    package, source_file : str

    Returns
    -------
    group : str or None
    """
    for pkg, pattern, group in groups:
        if pkg == package and fnmatch.fnmatchcase(source_file, pattern):
            return group
    return None


@dataclass(frozen=True)
class CreditTables:
    """The three committed tables, loaded together.

    Parameters
    ----------
    rows : list of CreditRow
    aliases : dict
    groups : list of tuple
    """

    rows: list[CreditRow]
    aliases: dict[str, str]
    groups: list[tuple[str, str, str]]

    @classmethod
    def load(cls, folder: Path) -> CreditTables:
        """Read ``composers.csv``, ``aliases.csv`` and ``groups.csv`` from ``folder``.

        Parameters
        ----------
        folder : Path

        Returns
        -------
        tables : CreditTables
        """
        return cls(
            read_credit_table(folder / "composers.csv"),
            read_aliases(folder / "aliases.csv"),
            read_groups(folder / "groups.csv"),
        )
