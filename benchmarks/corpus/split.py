"""Stage 6: train/valid/test by track group, stratified by composer, with a fixed seed.

Every track of a split group (a piece and its derived versions) goes to one
split, so no piece is in two. Within each stratum (a composer; ``unknown``
tracks are stratified by game) the groups are shuffled with a seed derived from
the stratum's name, so adding a composer does not reshuffle the others. Then,
as for shared ``game_music``: with 3 or more groups the first goes to test, the
second to valid, the third to train; with 2 groups, one to test and one to
train; a single group goes to train; the remaining groups go, one by one, to
the split furthest below its 70/15/15 share of the stratum's clips. Groups
without clips get no split (an empty string).
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

__all__ = ["FRACTIONS", "SPLITS", "Group", "assign_splits", "assign_stratum", "stratum_seed"]

SPLITS = ("train", "valid", "test")
FRACTIONS = {"train": 0.70, "valid": 0.15, "test": 0.15}


@dataclass(frozen=True)
class Group:
    """A split group: a piece and its derived versions.

    Parameters
    ----------
    name : str
        The ``split_group`` value.
    stratum : str
        What it is stratified by (its composer, or ``unknown:<game>``).
    n_clips : int
        Clips of all its tracks.
    """

    name: str
    stratum: str
    n_clips: int


def stratum_seed(seed: int, stratum: str) -> int:
    """A seed for one stratum: ``seed`` mixed with the CRC-32 of its name.

    Parameters
    ----------
    seed : int
    stratum : str

    Returns
    -------
    seed : int
    """
    return (seed * 1_000_003 + zlib.crc32(stratum.encode("utf-8"))) % 2**32


def _neediest_split(counts: dict[str, int], total: int) -> str:
    """The split furthest below its share of ``total`` clips (ties in SPLITS order)."""
    return max(SPLITS, key=lambda s: (FRACTIONS[s] * total - counts[s], -SPLITS.index(s)))


def assign_stratum(groups: list[Group], seed: int) -> dict[str, str]:
    """Assign the groups of one stratum to splits.

    Parameters
    ----------
    groups : list of Group
        Groups with at least one clip, all of one stratum.
    seed : int
        The stratum's seed (:func:`stratum_seed`).

    Returns
    -------
    splits : dict
        Group name -> split.
    """
    order = sorted(groups, key=lambda g: g.name)
    rng = np.random.default_rng(seed)
    order = [order[i] for i in rng.permutation(len(order))]
    first = {1: ["train"], 2: ["test", "train"]}.get(len(order), ["test", "valid", "train"])
    splits = {g.name: s for g, s in zip(order, first)}
    counts = {s: 0 for s in SPLITS}
    for g in order[: len(first)]:
        counts[splits[g.name]] += g.n_clips
    total = sum(g.n_clips for g in order)
    for g in order[len(first) :]:
        split = _neediest_split(counts, total)
        splits[g.name] = split
        counts[split] += g.n_clips
    return splits


def assign_splits(groups: list[Group], seed: int) -> dict[str, str]:
    """Assign every group to a split, stratum by stratum.

    Parameters
    ----------
    groups : list of Group
    seed : int

    Returns
    -------
    splits : dict
        Group name -> ``"train"``, ``"valid"``, ``"test"``, or ``""`` for a group without clips.
    """
    by_stratum: dict[str, list[Group]] = defaultdict(list)
    splits = {}
    for g in groups:
        if g.n_clips > 0:
            by_stratum[g.stratum].append(g)
        else:
            splits[g.name] = ""
    for stratum, members in sorted(by_stratum.items()):
        splits.update(assign_stratum(members, stratum_seed(seed, stratum)))
    return splits
