"""sktag.datasets.load_msd_tagging on tiny copies of the published layouts."""

import pickle
import struct
import warnings

import numpy as np
import pandas as pd
import pytest

from sktag.datasets import (
    MSD_TAGS,
    load_msd_tagging,
)
from tests.datasets._helpers import FAKE_MP3, _check_bunch

MSD_IDS = {
    split: [f"TRAAA{chr(65 + k)}K128F93187{k:02d}" for k in range(start, start + n)]
    for split, start, n in (("train", 0, 4), ("valid", 4, 2), ("test", 6, 3))
}
SEVEN_D = {msd: 1000000 + 7 * i for i, msd in enumerate(sum(MSD_IDS.values(), []))}


def _preview(d7):
    return f"{str(d7)[0]}/{str(d7)[1]}/{d7}.clip.mp3"


def _py2_pickle(mapping):
    """A dict pickled the way Python 2's cPickle.dump(obj, f, 2) writes str and int (no unicode, no classes)."""
    out = bytearray(b"\x80\x02}(")  # PROTO 2, EMPTY_DICT, MARK
    for item in (x for pair in mapping.items() for x in pair):
        if isinstance(item, int):
            out += b"J" + struct.pack("<i", item)  # BININT
        else:
            data = item.encode("latin-1")
            out += b"U" + bytes([len(data)]) + data  # SHORT_BINSTRING: a Python 2 str
    return bytes(out + b"u.")  # SETITEMS, STOP


def _write_msd(tmp_path, *, missing=("TRAAAIK128F9318708",)):
    root, audio = tmp_path / "MSD_split_for_tagging", tmp_path / "previews"
    root.mkdir()
    rng = np.random.default_rng(0)
    for split, ids in MSD_IDS.items():
        (root / f"{split}_x_msd_id.txt").write_text("".join(f"{i}\n" for i in ids))
        np.save(root / f"{split}_y.npy", (rng.random((len(ids), 50)) < 0.2).astype(np.uint8))
    (root / "50tagList.txt").write_text("\n".join(MSD_TAGS) + "\n")
    for msd, d7 in SEVEN_D.items():
        if msd not in missing:
            path = audio / _preview(d7)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(FAKE_MP3)
    return root, audio


def test_msd_tagging_with_csv_map(tmp_path):
    root, audio = _write_msd(tmp_path)
    pd.DataFrame({"msd_id": list(SEVEN_D), "path": [_preview(d) for d in SEVEN_D.values()]}).to_csv(
        root / "msd_id_to_path.csv", index=False
    )
    with pytest.warns(UserWarning, match="skipped 1 of 9 tracks") as record:
        data = load_msd_tagging(root, audio_root=audio)
    assert len(record) == 1
    _check_bunch(data, 8, 50, single_label=False)
    assert tuple(data.target_names) == MSD_TAGS
    assert list(data.split) == ["train"] * 4 + ["valid"] * 2 + ["test"] * 2
    assert "TRAAAIK128F9318708" not in data.clip_ids
    assert data.paths[0] == str(audio / _preview(SEVEN_D[MSD_IDS["train"][0]]))
    y_test = np.load(root / "test_y.npy")
    np.testing.assert_array_equal(data.target[data.split == "test"], y_test[[0, 1]])
    assert list(data.metadata.columns) == ["msd_id", "path", "split"]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        everything = load_msd_tagging(root, audio_root=audio, check_files=False)
    assert len(everything.paths) == 9


def test_msd_tagging_with_pickled_maps_and_pub_labels(tmp_path):
    root, audio = _write_msd(tmp_path, missing=())
    for split in MSD_IDS:  # the y_{split}_pub.npy naming is accepted as well
        (root / f"{split}_y.npy").rename(root / f"y_{split}_pub.npy")
    (root / "50tagList.txt").unlink()  # falls back to the tags of tags.py
    (root / "MSD_id_to_7D_id.pkl").write_bytes(_py2_pickle(SEVEN_D))
    with open(root / "7D_id_to_path.pkl", "wb") as f:
        pickle.dump({str(d7): _preview(d7) for d7 in SEVEN_D.values()}, f, protocol=0)
    data = load_msd_tagging(root, audio_root=audio)
    _check_bunch(data, 9, 50, single_label=False)
    assert tuple(data.target_names) == MSD_TAGS
    assert list(data.clip_ids) == sum(MSD_IDS.values(), [])


def test_msd_tagging_with_choi_filename_lists(tmp_path):
    root, audio = _write_msd(tmp_path, missing=())
    for split, ids in MSD_IDS.items():
        (root / f"{split}_x_filename.txt").write_text("".join(_preview(SEVEN_D[i])[: -len(".clip.mp3")] + ".npy\n"
                                                              for i in ids))  # fmt: skip
    data = load_msd_tagging(root, audio_root=audio)
    assert data.paths[-1] == str(audio / _preview(SEVEN_D[MSD_IDS["test"][-1]]))


class _Payload:
    """Unpickling this would create the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_msd_tagging_refuses_malicious_pickle_without_running_it(tmp_path):
    root, audio = _write_msd(tmp_path, missing=())
    marker = tmp_path / "pwned"
    with open(root / "MSD_id_to_7D_id.pkl", "wb") as f:
        pickle.dump(dict(SEVEN_D), f, protocol=2)
    with open(root / "7D_id_to_path.pkl", "wb") as f:
        pickle.dump({"1000000": _Payload(marker)}, f, protocol=2)
    with pytest.raises(ValueError, match=r"7D_id_to_path\.pkl.*refused to load"):
        load_msd_tagging(root, audio_root=audio)
    assert not marker.exists()


def test_msd_tagging_errors(tmp_path):
    root, audio = _write_msd(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"map from MSD id"):
        load_msd_tagging(root, audio_root=audio)
    pd.DataFrame({"msd_id": list(SEVEN_D), "path": [_preview(d) for d in SEVEN_D.values()]}).to_csv(
        root / "msd_id_to_path.csv", index=False
    )
    with pytest.raises(FileNotFoundError, match="none of the 9 previews"):
        load_msd_tagging(root, audio_root=tmp_path)  # the wrong audio root
    with pytest.raises(FileNotFoundError, match="audio_root .* does not exist"):
        load_msd_tagging(root, audio_root=tmp_path / "nowhere")
    np.save(root / "valid_y.npy", np.zeros((2, 49), np.uint8))
    with pytest.raises(ValueError, match=r"valid_y\.npy: expected shape \(2, 50\)"):
        load_msd_tagging(root, audio_root=audio)
    (root / "test_x_msd_id.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"test_x_msd_id\.txt not found.*\n.*one MSD track id per line"):
        load_msd_tagging(root, audio_root=audio)
