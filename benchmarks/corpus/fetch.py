"""Stages 1 and 2: download a package's .deb with apt-get and unpack the parts the corpus needs.

Both stages are resumable: a .deb already in the cache is not downloaded again,
and a package already unpacked (from the same .deb version) is not unpacked again.
Only files whose path contains ``music`` (any case) and the package's
``usr/share/doc/<package>/copyright`` are unpacked.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from .packages import check_allowed

__all__ = ["deb_version", "extract", "extracted_version", "fetch", "find_deb", "is_wanted_member"]

logger = logging.getLogger("benchmarks.corpus")

#: Written into an unpacked package folder last; holds the version it was unpacked from.
DONE_MARK = ".extracted-version"


def deb_version(deb: Path) -> str:
    """The ``Version`` field of a .deb.

    Parameters
    ----------
    deb : Path

    Returns
    -------
    version : str
    """
    out = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def find_deb(debs: Path, name: str, version: str | None = None) -> Path | None:
    """The cached .deb of a package (of ``version`` if given), or ``None``.

    Parameters
    ----------
    debs : Path
        The folder ``apt-get download`` writes into.
    name : str
        Package name.
    version : str, optional
        Wanted version; any cached version when ``None`` (the newest name sorts last).

    Returns
    -------
    deb : Path or None
    """
    check_allowed(name)
    found = sorted(debs.glob(f"{name}_*.deb"))
    if version is not None:
        found = [deb for deb in found if deb_version(deb) == version]
    return found[-1] if found else None


def fetch(debs: Path, name: str, version: str | None = None) -> Path:
    """Download a package's .deb into ``debs`` with ``apt-get download`` unless it is cached.

    Parameters
    ----------
    debs : Path
        Cache folder for .deb files (created if missing).
    name : str
        Package name; reserved packages are refused before anything is run.
    version : str, optional
        Exact version to fetch (``apt-get download name=version``), e.g. the
        manifest's; the candidate version when ``None``.

    Returns
    -------
    deb : Path
        The downloaded (or cached) file.
    """
    check_allowed(name)
    cached = find_deb(debs, name, version)
    if cached is not None:
        logger.info("fetch: %s cached (%s)", name, cached.name)
        return cached
    debs.mkdir(parents=True, exist_ok=True)
    spec = name if version is None else f"{name}={version}"
    logger.info("fetch: apt-get download %s", spec)
    subprocess.run(["apt-get", "download", "-q", spec], check=True, cwd=debs)
    deb = find_deb(debs, name, version)
    if deb is None:
        raise FileNotFoundError(f"apt-get download {spec} left no {name}_*.deb in {debs}")
    return deb


def is_wanted_member(path: str, name: str) -> bool:
    """Whether a path inside a .deb is unpacked: a ``music`` path or the package's copyright file.

    Parameters
    ----------
    path : str
        Member name as the data tarball gives it (``./usr/share/...``).
    name : str
        Package name.

    Returns
    -------
    wanted : bool
    """
    rel = path.removeprefix("./").lstrip("/")
    return "music" in rel.lower() or rel == f"usr/share/doc/{name}/copyright"


def extracted_version(folder: Path) -> str | None:
    """The version an unpacked package folder was made from, or ``None`` if it is incomplete.

    Parameters
    ----------
    folder : Path

    Returns
    -------
    version : str or None
    """
    mark = folder / DONE_MARK
    return mark.read_text().strip() if mark.is_file() else None


def extract(deb: Path, root: Path, name: str) -> Path:
    """Unpack the music files and copyright file of a .deb into ``root/name``.

    Streams ``dpkg-deb --fsys-tarfile`` through :mod:`tarfile` with the ``data``
    extraction filter (no absolute paths, no links out of the folder). The
    folder is written under a temporary name and renamed when complete.

    Parameters
    ----------
    deb : Path
    root : Path
        Folder holding one unpacked folder per package.
    name : str
        Package name.

    Returns
    -------
    folder : Path
        ``root / name``.
    """
    check_allowed(name)
    version = deb_version(deb)
    folder = root / name
    if extracted_version(folder) == version:
        logger.info("extract: %s %s already unpacked", name, version)
        return folder
    partial = root / f"{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    _unpack_members(deb, partial, name)
    (partial / DONE_MARK).write_text(version + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)
    logger.info("extract: %s %s unpacked into %s", name, version, folder)
    return folder


def _unpack_members(deb: Path, dest: Path, name: str) -> None:
    """Stream the data tarball of ``deb`` and unpack the wanted regular files and symlinks."""
    command = ["dpkg-deb", "--fsys-tarfile", str(deb)]
    with subprocess.Popen(command, stdout=subprocess.PIPE) as proc, tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        for member in tar:
            if (member.isfile() or member.issym()) and is_wanted_member(member.name, name):
                tar.extract(member, dest, filter="data")
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, command)
