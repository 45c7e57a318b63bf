"""The transfer-learning benchmark, packaged: ``sktag bench`` (also ``benchmarks/transfer.py``).

Every task of the shared corpus (a user's own dataset, held-out games) x every sktag
extractor and the baselines x four heads, with the same splits for all; see
:func:`sktag.bench.transfer.run`. Needs the ``bench`` extra (librosa for the MFCC
baseline, matplotlib for the plot).
"""

from .tasks import Task, heldout_tasks, philharmonia_labels, shared_tasks, user_task
from .transfer import run

__all__ = ["Task", "heldout_tasks", "philharmonia_labels", "run", "shared_tasks", "user_task"]
