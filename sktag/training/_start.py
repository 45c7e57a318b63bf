"""What every end-to-end trainer does first in ``fit``: pick the device and seed torch."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils import check_random_state

from .._devices import resolve_device
from .._runtime import settle_torch_threads

__all__ = ["start_training"]


def start_training(device: str, random_state) -> torch.device:
    """Resolve ``device`` (on the CPU, settle torch's threads) and seed torch from ``random_state``.

    Parameters
    ----------
    device : str
        The trainer's ``device`` parameter (``"auto"``, ``"cpu"``, ``"cuda"``, ...).
    random_state : int, RandomState instance or None
        The trainer's ``random_state`` parameter.

    Returns
    -------
    device : torch.device
    """
    resolved = resolve_device(device)
    if resolved.type == "cpu":
        settle_torch_threads()  # SKTAG_NUM_THREADS, as for the feature transformers
    rng = check_random_state(random_state)
    torch.manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
    return resolved
