"""sktag: sample-level CNNs for music auto-tagging, as scikit-learn estimators.

The estimators and subpackages are imported on first use (PEP 562), so that
``import sktag`` and the ``sktag`` command's parser do not import torch.
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING

from ._runtime import shorten_openmp_spin_waits as _shorten_openmp_spin_waits

_shorten_openmp_spin_waits()  # before torch loads OpenMP, which reads it once (sktag/_runtime.py)

__version__ = "0.1.0.dev0"

__all__ = [
    "ArtistCNNFeatures",
    "ArtistCNNTagger",
    "BagOfFeatures",
    "MLPTagger",
    "MelCNNFeatures",
    "MelCNNTagger",
    "MultiScaleFeatures",
    "SampleCNNFeatures",
    "SampleCNNTagger",
    "SiameseArtistCNN",
    "__version__",
]

#: Public name -> the module that defines it, imported when the name is first used.
_LAZY_ATTRIBUTES = {
    "ArtistCNNFeatures": "sktag.features",
    "ArtistCNNTagger": "sktag.training",
    "BagOfFeatures": "sktag.features",
    "MLPTagger": "sktag.training",
    "MelCNNFeatures": "sktag.features",
    "MelCNNTagger": "sktag.training",
    "MultiScaleFeatures": "sktag.features",
    "SampleCNNFeatures": "sktag.features",
    "SampleCNNTagger": "sktag.training",
    "SiameseArtistCNN": "sktag.training",
}
#: Submodules reachable as attributes after ``import sktag`` (as when this module imported them eagerly).
_SUBMODULES = frozenset(
    {"audio", "bench", "cli", "datasets", "extract", "features", "hear", "metrics", "nn", "training", "weights"}
)

if _TYPE_CHECKING:  # for type checkers and IDEs: the names as if imported eagerly
    from .features import ArtistCNNFeatures, BagOfFeatures, MelCNNFeatures, MultiScaleFeatures, SampleCNNFeatures
    from .training import ArtistCNNTagger, MelCNNTagger, MLPTagger, SampleCNNTagger, SiameseArtistCNN


def __getattr__(name: str):
    if name in _LAZY_ATTRIBUTES:
        value = getattr(_importlib.import_module(_LAZY_ATTRIBUTES[name]), name)
    elif name in _SUBMODULES:
        value = _importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)
