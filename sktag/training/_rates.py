"""The trainers' two rates: ``analysis_rate``, the network's, and ``sample_rate``, that of array clips.

As in the feature transformers, ``sample_rate`` is the rate of the user's array clips and the network's own rate is
``analysis_rate`` (fitted: ``analysis_rate_``). Before sktag 0.1 the trainers' ``sample_rate`` was the network's rate
and array clips' rate came as ``fit(..., input_rate=...)``; those spellings keep working until 0.3, with
FutureWarnings (user guide, "Names").
"""

from __future__ import annotations

import inspect
import warnings

from .._deprecation import REMOVED_IN, RENAMED_IN, warn_renamed

__all__ = ["array_rate", "network_config", "requested_rate"]


def requested_rate(analysis_rate) -> float | None:
    """``analysis_rate`` as a number, or ``None`` for ``None`` and ``"auto"`` (the network's own rate)."""
    return None if analysis_rate is None or isinstance(analysis_rate, str) else float(analysis_rate)


def network_config(network_class: type, architecture: dict | None, analysis_rate, *, owner: str) -> dict:
    """``architecture`` with the network's front-end rate set to ``analysis_rate`` where the class takes one.

    A network that takes ``sample_rate`` (:class:`~sktag.nn.ArtistCNN`, :class:`~sktag.nn.MelCNN`) gets
    ``analysis_rate`` there unless ``architecture`` sets it; a different rate in both raises ``ValueError``.
    """
    config = dict(architecture or {})
    rate = requested_rate(analysis_rate)
    if rate is not None and "sample_rate" in inspect.signature(network_class).parameters:
        own = config.setdefault("sample_rate", rate)
        if float(own) != rate:
            raise ValueError(
                f"{owner} got analysis_rate={analysis_rate!r} but its architecture sets the network's "
                f"sample_rate={own!r}: they are the same rate; give one of them"
            )
    return config


def array_rate(estimator, input_rate, method: str, *, legacy: bool = False) -> float | None:
    """The rate of array clips for ``method``: the ``sample_rate`` parameter, or the deprecated ``input_rate``.

    ``legacy``: the trainer's ``sample_rate`` still has its meaning before sktag 0.1 (the network's rate), so
    array clips are at the network's rate unless ``input_rate`` says otherwise; outside ``fit`` (which has
    warned), a FutureWarning says so where the two meanings differ.
    """
    owner = type(estimator).__name__
    if input_rate is not None:
        warn_renamed(
            f"{owner}.{method}(..., input_rate=...)",
            f"{owner}(sample_rate=...), the rate of array clips, as in the feature transformers",
            stacklevel=5 if method == "fit" else 4,
        )  # fit: under scikit-learn's _fit_context
        if not legacy and estimator.sample_rate is not None and float(estimator.sample_rate) != float(input_rate):
            raise ValueError(
                f"{owner} got sample_rate={estimator.sample_rate!r} and {method}(input_rate="
                f"{input_rate!r}): both are the rate of array clips; give sample_rate only"
            )
        return float(input_rate)
    if legacy:
        if method != "fit" and float(estimator.sample_rate) != float(estimator.analysis_rate_):  # fit has warned
            warnings.warn(
                f"{owner}(sample_rate={estimator.sample_rate!r}) without analysis_rate keeps its meaning before "
                f"sktag {RENAMED_IN}, the network's rate, so it is not the rate of array clips: {method} takes them "
                f"to be at the network's {estimator.analysis_rate_:g} Hz. Add analysis_rate='auto' to make "
                f"sample_rate the rate of array clips, as it is from sktag {REMOVED_IN} on",
                FutureWarning,
                stacklevel=4,
            )
        return None
    return None if estimator.sample_rate is None else float(estimator.sample_rate)
