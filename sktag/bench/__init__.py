"""The transfer-learning benchmark, packaged: ``sktag bench`` (also ``python -m benchmarks.quality.transfer``).

Every task of the shared corpus (a user's own dataset, held-out games) x every sktag
extractor and the baselines x four heads, with the same splits for all; see
:func:`sktag.bench.transfer.run`. Needs the ``bench`` extra (librosa for the MFCC
baseline, matplotlib for the plot). The names below are imported on first use, so that
``sktag bench --help`` (whose options live in :mod:`sktag.bench.options`) needs no torch.
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING

__all__ = ["Task", "heldout_tasks", "philharmonia_labels", "run", "shared_tasks", "user_task"]

#: Public name -> the module that defines it.
_LAZY_ATTRIBUTES = {
    "Task": "tasks",
    "heldout_tasks": "tasks",
    "philharmonia_labels": "tasks",
    "run": "transfer",
    "shared_tasks": "tasks",
    "user_task": "tasks",
}

if _TYPE_CHECKING:
    from .tasks import Task, heldout_tasks, philharmonia_labels, shared_tasks, user_task
    from .transfer import run


def __getattr__(name: str):
    if name not in _LAZY_ATTRIBUTES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{_LAZY_ATTRIBUTES[name]}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
