"""Renamed parameters and attributes: the FutureWarnings that name the new spelling (user guide, "Names").

Standard library only. As in scikit-learn, an old spelling keeps working for two releases: renamed in
:data:`RENAMED_IN`, removed in :data:`REMOVED_IN`. Parameters are stored as given in ``__init__``; the warning
comes from ``fit`` (or the method that takes the old keyword), where the value is used.
"""

from __future__ import annotations

import warnings

__all__ = [
    "DEPRECATED",
    "REMOVED_IN",
    "RENAMED_IN",
    "DeprecatedAttribute",
    "renamed_message",
    "renamed_state",
    "warn_renamed",
]

#: The release that renamed them, and the release that drops the old spellings.
RENAMED_IN = "0.1"
REMOVED_IN = "0.3"
#: Default of a renamed ``__init__`` parameter: "not given" (scikit-learn's spelling of the same sentinel).
DEPRECATED = "deprecated"


def renamed_message(old: str, new: str) -> str:
    """What the warning about ``old`` says: since when, until when, and what to write instead."""
    return f"{old} is deprecated since sktag {RENAMED_IN} and will be removed in {REMOVED_IN}: use {new}"


def warn_renamed(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn (FutureWarning) that ``old`` is deprecated in favour of ``new`` (both as the user writes them)."""
    warnings.warn(renamed_message(old, new), FutureWarning, stacklevel=stacklevel)


class DeprecatedAttribute:
    """A fitted attribute's old name: reads the new one, with a FutureWarning that names it.

    Unfitted, it raises the new attribute's ``AttributeError`` and warns nothing, so ``hasattr`` stays quiet.
    """

    def __init__(self, new: str):
        self.new = new
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = getattr(instance, self.new)
        warn_renamed(f"{type(instance).__name__}.{self.name}", self.new)
        return value


def renamed_state(state: dict, renames: dict[str, str]) -> dict:
    """The pickled ``state`` of an estimator fitted before the renames, with its attributes under their new names."""
    state = dict(state)
    for old, new in renames.items():
        if old in state and new not in state:
            state[new] = state.pop(old)
    return state
