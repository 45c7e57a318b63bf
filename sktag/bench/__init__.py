"""The transfer-learning benchmark, packaged: ``sktag bench`` (also ``benchmarks/transfer.py``).

Every task of the shared corpus (and a user's own dataset) x every sktag extractor
and two baselines x three heads, with the same splits for all; see
:func:`sktag.bench.transfer.run`. Needs the ``bench`` extra (librosa for the MFCC
baseline, matplotlib for the plot).
"""

from .tasks import Task, philharmonia_labels, shared_tasks, user_task
from .transfer import run

__all__ = ["Task", "philharmonia_labels", "run", "shared_tasks", "user_task"]
