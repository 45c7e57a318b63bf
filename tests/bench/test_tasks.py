"""The benchmark's tasks (sktag/bench/tasks.py): the shared corpus's, and held-out games' in track-grouped folds."""

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile

from sktag.bench import heldout_tasks, shared_tasks

#: game -> (composer, number of tracks), each track two clips: three composers of 3 tracks in "alpha";
#: in "beta" one of 3, one of 2 (too few) and uncredited tracks.
CORPUS = {"alpha": [("Ann", 3), ("Bob", 3), ("Cid", 3)], "beta": [("Dee", 3), ("Eve", 2), ("unknown", 3)]}
TAGS = [f"tag{k}" for k in range(50)]
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _corpus(root, *, teacher=True, peers=True, sr=16000):
    """A corpus folder laid out like game_music: short tones, clips.csv, teacher_mtt50.csv, peers/."""
    rng = np.random.default_rng(0)
    rows = []
    (root / "audio").mkdir(parents=True)
    for game, composers in CORPUS.items():
        for composer, n_tracks in composers:
            for t in range(n_tracks):
                track = f"{game}_{composer}_t{t}"
                for c in range(2):
                    clip = f"{track}_c{c}"
                    y = 0.3 * np.sin(2 * np.pi * rng.uniform(200, 2000) * np.arange(sr // 4) / sr)
                    soundfile.write(root / "audio" / f"{clip}.wav", y.astype(np.float32), sr)
                    rows.append(
                        {
                            "clip_id": clip,
                            "path": f"audio/{clip}.wav",
                            "game": game,
                            "album": game,
                            "artist": composer,
                            "track_id": track,
                            "split": "train",
                        }
                    )
    with open(root / "clips.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    ids = [r["clip_id"] for r in rows]
    if teacher:
        with open(root / "teacher_mtt50.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["clip_id", *TAGS])
            for clip in ids:
                writer.writerow([clip, *np.round(rng.uniform(0, 1, len(TAGS)), 5)])
    if peers:
        (root / "peers").mkdir()
        np.savez(
            root / "peers" / "musicnn_MTT.npz",
            clip_id=np.asarray(ids),
            max_pool=rng.standard_normal((len(ids), 8)).astype(np.float16),
        )
    return root


def test_heldout_tasks_keep_composers_of_three_tracks_and_every_clip_for_the_teacher(tmp_path):
    root = _corpus(tmp_path / "corpus")
    composer, tags = heldout_tasks(root)
    assert [composer.name, tags.name] == ["heldout-composer", "heldout-teacher-tags"]
    assert sorted(set(composer.y)) == ["Ann", "Bob", "Cid", "Dee"]  # Eve: 2 tracks; unknown: uncredited
    assert len(composer.y) == 4 * 3 * 2 and len(tags.y) == 2 * (9 + 3 + 2 + 3)
    assert tags.y.shape == (34, 50) and tags.y.dtype == np.int64 and tags.multilabel
    assert (tags.y.sum(axis=0) >= 0.1 * 34).all()  # each tag's top 10 %
    assert composer.paths[0] == str(root / "audio" / "alpha_Ann_t0_c0.wav")
    assert list(composer.groups[:2]) == ["alpha_Ann_t0"] * 2 and composer.peers == root / "peers" / "musicnn_MTT.npz"

    (alpha,) = heldout_tasks(_corpus(tmp_path / "bare", teacher=False, peers=False), games=["alpha"])
    assert sorted(set(alpha.y)) == ["Ann", "Bob", "Cid"] and alpha.peers is None  # no teacher file, no peers


def test_heldout_folds_never_put_a_track_on_both_sides(tmp_path):
    for task in heldout_tasks(_corpus(tmp_path / "corpus")):
        folds = task.folds()
        assert len(folds) == 5
        for train, test in folds:
            assert not set(task.groups[train]) & set(task.groups[test]), task.name
            assert len(train) + len(test) == len(task.y)
        assert sorted(np.concatenate([test for _, test in folds])) == list(range(len(task.y)))


def test_heldout_tasks_refuse_a_folder_without_clips_or_composers(tmp_path):
    with pytest.raises(FileNotFoundError, match="has no clips.csv"):
        heldout_tasks(tmp_path)
    root = _corpus(tmp_path / "corpus")
    with pytest.raises(ValueError, match=r"1 credited composers with >= 3 tracks in the games beta.*at least 2"):
        heldout_tasks(root, games=["beta"])
    with pytest.raises(ValueError, match=r"no clips of the games \['gamma'\]; it has \['alpha', 'beta'\]"):
        heldout_tasks(root, games=["alpha", "gamma"])


@pytest.mark.skipif(not (SHARED_DATA / "game_music").is_dir(), reason="needs ../shared/data")
def test_shared_tasks_cover_the_corpus_with_train_and_test_clips():
    tasks = {t.name: t for t in shared_tasks(SHARED_DATA)}
    assert list(tasks) == ["composer", "teacher-tags", "philharmonia-tags", "instrument", "digit", "speaker"]
    for task in tasks.values():
        assert len(task.paths) == len(task.y) == len(task.split) and (task.split == "train").any()
        assert (task.split == "test").any() and Path(task.paths[0]).is_file()
    assert "unknown" not in set(tasks["composer"].y) and tasks["teacher-tags"].y.shape[1] == 50
    assert tasks["philharmonia-tags"].multilabel and not tasks["instrument"].multilabel
    with pytest.raises(FileNotFoundError, match="not the shared corpus"):
        shared_tasks(SHARED_DATA / "fixtures")
