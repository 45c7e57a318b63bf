"""sktag.datasets.load_csv and load_folder, on tiny tables and folders, and on the shared corpus."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sktag.audio import AudioFileNotFoundError
from sktag.datasets import (
    load_csv,
    load_folder,
)
from tests.datasets._helpers import FAKE_MP3, _check_bunch

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _write_csv_dataset(tmp_path, rows, columns):
    for row in rows:
        path = tmp_path / "audio" / row[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(FAKE_MP3)
    csv_path = tmp_path / "clips.csv"
    pd.DataFrame(rows, columns=columns).to_csv(csv_path, index=False)
    return csv_path


def test_load_csv_tags_labels_and_splits(tmp_path):
    rows = [
        ("a/1.mp3", "piano|strings", "guitar", 0.9, 0, "train"),
        ("a/2.mp3", "", "piano", 0.1, 1, "Validation"),
        ("b/3.mp3", "strings", "guitar", 0.5, 1, "test"),
    ]
    columns = ["file", "tags", "instrument", "p_rock", "is_loud", "subset"]
    csv_path = _write_csv_dataset(tmp_path, rows, columns)
    kwargs = dict(path_column="file", split_column="subset", root=tmp_path / "audio")

    tagged = load_csv(csv_path, tag_column="tags", tag_separator="|", **kwargs)
    _check_bunch(tagged, 3, 2, single_label=False)
    assert list(tagged.target_names) == ["piano", "strings"]
    np.testing.assert_array_equal(tagged.target, [[1, 1], [0, 0], [0, 1]])
    assert list(tagged.split) == ["train", "valid", "test"]
    assert tagged.paths[2] == str(tmp_path / "audio" / "b" / "3.mp3")
    assert list(tagged.clip_ids) == ["a/1.mp3", "a/2.mp3", "b/3.mp3"]
    assert list(tagged.metadata.columns) == columns

    single = load_csv(csv_path, tag_column="instrument", **kwargs)
    _check_bunch(single, 3, 2, single_label=True)
    assert list(single.target_label) == ["guitar", "piano", "guitar"]

    scores = load_csv(csv_path, label_columns=["p_rock", "is_loud"], **kwargs)
    _check_bunch(scores, 3, 2, single_label=False)
    np.testing.assert_allclose(scores.target, [[0.9, 0], [0.1, 1], [0.5, 1]])


def test_load_csv_errors(tmp_path):
    rows = [("1.wav", "x", 0.5, "train"), ("2.wav", "", 2.0, "holdout")]
    csv_path = _write_csv_dataset(tmp_path, rows, ["path", "label", "score", "split"])
    with pytest.raises(FileNotFoundError, match="1.wav") as info:  # root defaults to the CSV's folder
        load_csv(csv_path, tag_column="label", tag_separator=",")
    assert isinstance(info.value, AudioFileNotFoundError) and "1 more of the 2 listed files" in str(info.value)
    root = tmp_path / "audio"
    with pytest.raises(ValueError, match="exactly one of"):
        load_csv(csv_path, root=root)
    with pytest.raises(ValueError, match="exactly one of"):
        load_csv(csv_path, root=root, tag_column="label", label_columns=["score"])
    with pytest.raises(ValueError, match="no column 'genre'; its columns are"):
        load_csv(csv_path, root=root, tag_column="genre")
    with pytest.raises(ValueError, match=r"empty 'label' in data row\(s\) '2'"):
        load_csv(csv_path, root=root, tag_column="label")
    with pytest.raises(ValueError, match=r"'score' must hold numbers in \[0, 1\]; data row 2"):
        load_csv(csv_path, root=root, label_columns="score")
    with pytest.raises(ValueError, match="unknown split name.*holdout"):
        load_csv(csv_path, root=root, tag_column="label", tag_separator=",", split_column="split")
    with pytest.raises(FileNotFoundError, match="CSV file"):
        load_csv(tmp_path / "missing.csv", tag_column="label")
    (root / "2.wav").unlink()
    with pytest.raises(FileNotFoundError, match=r"2\.wav"):
        load_csv(csv_path, root=root, tag_column="label", tag_separator=",")
    data = load_csv(csv_path, root=root, tag_column="label", tag_separator=",", check_files=False)
    assert len(data.paths) == 2


def test_load_folder(tmp_path):
    for rel in ("dog/001.wav", "dog/more/002.FLAC", "cat/003.mp3", "cat/notes.txt", "cat/.hidden.wav",
                ".git/x.wav", "stray.wav"):  # fmt: skip
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(FAKE_MP3)
    (tmp_path / "empty").mkdir()
    with pytest.warns(UserWarning, match="stray.wav"):
        data = load_folder(tmp_path)
    _check_bunch(data, 3, 2, single_label=True)
    assert list(data.target_names) == ["cat", "dog"]
    assert list(data.clip_ids) == ["cat/003", "dog/001", "dog/more/002"]
    assert list(data.target_label) == ["cat", "dog", "dog"]
    assert set(data.split) == {""}
    with pytest.raises(FileNotFoundError, match="no audio files"):
        load_folder(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_folder(tmp_path / "nowhere")


# ---------------------------------------------------------------------------
# The shared real corpus (read-only)
# ---------------------------------------------------------------------------

needs_shared = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"shared corpus not found at {SHARED_DATA}")


@needs_shared
def test_load_csv_game_music():
    data = load_csv(SHARED_DATA / "game_music" / "clips.csv", tag_column="artist", split_column="split")
    _check_bunch(data, 1228, 20, single_label=True)
    assert [(data.split == s).sum() for s in ("train", "valid", "test")] == [838, 191, 199]
    assert "unknown" in data.target_names and "Michael Kievernagel" in data.target_names
    assert data.clip_ids[0] == "asc_t000_c00"
    assert data.paths[0] == str(SHARED_DATA / "game_music" / "audio" / "asc" / "asc_t000_c00.mp3")
    assert data.metadata["duration_s"].dtype.kind == "f"


@needs_shared
def test_load_csv_philharmonia():
    csv_path = SHARED_DATA / "philharmonia" / "clips.csv"
    data = load_csv(csv_path, tag_column="instrument_group", split_column="split")
    _check_bunch(data, 4008, 16, single_label=True)
    assert [(data.split == s).sum() for s in ("train", "valid", "test")] == [2806, 601, 601]
    families = load_csv(csv_path, tag_column="family", split_column="split", check_files=False)
    assert sorted(families.target_names) == list(families.target_names) and len(families.target_names) == 4
