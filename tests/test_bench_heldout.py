"""sktag bench: held-out games by track-grouped cross-validation, and random-init rows."""

import argparse
import csv
import dataclasses

import numpy as np
import pytest
import soundfile
from sklearn.base import BaseEstimator

from sktag.bench import heldout_tasks, transfer
from sktag.cli import main
from sktag.weights import DEFAULT_WEIGHTS

#: game -> (composer, number of tracks), each track two clips: three composers of 3 tracks in "alpha";
#: in "beta" one of 3, one of 2 (too few) and uncredited tracks.
CORPUS = {"alpha": [("Ann", 3), ("Bob", 3), ("Cid", 3)], "beta": [("Dee", 3), ("Eve", 2), ("unknown", 3)]}
TAGS = [f"tag{k}" for k in range(50)]
#: Tiny corpora: a tag's few positives can all sit in one fold's test tracks.
NO_POSITIVES_IN_TRAINING = "ignore:Label not .* is present in all training examples:UserWarning"


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


class _ScoresAreFeatures(BaseEstimator):
    """A head whose tag scores are its features."""

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return X


@pytest.mark.filterwarnings(NO_POSITIVES_IN_TRAINING)
def test_score_is_the_mean_over_the_track_grouped_folds(tmp_path):
    composer, tags = heldout_tasks(_corpus(tmp_path / "corpus"))
    head = transfer.heads()["LogisticRegression"]
    tracks = sorted(set(composer.groups))
    by_track = (composer.groups[:, None] == np.asarray(tracks)[None, :]).astype(np.float64)
    # features that name the track: perfect where a track's other clip is in training, useless across tracks
    assert transfer.score(head(False), dataclasses.replace(composer, groups=composer.clip_ids), by_track) == 1.0
    assert transfer.score(head(False), composer, by_track) < 0.5
    composers = sorted(set(composer.y))
    by_composer = (composer.y[:, None] == np.asarray(composers)[None, :]).astype(np.float64)
    assert transfer.score(head(False), composer, by_composer) == 1.0

    with open(tmp_path / "corpus" / "teacher_mtt50.csv", newline="") as f:
        teacher = np.asarray([row[1:] for row in list(csv.reader(f))[1:]], dtype=np.float64)
    # the teacher's own probabilities rank each tag's top 10 % first, in every fold's test clips that have both classes
    assert transfer.score(_ScoresAreFeatures(), tags, teacher) == 1.0
    assert 0.2 < transfer.score(head(True), tags, np.random.default_rng(0).standard_normal((34, 8))) < 0.8


def test_heldout_tasks_refuse_a_folder_without_clips_or_composers(tmp_path):
    with pytest.raises(FileNotFoundError, match="has no clips.csv"):
        heldout_tasks(tmp_path)
    root = _corpus(tmp_path / "corpus")
    with pytest.raises(ValueError, match=r"1 credited composers with >= 3 tracks in the games beta.*at least 2"):
        heldout_tasks(root, games=["beta"])
    with pytest.raises(ValueError, match=r"no clips of the games \['gamma'\]; it has \['alpha', 'beta'\]"):
        heldout_tasks(root, games=["alpha", "gamma"])


@pytest.mark.filterwarnings(NO_POSITIVES_IN_TRAINING)
def test_bench_runs_the_heldout_tasks_and_reports_the_grouped_folds(tmp_path, capsys):
    root = _corpus(tmp_path / "corpus")
    out = tmp_path / "results"
    assert (
        main(
            [
                "bench",
                "--no-shared",
                "--heldout-corpus",
                str(root),
                "--heldout-games",
                "alpha",
                "--extractors",
                "peer",
                "--heads",
                "LogisticRegression",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    with open(out / "transfer.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["task"], r["metric"], r["features"]) for r in rows] == [
        ("heldout-composer", "accuracy", "musicnn max_pool (peer)"),
        ("heldout-teacher-tags", "macro ROC-AUC", "musicnn max_pool (peer)"),
    ]
    report = (out / "transfer.md").read_text()
    assert "(heldout-composer, heldout-teacher-tags: mean over 5 folds of cross-validation grouped by track" in report

    capsys.readouterr()
    assert main(["bench", "--no-shared", "--heldout-corpus", str(tmp_path), "--out", str(out)]) == 2
    assert f"sktag bench: error: {tmp_path} has no clips.csv" in capsys.readouterr().err
    assert (
        main(["bench", "--no-shared", "--heldout-corpus", str(root), "--heldout-games", "beta", "--out", str(out)]) == 2
    )
    assert "heldout-composer needs at least 2" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="--heldout-games picks games of --heldout-corpus"):
        main(["bench", "--no-shared", "--heldout-games", "alpha", "--out", str(out)])


def test_random_init_rows_are_baselines_in_the_summary(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    transfer.add_arguments(parser)
    defaults = parser.parse_args([]).extractors.split(",")
    assert [name for name in defaults if name.startswith("random:")] == [
        f"random:{DEFAULT_WEIGHTS[family]}" for family in ("SampleCNN", "MelCNN", "ArtistCNN")
    ]

    row = {
        "task": "heldout-composer",
        "metric": "accuracy",
        "head": "LogisticRegression",
        "n_features": 8,
        "extract_seconds": 1.0,
    }
    rows = [
        dict(row, features="samplecnn-3x9 random init multi-level (block7)", score=0.9),
        dict(row, features="samplecnn-3x9 multi-level (block7)", score=0.5),
        dict(row, features="MFCC statistics", score=0.4),
    ]
    transfer.write_report(rows, tmp_path)
    summary = (tmp_path / "transfer.md").read_text().split("## Best per task")[1].split("##")[0]
    assert (
        "| heldout-composer | accuracy | samplecnn-3x9 multi-level (block7), LogisticRegression | 0.500 | "
        "0.400 |  | 0.900 |" in summary
    )


@pytest.mark.parametrize("weights", sorted(DEFAULT_WEIGHTS.values()))
def test_random_network_has_the_checkpoints_architecture(weights):
    clip = [np.random.default_rng(0).standard_normal(8000).astype(np.float32)]
    shipped = transfer.network_features(weights).fit(clip)
    random = transfer.network_features(f"random:{weights}").fit(clip)
    assert random.weights is None and random.weights_id_.startswith("random-")
    assert (random.layers_, random.segment_length_, random.analysis_rate_) == (
        shipped.layers_,
        shipped.segment_length_,
        shipped.analysis_rate_,
    )
    assert list(random.get_feature_names_out()) == list(shipped.get_feature_names_out())


@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # 0.25 s tones, shorter than a 3^9 segment
def test_random_extractor_gives_seeded_features_unlike_the_shipped_ones(tmp_path):
    (composer, _) = heldout_tasks(_corpus(tmp_path / "corpus"))
    two = transfer.Task("two", composer.paths[:2], composer.y[:2], np.asarray(["train", "test"]), composer.clip_ids[:2])
    shipped = transfer.extract("samplecnn-3x9", two, str(tmp_path / "cache"))
    first = transfer.extract("random:samplecnn-3x9", two, str(tmp_path / "cache"))
    again = transfer.extract("random:samplecnn-3x9", two, str(tmp_path / "other_cache"))
    assert list(first) == [
        "samplecnn-3x9 random init multi-level (block7,block8,block9)",
        "samplecnn-3x9 random init last layer (block9)",
    ]
    for (name, X), Y, Z in zip(first.items(), again.values(), shipped.values()):
        assert X.shape == Z.shape and np.array_equal(X, Y), name
        assert not np.allclose(X, Z), name
