"""Tests for sktag.datasets: each loader on tiny copies of the published layouts, and on the shared corpus."""

import pickle
import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile

from sktag.audio import AudioFileNotFoundError
from sktag.datasets import (
    GTZAN_GENRES,
    MSD_TAGS,
    MTAT_BROKEN_FILES,
    load_csv,
    load_dataset,
    load_folder,
    load_gtzan,
    load_magnatagatune,
    load_msd_tagging,
)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

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


# ---------------------------------------------------------------------------
# MagnaTagATune
# ---------------------------------------------------------------------------

MTAT_TAGS = ["no voice", "singer", "guitar", "classical", "slow", "techno"]
# (clip_id, mp3_path, tags, file content). Frequencies: guitar 3, classical 3, no voice 2, slow 2,
# techno 2, singer 1, so the top 4 (ties by column order) are guitar, classical, no voice, slow.
MTAT_CLIPS = [
    ("2", "f/american_bach_soloists-j_s__bach_solo_cantatas-01-bwv54__i_aria-30-59.mp3",
     {"no voice", "classical", "slow"}, FAKE_MP3),
    ("6", "f/american_bach_soloists-j_s__bach_solo_cantatas-01-bwv54__i_aria-59-88.mp3", {"classical"}, FAKE_MP3),
    ("10", "0/jacob_heringman-black_cow-01-fantasia_de_mr_newman-0-29.mp3", {"guitar"}, FAKE_MP3),
    ("16", "c/lisa_debenedictis-tigers-03-girlfriend-88-117.mp3", {"guitar", "techno"}, FAKE_MP3),
    ("20", "d/dj_markitos-slower_emotions138_bpm_remixes-02-ancient_mistery-30-59.mp3",
     {"techno", "no voice"}, FAKE_MP3),
    ("24", "3/jade_leary-the_lost_art_of_human_kindness-04-the_human_kindness-0-29.mp3", {"singer"}, FAKE_MP3),
    ("35644", MTAT_BROKEN_FILES[0], {"guitar"}, b""),
    ("40", "5/the_strap_ons-geeking_crime-09-hell_you_say-146-175.mp3", {"slow", "classical"}, b""),
]  # fmt: skip
MTAT_INFO_COLUMNS = [
    "clip_id", "track_number", "title", "artist", "album", "url",
    "segmentStart", "segmentEnd", "original_url", "mp3_path",
]  # fmt: skip


def _quoted(fields):
    return "\t".join(f'"{f}"' for f in fields) + "\n"


def _write_mtat(root, audio_subdir=""):
    """annotations_final.csv, clip_info_final.csv and the audio folders, in the published format."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "annotations_final.csv", "w", newline="") as f:
        f.write(_quoted(["clip_id", *MTAT_TAGS, "mp3_path"]))
        for clip_id, mp3, tags, _ in MTAT_CLIPS:
            f.write(_quoted([clip_id, *("1" if t in tags else "0" for t in MTAT_TAGS), mp3]))
    with open(root / "clip_info_final.csv", "w", newline="") as f:
        f.write(_quoted(MTAT_INFO_COLUMNS))
        for clip_id, mp3, _, _ in MTAT_CLIPS:
            artist, album, number, title = mp3.split("/")[1].split("-")[:4]
            f.write(_quoted([clip_id, str(int(number)), f"{title}, it's live", artist, album,
                             f"http://www.magnatune.com/artists/albums/{album}/", "30", "59",
                             f"http://he3.magnatune.com/all/{number}--{title}.mp3", mp3]))  # fmt: skip
    for _, mp3, _, content in MTAT_CLIPS:
        path = root / audio_subdir / mp3
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def test_magnatagatune_published_layout(tmp_path):
    root = _write_mtat(tmp_path / "magnatagatune")
    with pytest.warns(UserWarning) as record:
        data = load_magnatagatune(root, n_tags=4)
    messages = " ".join(str(w.message) for w in record)
    assert "norine_braun-now_and_zen-08-gently-117-146.mp3" in messages  # the known broken file, by name
    assert "the_strap_ons-geeking_crime-09-hell_you_say-146-175.mp3" in messages  # another zero-byte file

    _check_bunch(data, 5, 4, single_label=False)
    assert list(data.target_names) == ["guitar", "classical", "no voice", "slow"]  # frequency, ties by column
    assert list(data.clip_ids) == ["2", "6", "10", "16", "20"]  # "24" has no top-4 tag
    assert list(data.split) == ["test", "test", "train", "valid", "test"]  # 0-b / c / d-f
    assert data.paths[0] == str(root / MTAT_CLIPS[0][1])
    assert all(Path(p).is_file() for p in data.paths)
    np.testing.assert_array_equal(data.target[0], [0, 1, 1, 1])
    np.testing.assert_array_equal(data.target[4], [0, 0, 1, 0])
    assert list(data.metadata.columns) == MTAT_INFO_COLUMNS
    assert data.metadata["title"][0] == "bwv54__i_aria, it's live"
    assert list(data.metadata["clip_id"]) == list(data.clip_ids)
    assert "Dieleman" in data.DESCR and "15,244" in data.DESCR


def test_magnatagatune_all_tags_and_audio_under_mp3(tmp_path):
    root = _write_mtat(tmp_path / "mtat", audio_subdir="mp3")
    with pytest.warns(UserWarning) as record:
        data = load_magnatagatune(root, n_tags=6)
    messages = " ".join(str(w.message) for w in record)
    assert "norine_braun" in messages and "the_strap_ons" in messages
    assert "24" in data.clip_ids  # "singer" is now kept
    assert data.paths[0] == str(root / "mp3" / MTAT_CLIPS[0][1])
    assert list(data.target_names[:2]) == ["guitar", "classical"]


def test_magnatagatune_without_file_checks_keeps_other_empty_files(tmp_path):
    root = _write_mtat(tmp_path / "mtat")
    (root / MTAT_CLIPS[0][1]).unlink()
    with pytest.warns(UserWarning, match="norine_braun") as record:
        data = load_magnatagatune(root, n_tags=4, check_files=False)
    assert len(record) == 1
    assert list(data.clip_ids) == ["2", "6", "10", "16", "20", "40"]  # the known broken file is always skipped


def test_magnatagatune_missing_audio_file_is_named(tmp_path):
    root = _write_mtat(tmp_path / "mtat")
    (root / MTAT_CLIPS[2][1]).unlink()
    with pytest.warns(UserWarning), pytest.raises(FileNotFoundError, match="fantasia_de_mr_newman") as info:
        load_magnatagatune(root, n_tags=4)
    assert isinstance(info.value, AudioFileNotFoundError)
    assert "check_files=False" in str(info.value)


def test_magnatagatune_wrong_root(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_magnatagatune(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"annotations_final\.csv not found.*\n.*clip_id"):
        load_magnatagatune(tmp_path)
    root = _write_mtat(tmp_path / "mtat")
    for folder in ("0", "3", "5", "6", "c", "d", "f"):
        for path in (root / folder).iterdir():
            path.unlink()
        (root / folder).rmdir()
    with pytest.warns(UserWarning), pytest.raises(FileNotFoundError, match=r"audio folders 0/ \.\.\. f/"):
        load_magnatagatune(root, n_tags=4)


def test_magnatagatune_bad_files_and_parameters(tmp_path):
    root = _write_mtat(tmp_path / "mtat")
    with pytest.raises(ValueError, match="n_tags must be an integer from 1 to 6"):
        load_magnatagatune(root)  # the default 50 is more than this copy's 6 tags
    (root / "annotations_final.csv").write_text(
        (root / "annotations_final.csv").read_text().replace("\t", ",")
    )  # comma-separated: not the published format
    with pytest.raises(ValueError, match="tab-separated"):
        load_magnatagatune(root, n_tags=4)


# ---------------------------------------------------------------------------
# MSD
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# GTZAN
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Generic CSV and folders
# ---------------------------------------------------------------------------


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
