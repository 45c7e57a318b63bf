"""sktag.datasets.load_magnatagatune on tiny copies of the published layout."""

from pathlib import Path

import numpy as np
import pytest

from sktag.audio import AudioFileNotFoundError
from sktag.datasets import (
    MTAT_BROKEN_FILES,
    load_magnatagatune,
)
from tests.datasets._helpers import FAKE_MP3, _check_bunch

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
