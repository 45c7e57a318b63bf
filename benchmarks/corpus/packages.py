"""The Debian packages the corpus is built from, and the ones it must never touch."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FIRST_BATCH",
    "PACKAGES",
    "RESERVED",
    "SECOND_BATCH",
    "Package",
    "ReservedPackageError",
    "check_allowed",
    "get_package",
]


@dataclass(frozen=True)
class Package:
    """One game's data package.

    Parameters
    ----------
    name : str
        The Debian package name (the ``game`` column of the tables).
    short : str
        Prefix of its track and clip ids, and the name of its audio folder.
    title : str
        The game's name (the ``album`` column when a file has no ALBUM tag).
    """

    name: str
    short: str
    title: str


#: The corpus's first 14 packages (issue 26's list, about 10 hours of music): what the shipped
#: issue-26 networks (``samplecnn-3x9-multiteacher``, ``-v2``) trained on, naev and SuperTuxKart left out.
FIRST_BATCH: tuple[Package, ...] = (
    Package("naev-data", "naev", "Naev"),
    Package("supertux-data", "supertux", "SuperTux"),
    Package("hedgewars-data", "hedgewars", "Hedgewars"),
    Package("supertuxkart-data", "supertuxkart", "SuperTuxKart"),
    Package("freedroidrpg-data", "freedroidrpg", "FreedroidRPG"),
    Package("flare-game", "flare", "Flare: Empyrean Campaign"),
    Package("megaglest-data", "megaglest", "MegaGlest"),
    Package("openclonk-data", "openclonk", "OpenClonk"),
    Package("redeclipse-data", "redeclipse", "Red Eclipse"),
    Package("enigma-data", "enigma", "Enigma"),
    Package("extremetuxracer-data", "etr", "Extreme Tux Racer"),
    Package("lincity-ng-data", "lincity", "LinCity-NG"),
    Package("scorched3d-data", "scorched3d", "Scorched 3D"),
    Package("lugaru-data", "lugaru", "Lugaru"),
)

#: 11 packages added in session 17 (about 6 hours of music found by searching Debian's game
#: packages for files under a ``music`` path), heard by none of the shipped networks.
SECOND_BATCH: tuple[Package, ...] = (
    Package("berusky2-data", "berusky2", "Berusky 2"),
    Package("colobot-common-sounds", "colobot", "Colobot: Gold Edition"),
    Package("marsshooter-data", "mars", "M.A.R.S."),
    Package("trackballs-data", "trackballs", "Trackballs"),
    Package("starfighter-data", "starfighter", "Project: Starfighter"),
    Package("warmux-data", "warmux", "Warmux"),
    Package("fillets-ng-data", "fillets", "Fish Fillets - Next Generation"),
    Package("davegnukem-data", "davegnukem", "Dave Gnukem"),
    Package("lordsawar-data", "lordsawar", "LordsAWar!"),
    Package("xmoto-data", "xmoto", "X-Moto"),
    Package("amoebax-data", "amoebax", "Amoebax"),
)

#: The packages of the corpus: 25 games, about 16 hours of music.
PACKAGES: tuple[Package, ...] = FIRST_BATCH + SECOND_BATCH

#: Kept for independent evaluation: never fetched, listed, trained, tuned, selected or measured here.
RESERVED: frozenset[str] = frozenset({"widelands-data", "ufoai-music", "hyperrogue-music"})


class ReservedPackageError(ValueError):
    """A package held out for independent evaluation was asked for."""


def check_allowed(name: str) -> str:
    """Refuse a package reserved for independent evaluation.

    The check compares the bare package name, so ``name=version`` and
    ``name:arch`` forms are refused too.

    Parameters
    ----------
    name : str
        A Debian package name.

    Returns
    -------
    name : str
        ``name`` unchanged, when it is allowed.

    Raises
    ------
    ReservedPackageError
        When ``name`` is one of :data:`RESERVED`.
    """
    bare = name.strip().lower().split("=", 1)[0].split(":", 1)[0].split("_", 1)[0]
    if bare in RESERVED:
        raise ReservedPackageError(
            f"{name!r} is reserved for independent evaluation: it must never be downloaded, "
            "listed, trained, tuned, selected or measured by the corpus builder"
        )
    return name


def get_package(name: str) -> Package:
    """The :class:`Package` of a corpus package name.

    Parameters
    ----------
    name : str

    Returns
    -------
    package : Package

    Raises
    ------
    ReservedPackageError
        For a reserved package.
    KeyError
        For a package that is not in :data:`PACKAGES`.
    """
    check_allowed(name)
    for package in PACKAGES:
        if package.name == name:
            return package
    raise KeyError(f"{name!r} is not a corpus package; known: {', '.join(p.name for p in PACKAGES)}")
