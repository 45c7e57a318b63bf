"""The column selection of issue 26's layer sweep (benchmarks/corpus/heldout_layers.py)."""

from __future__ import annotations

import numpy as np

from benchmarks.corpus.heldout_layers import LAYER_SETS, columns


def test_columns_pick_the_layers_poolings_and_aggregates_asked_for():
    names = np.array(
        [
            f"{layer}_{pool}_{aggregate}_{channel:04d}"
            for layer in ("block6", "block7", "block9")
            for pool in ("max", "mean")
            for aggregate in ("mean", "std")
            for channel in range(2)
        ]
    )
    mask = columns(names, LAYER_SETS["block7-9 (default)"], ("max",), ("mean", "std"))
    assert list(names[mask]) == [
        "block7_max_mean_0000",
        "block7_max_mean_0001",
        "block7_max_std_0000",
        "block7_max_std_0001",
        "block9_max_mean_0000",
        "block9_max_mean_0001",
        "block9_max_std_0000",
        "block9_max_std_0001",
    ]
    assert columns(names, ("block1",), ("max",), ("mean",)).sum() == 0
