"""sktag.datasets.load_dataset: each dataset kind by name, and the options it checks."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sktag.datasets import (
    load_csv,
    load_dataset,
    load_folder,
    load_gtzan,
    load_magnatagatune,
    load_msd_tagging,
)
from tests.datasets.test_gtzan import _write_gtzan
from tests.datasets.test_magnatagatune import _write_mtat
from tests.datasets.test_msd import SEVEN_D, _preview, _write_msd


def test_load_dataset_dispatches_to_each_loader_and_checks_its_options(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # MTAT's broken files
        mtat_root = _write_mtat(tmp_path / "mtat")
        pairs = [(load_dataset("mtat", mtat_root, n_tags=4), load_magnatagatune(mtat_root, n_tags=4))]
    (tmp_path / "m").mkdir()
    msd_root, audio = _write_msd(tmp_path / "m", missing=())
    pd.DataFrame({"msd_id": list(SEVEN_D), "path": [_preview(d) for d in SEVEN_D.values()]}).to_csv(
        msd_root / "msd_id_to_path.csv", index=False
    )
    pairs.append((load_dataset("msd", msd_root, audio_root=audio), load_msd_tagging(msd_root, audio_root=audio)))
    gtzan_root = _write_gtzan(tmp_path / "gtzan")
    pairs.append((load_dataset("gtzan", gtzan_root), load_gtzan(gtzan_root)))
    csv_path = tmp_path / "clips.csv"  # paths relative to the CSV's folder
    pd.DataFrame(
        {
            "path": [str(p.relative_to(tmp_path)) for p in sorted(gtzan_root.rglob("*.wav"))[:2]],
            "tags": ["x|y", "y"],
            "split": ["train", "test"],
        }
    ).to_csv(csv_path, index=False)
    pairs.append(
        (
            load_dataset("csv", csv_path, tag_column="tags", tag_separator="|", split_column="split"),
            load_csv(csv_path, tag_column="tags", tag_separator="|", split_column="split"),
        )
    )
    pairs.append((load_dataset("folder", gtzan_root), load_folder(gtzan_root)))
    for by_name, direct in pairs:
        np.testing.assert_array_equal(by_name.paths, direct.paths)
        np.testing.assert_array_equal(by_name.target, direct.target)
        np.testing.assert_array_equal(by_name.split, direct.split)
    with pytest.raises(ValueError, match="unknown dataset kind 'gtzn'"):
        load_dataset("gtzn", gtzan_root)
    with pytest.raises(ValueError, match="needs audio_root"):
        load_dataset("msd", msd_root)
    with pytest.raises(ValueError, match="does not take split_dir; it applies to: gtzan"):
        load_dataset("mtat", mtat_root, split_dir=tmp_path)
