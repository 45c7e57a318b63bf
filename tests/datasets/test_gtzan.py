"""sktag.datasets.load_gtzan on tiny copies of the published layout."""

import numpy as np
import pytest
import soundfile

from sktag.datasets import (
    GTZAN_GENRES,
    load_gtzan,
)
from tests.datasets._helpers import _check_bunch


def _write_gtzan(root, numbers=(0, 1, 2), ext="wav"):
    for genre in GTZAN_GENRES:
        (root / genre).mkdir(parents=True)
        for k in numbers:
            soundfile.write(root / genre / f"{genre}.{k:05d}.{ext}", np.zeros(100, np.float32), 22050,
                            format=ext.upper(), subtype="PCM_16")  # fmt: skip
    return root


def _write_split_lists(split_dir, lists):
    split_dir.mkdir()
    for split, clips in lists.items():
        (split_dir / f"{split}_filtered.txt").write_text("".join(f"{c.split('.')[0]}/{c}.wav\n" for c in clips))


def test_gtzan_folder_layout(tmp_path):
    parent = _write_gtzan(tmp_path / "gtzan" / "genres_original")
    (parent / "jazz" / "jazz.00054.wav").write_bytes(b"RIFF\x00\x00not a wav")  # the Kaggle copy's broken file
    (parent / "jazz" / ".DS_Store").write_bytes(b"\x00")
    with pytest.warns(UserWarning, match=r"jazz\.00054\.wav"):
        data = load_gtzan(tmp_path / "gtzan")
    _check_bunch(data, 30, 10, single_label=True)
    assert tuple(data.target_names) == GTZAN_GENRES
    assert list(data.clip_ids[:3]) == ["blues.00000", "blues.00001", "blues.00002"]
    assert set(data.split) == {""}
    assert data.paths[3] == str(parent / "classical" / "classical.00000.wav")
    assert list(data.metadata.columns) == ["clip_id", "genre", "path", "split"]

    data = load_gtzan(tmp_path / "gtzan", check_files=False)  # no file is opened
    assert "jazz.00054" in data.clip_ids and len(data.paths) == 31


def test_gtzan_fault_filtered_split_with_au_files(tmp_path):
    parent = _write_gtzan(tmp_path / "gtzan" / "genres", numbers=(0, 1, 2, 3), ext="au")  # the original archive
    lists = {
        "train": [f"{g}.00000" for g in GTZAN_GENRES] + ["blues.00001"],
        "valid": [f"{g}.00002" for g in GTZAN_GENRES[:5]],
        "test": [f"{g}.00003" for g in GTZAN_GENRES],
    }
    _write_split_lists(tmp_path / "split", lists)
    data = load_gtzan(tmp_path / "gtzan", split_dir=tmp_path / "split")
    _check_bunch(data, 26, 10, single_label=True)
    assert (data.split == "train").sum() == 11 and (data.split == "valid").sum() == 5
    assert (data.split == "test").sum() == 10
    assert "rock.00001" not in data.clip_ids  # listed nowhere: dropped
    assert data.paths[0] == str(parent / "blues" / "blues.00000.au")
    assert data.split[list(data.clip_ids).index("blues.00001")] == "train"
    assert "Kereliuk" in data.DESCR


def test_gtzan_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"genre folder\(s\) 'blues'.*\n.*blues classical country"):
        load_gtzan(tmp_path)
    root = _write_gtzan(tmp_path / "gtzan")
    with pytest.raises(FileNotFoundError, match=r"train_filtered\.txt not found"):
        load_gtzan(root, split_dir=tmp_path)
    _write_split_lists(tmp_path / "split", {"train": ["blues.00000", "pop.00042"], "valid": [], "test": []})
    with pytest.raises(FileNotFoundError, match=r"pop\.00042\.wav"):
        load_gtzan(root, split_dir=tmp_path / "split")
    data = load_gtzan(root, split_dir=tmp_path / "split", check_files=False)
    assert list(data.clip_ids) == ["blues.00000", "pop.00042"]
    (tmp_path / "split" / "test_filtered.txt").write_text("blues/blues.00000.wav\n")
    with pytest.raises(ValueError, match="already listed"):
        load_gtzan(root, split_dir=tmp_path / "split")
