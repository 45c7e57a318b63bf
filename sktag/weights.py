"""Checkpoint format, safe loading and the registry of shipped weights.

Each shipped weight is a :class:`ShippedWeights` record (file, sha256, network
config, rate, training data, recipe, measured scores) in :data:`REGISTRY`;
:func:`list_weights` lists them, :func:`get_shipped_weights` looks one up, and
``sktag weights`` prints them. :data:`DEFAULTS` is each family's default.

A sktag checkpoint is a ``torch.save`` of a plain dictionary that
``torch.load(weights_only=True)`` can read, so loading never runs code::

    {
        "format": "sktag-checkpoint",
        "format_version": 1,
        "architecture": "SampleCNN",          # a key of ARCHITECTURES
        "config": {"m": 3, "n": 9, ...},      # keyword arguments of that class
        "state_dict": {...},                   # tensors (stored in fp16 or fp32)
        "meta": {"sample_rate": 16000, ...},   # tags, training data, recipe, metrics
    }

``meta["sample_rate"]`` is required: every input is resampled to it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from . import nn as sktag_nn
from ._catalog import (
    DEFAULT_WEIGHTS,
    DEFAULTS,
    FAMILIES,
    METRICS,
    REGISTRY,
    SHIPPED_WEIGHTS,
    NetworkFamily,
    ShippedWeights,
    WeightsError,
    get_shipped_weights,
    list_weights,
    weights_table,
)

__all__ = [
    "ARCHITECTURES",
    "DEFAULTS",
    "DEFAULT_WEIGHTS",
    "FAMILIES",
    "METRICS",
    "REGISTRY",
    "SHIPPED_WEIGHTS",
    "Checkpoint",
    "NetworkFamily",
    "ShippedWeights",
    "WeightsError",
    "build_model",
    "file_sha256",
    "get_checkpoint",
    "get_network_checkpoint",
    "get_shipped_weights",
    "list_weights",
    "load_checkpoint",
    "resolve_weights_name",
    "save_checkpoint",
    "weights_table",
]

FORMAT = "sktag-checkpoint"
FORMAT_VERSION = 1

#: Architecture name -> module class of :mod:`sktag.nn` (from :data:`FAMILIES`); a checkpoint's ``config`` holds
#: its keyword arguments.
ARCHITECTURES: dict[str, type[nn.Module]] = {name: getattr(sktag_nn, name) for name in FAMILIES}
# The registries of network families (FAMILIES) and shipped weights (REGISTRY, DEFAULTS, and the SHIPPED_WEIGHTS and
# DEFAULT_WEIGHTS tables derived from them) and WeightsError live in the torch-free ``sktag._catalog``, which the
# command line reads.


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: what to build, its weights and its metadata.

    Attributes
    ----------
    architecture : str
        A key of :data:`ARCHITECTURES`.
    config : dict
        Keyword arguments of the architecture's class.
    state_dict : dict of str to torch.Tensor
    meta : dict
        At least ``sample_rate`` (Hz); shipped weights also record ``tags``,
        ``training_data``, ``recipe`` and ``metrics``.
    source : str
        Where it was loaded from.
    """

    architecture: str
    config: dict
    state_dict: dict = field(repr=False)
    meta: dict
    source: str = ""

    def build(self) -> nn.Module:
        """The network with these weights loaded, in eval mode, float32, on CPU."""
        model = build_model(self.architecture, self.config)
        try:
            model.load_state_dict(self.state_dict, strict=True)
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise WeightsError(
                f"{self.source or 'checkpoint'}: its weights do not fit {self.architecture}(**{self.config}) ({first})"
            ) from exc
        return model.float().eval()


def build_model(architecture: str, config: dict) -> nn.Module:
    """Instantiate an architecture by name from its config (randomly initialised).

    Parameters
    ----------
    architecture : str
        A key of :data:`ARCHITECTURES`.
    config : dict
        Keyword arguments of that class.

    Returns
    -------
    model : torch.nn.Module
    """
    if architecture not in ARCHITECTURES:
        raise WeightsError(f"unknown architecture {architecture!r}; sktag knows {sorted(ARCHITECTURES)}")
    try:
        return ARCHITECTURES[architecture](**config)
    except TypeError as exc:
        raise WeightsError(f"bad config for {architecture}: {exc}") from exc


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    *,
    config: dict,
    meta: dict,
    half: bool = False,
) -> str:
    """Write a model as a sktag checkpoint and return the file's sha256.

    Parameters
    ----------
    path : str or os.PathLike
    model : torch.nn.Module
        An instance of a class in :data:`ARCHITECTURES`.
    config : dict
        The keyword arguments that rebuild ``model``'s architecture.
    meta : dict
        Must contain ``sample_rate``; plain Python values only (str, int, float,
        bool, lists and dicts of them).
    half : bool, default=False
        Store floating-point tensors in fp16 (halves the file; loading casts back).

    Returns
    -------
    sha256 : str
    """
    names = [name for name, cls in ARCHITECTURES.items() if type(model) is cls]
    if not names:
        raise WeightsError(f"{type(model).__name__} is not a sktag architecture ({sorted(ARCHITECTURES)})")
    if "sample_rate" not in meta:
        raise WeightsError("meta must record the network's 'sample_rate'")
    state = {
        k: (v.detach().cpu().half() if half and v.is_floating_point() else v.detach().cpu())
        for k, v in model.state_dict().items()
    }
    torch.save(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "architecture": names[0],
            "config": dict(config),
            "state_dict": state,
            "meta": dict(meta),
        },
        path,
    )
    return file_sha256(path)


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_checkpoint(path: str | os.PathLike, *, sha256: str | None = None) -> Checkpoint:
    """Load a sktag checkpoint safely (``torch.load(weights_only=True)``).

    Parameters
    ----------
    path : str or os.PathLike
    sha256 : str, optional
        Expected hash of the file; a mismatch is refused before unpickling.

    Returns
    -------
    checkpoint : Checkpoint

    Raises
    ------
    FileNotFoundError
        No such file.
    WeightsError
        Hash mismatch, a pickle payload that is not plain data, a file that is
        not a sktag checkpoint, or missing metadata.
    """
    source = os.fspath(path)
    if not os.path.isfile(source):
        raise FileNotFoundError(f"weights file {source!r} not found")
    if sha256 is not None and file_sha256(source) != sha256:
        raise WeightsError(f"{source}: sha256 does not match the expected {sha256}; the file is corrupt or altered")
    try:
        raw = torch.load(source, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise WeightsError(
            f"{source}: refused to load: it holds objects other than plain data and tensors "
            f"(torch.load(weights_only=True) said: {str(exc).splitlines()[0]})"
        ) from exc
    except Exception as exc:  # a corrupt byte stream can make the unpickler raise almost anything
        raise WeightsError(f"{source}: not a readable torch checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise WeightsError(f"{source}: not a sktag checkpoint (no 'format': {FORMAT!r} entry)")
    if raw.get("format_version", 0) > FORMAT_VERSION:
        raise WeightsError(f"{source}: checkpoint format {raw['format_version']} is newer than this sktag reads")
    missing = [k for k in ("architecture", "config", "state_dict", "meta") if k not in raw]
    if missing:
        raise WeightsError(f"{source}: checkpoint lacks {missing}")
    meta: dict[str, Any] = raw["meta"]
    if "sample_rate" not in meta:
        raise WeightsError(f"{source}: checkpoint metadata lacks 'sample_rate'")
    return Checkpoint(raw["architecture"], raw["config"], raw["state_dict"], meta, source)


def resolve_weights_name(weights: str | os.PathLike, *, architecture: str = "SampleCNN") -> str:
    """The shipped name ``weights`` stands for, or the path as given.

    Parameters
    ----------
    weights : str or os.PathLike
        ``"default"``, a key of :data:`SHIPPED_WEIGHTS`, or a checkpoint path.
    architecture : str, default="SampleCNN"
        The family whose :data:`DEFAULT_WEIGHTS` ``"default"`` means.

    Returns
    -------
    name : str
    """
    name = os.fspath(weights)
    if name == "default":
        if architecture not in DEFAULT_WEIGHTS:
            raise WeightsError(
                f"no shipped default weights for {architecture!r}; defaults exist for {sorted(DEFAULT_WEIGHTS)}"
            )
        return DEFAULT_WEIGHTS[architecture]
    return name


def get_checkpoint(
    weights: str | os.PathLike, *, sha256: str | None = None, architecture: str = "SampleCNN"
) -> Checkpoint:
    """Resolve ``weights`` (a shipped name or a checkpoint path) and load it.

    Shipped weights are verified against their recorded sha256.

    Parameters
    ----------
    weights : str or os.PathLike
        A key of :data:`SHIPPED_WEIGHTS`, ``"default"`` (the family's entry of
        :data:`DEFAULT_WEIGHTS`), or the path of a sktag checkpoint.
    sha256 : str, optional
        Expected hash of a checkpoint file given by path.
    architecture : str, default="SampleCNN"
        The family ``"default"`` is resolved for.

    Returns
    -------
    checkpoint : Checkpoint
    """
    name = resolve_weights_name(weights, architecture=architecture)
    if name in SHIPPED_WEIGHTS:
        filename, sha256 = SHIPPED_WEIGHTS[name]
        return load_checkpoint(os.path.join(os.path.dirname(__file__), "weights", filename), sha256=sha256)
    if os.path.exists(name):
        return load_checkpoint(name, sha256=sha256)
    shipped = ", ".join(sorted(SHIPPED_WEIGHTS)) or "none yet"
    raise WeightsError(f"weights {name!r}: no such file, and not the name of shipped weights (shipped: {shipped})")


def get_network_checkpoint(
    weights: str | os.PathLike, architecture: str, *, user: str, config: dict | None = None
) -> Checkpoint:
    """Load ``weights`` for something that runs a network of one architecture, refusing any other.

    The one check of every estimator and API that takes a checkpoint of a fixed
    family (the feature transformers, the taggers, the HEAR API).

    Parameters
    ----------
    weights : str or os.PathLike
        A key of :data:`SHIPPED_WEIGHTS`, ``"default"`` (``architecture``'s entry
        of :data:`DEFAULT_WEIGHTS`), or the path of a sktag checkpoint.
    architecture : str
        The key of :data:`ARCHITECTURES` the caller runs.
    user : str
        Who asks, for the message (e.g. ``"SampleCNNFeatures"``).
    config : dict or None, default=None
        The keyword arguments the caller was given to build a random network:
        with a checkpoint, which defines its own network, they are refused.

    Returns
    -------
    checkpoint : Checkpoint

    Raises
    ------
    ValueError
        ``config`` is given.
    WeightsError
        The checkpoint holds another architecture (or cannot be loaded, see :func:`get_checkpoint`).
    """
    if config is not None:
        raise ValueError(
            f"architecture builds a randomly initialised network: pass weights=None with it "
            f"(weights={weights!r} is a checkpoint, which defines its own network)"
        )
    checkpoint = get_checkpoint(weights, architecture=architecture)
    if checkpoint.architecture != architecture:
        raise WeightsError(
            f"{checkpoint.source} holds architecture {checkpoint.architecture!r}, but {user} runs {architecture!r}"
        )
    return checkpoint
