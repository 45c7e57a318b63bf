"""What the loaders' tests share: the contract of every loader's Bunch, and a stand-in MP3 file."""

from pathlib import Path

import numpy as np
import pandas as pd

FAKE_MP3 = b"\xff\xfb\x90\x64" + bytes(60)  # never decoded by the loaders: only existence and size matter


def _check_bunch(data, n_clips, n_labels, *, single_label):
    """The shape and dtype contract shared by every loader."""
    assert data.paths.shape == (n_clips,) and data.paths.dtype.kind == "U"
    assert all(Path(p).is_absolute() for p in data.paths)
    assert data.target.shape == (n_clips, n_labels) and data.target.dtype == np.float32
    assert data.target_names.shape == (n_labels,) and data.target_names.dtype.kind == "U"
    assert data.split.shape == (n_clips,) and set(data.split) <= {"train", "valid", "test", ""}
    assert data.clip_ids.shape == (n_clips,) and data.clip_ids.dtype.kind == "U"
    assert isinstance(data.metadata, pd.DataFrame) and len(data.metadata) == n_clips
    assert isinstance(data.DESCR, str) and data.DESCR
    if single_label:
        assert data.target_label.shape == (n_clips,)
        assert np.array_equal(data.target.sum(axis=1), np.ones(n_clips, np.float32))
        assert np.array_equal(data.target_names[data.target.argmax(axis=1)], data.target_label)
    else:
        assert "target_label" not in data
