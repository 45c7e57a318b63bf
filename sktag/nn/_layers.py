"""Helpers shared by sktag's networks: choosing intermediate layers by position or name."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["resolve_layer_indices"]


def resolve_layer_indices(layer_names: Sequence[str], indices: int | Sequence[int | str] | None) -> list[int]:
    """Positions in ``layer_names`` of the layers ``indices`` asks for (timm's convention).

    ``None``: every layer; an int ``k``: the last ``k``; a sequence: positions
    (negative counts from the end) or names. Unknown names and positions out of
    range raise ``ValueError``.
    """
    n_layers = len(layer_names)
    if indices is None:
        return list(range(n_layers))
    if isinstance(indices, int):
        if not 1 <= indices <= n_layers:
            raise ValueError(f"indices={indices}: ask for the last 1..{n_layers} layers")
        return list(range(n_layers - indices, n_layers))
    resolved = []
    for index in indices:
        if isinstance(index, str):
            if index not in layer_names:
                raise ValueError(f"unknown layer {index!r}; this network has {list(layer_names)}")
            index = list(layer_names).index(index)
        if not -n_layers <= index < n_layers:
            raise ValueError(f"layer index {index} out of range for {n_layers} layers")
        resolved.append(index % n_layers)
    return resolved
