"""Checkpoint format, safe loading and the registry of shipped weights.

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

from .nn import ArtistCNN, MelCNN, SampleCNN

__all__ = [
    "ARCHITECTURES",
    "DEFAULT_WEIGHTS",
    "SHIPPED_WEIGHTS",
    "Checkpoint",
    "WeightsError",
    "build_model",
    "file_sha256",
    "get_checkpoint",
    "load_checkpoint",
    "resolve_weights_name",
    "save_checkpoint",
]

FORMAT = "sktag-checkpoint"
FORMAT_VERSION = 1

#: Architecture name -> module class; a checkpoint's ``config`` holds its keyword arguments.
ARCHITECTURES: dict[str, type[nn.Module]] = {"SampleCNN": SampleCNN, "ArtistCNN": ArtistCNN, "MelCNN": MelCNN}

#: Name -> (file inside ``sktag/weights/``, sha256) of the weights shipped with sktag.
#: ``samplecnn-3x9``: the basic 3^9 SampleCNN at 16 kHz, distilled from musicnn's MTT tags on
#: game_music train+valid (benchmarks/results/distill_basic-lmse-c4*.md; test macro ROC-AUC 0.8945).
#: ``samplecnn-3x8``: the basic 3^8 SampleCNN (8 blocks, 3^9 = 19683-sample input, 1.2 s at 16 kHz), distilled
#: the same way on the train split in 44 minutes (distill_samplecnn-3x8.md; test 0.8598): a scale of the
#: multi-scale features.
#: ``samplecnn-3x10``: the basic 3^10 SampleCNN (10 blocks, 177147-sample input, 11.1 s at 16 kHz), distilled
#: the same way in 55 minutes (distill_samplecnn-3x10.md; test 0.7945 after 6 epochs of 2 crops per clip).
#: ``rese2-multilevel``: the ReSE-2 3^9 SampleCNN (alpha 16) with the multi-level head, distilled the
#: same way in one 91-minute stage (distill_rese2-ml-tv.md; 0.8560: a fifth of the basic network's
#: training crops, see the user guide).
#: ``melcnn-18f`` / ``melcnn-27f`` / ``melcnn-54f``: the local log-mel CNNs of arXiv:1703.01793 (18, 27 and
#: 54 frames at 16 kHz, hop 372), distilled the same way on the train split, best validation epoch of 30
#: (distill_mel18/27/54.md; test 0.8821 / 0.8958 / 0.8983): the scales of the multi-scale features.
#: ``artist-basic-gamemusic`` / ``artist-siamese-gamemusic``: the artist-label CNN (3 s log-mel at
#: 16 kHz) trained on the 19 composers of game_music's train split, with a softmax head / as a
#: Siamese network (benchmarks/results/artist_gm16k-all.md: Siamese verification EER 0.239 against
#: 0.346 for random init; composer recognition no better than random init on this small corpus).
SHIPPED_WEIGHTS: dict[str, tuple[str, str]] = {
    "samplecnn-3x9": ("samplecnn-3x9.pt", "c8b0f7bfa663c9f7f1c1a62f90087582a639c1b90d8bff0d8123408e89c23b35"),
    "samplecnn-3x8": ("samplecnn-3x8.pt", "e9d912fd59106680279a34a4d2856788dd794606a62123f3aa12e9da104b2f62"),
    "samplecnn-3x10": ("samplecnn-3x10.pt", "d3832f0430195f711ea18267185e2386cfcd2afa1a68a168245680507925cdf9"),
    "rese2-multilevel": (
        "rese2-multilevel.pt", "81acd91d7e81968449afdd94c77129da735f9bbf6b59a9be142d57e7831692b5"),
    "melcnn-18f": ("melcnn-18f.pt", "f1dc9920cdfceae7b010514fd6c4281d66e3aa391aff287a61b75f7580e1f60c"),
    "melcnn-27f": ("melcnn-27f.pt", "7fc7869d6775290f2c865f3bf5ae791a52dff207b703c303e3a86a6efa8f8521"),
    "melcnn-54f": ("melcnn-54f.pt", "b138a2316eea5e14dc670d74627777de5cc1e8970b63a4815a527c28dfba2b8f"),
    "artist-basic-gamemusic": (
        "artist-basic-gamemusic.pt", "33b2ace466afb25fa5b127c9f20e4b4f9b7f57c7ad6374a262ea4f0c6e5e66cd"),
    "artist-siamese-gamemusic": (
        "artist-siamese-gamemusic.pt", "a88109eae3b42a79e2cb05fb2d402c3d50475a0faee599f6ee57a807e900ff1d"),
}

#: Architecture -> the shipped weights that ``weights="default"`` loads for it: each family's best on the
#: transfer benchmark (benchmarks/results/transfer.md). SampleCNN: the 3^9 basic network (distilled
#: longest, 0.8945 against the teacher); MelCNN: the 54-frame network (0.8983, the best log-mel scale);
#: ArtistCNN: the softmax-head artist CNN, whose multi-level features beat the Siamese one on composer
#: recognition (0.467 against 0.451) and teacher tags (0.818 against 0.808).
DEFAULT_WEIGHTS: dict[str, str] = {
    "SampleCNN": "samplecnn-3x9",
    "MelCNN": "melcnn-54f",
    "ArtistCNN": "artist-basic-gamemusic",
}


class WeightsError(ValueError):
    """A checkpoint that cannot be used: unsafe, corrupt, or for another architecture."""


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
                f"{self.source or 'checkpoint'}: its weights do not fit {self.architecture}"
                f"(**{self.config}) ({first})"
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
            raise WeightsError(f"no shipped default weights for {architecture!r}; defaults exist for "
                               f"{sorted(DEFAULT_WEIGHTS)}")
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
