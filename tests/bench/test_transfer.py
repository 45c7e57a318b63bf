"""sktag bench (sktag/bench/transfer.py): the transfer-learning benchmark on a tiny user dataset and on held-out games
(track-grouped folds), and random-init rows."""

import argparse
import csv
import dataclasses
import functools
import tempfile

import numpy as np
import pytest
import soundfile
from sklearn.base import BaseEstimator

from sktag.bench import heldout_tasks, transfer
from sktag.cli import main
from sktag.weights import DEFAULT_WEIGHTS
from tests.bench.test_tasks import _corpus


def _tone_folder(root, n_per_class=8, sr=16000):
    rng = np.random.default_rng(0)
    t = np.arange(sr // 2) / sr
    for label, freq in (("low", 220), ("high", 3000)):
        (root / label).mkdir(parents=True)
        for k in range(n_per_class):
            y = 0.3 * np.sin(2 * np.pi * freq * rng.uniform(0.9, 1.1) * t) + 0.02 * rng.standard_normal(len(t))
            soundfile.write(root / label / f"{k}.wav", y.astype(np.float32), sr)
    return root


@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # 0.5 s tones, shorter than a 3^9 segment
def test_bench_runs_a_users_folder_and_writes_the_table_csv_and_plot(tmp_path, capsys, monkeypatch):
    folder = _tone_folder(tmp_path / "tones")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    # MFCCs of 16 clips here, not in two worker processes that would each import librosa first (6 s)
    monkeypatch.setattr(transfer, "mfcc_statistics", functools.partial(transfer.mfcc_statistics, n_jobs=1))
    out = tmp_path / "results"
    status = main(
        [
            "bench",
            "--no-shared",
            "--folder",
            str(folder),
            "--extractors",
            "mfcc,samplecnn-3x9,samplecnn-3x9+artist-siamese-gamemusic",
            "--heads",
            "LogisticRegression",
            "--out",
            str(out),
            "--suffix",
            "_tones",
        ]
    )
    assert status == 0
    table = (out / "transfer_tones.md").read_text()
    assert "## tones (accuracy)" in table and "MFCC statistics" in table and "samplecnn-3x9 multi-level" in table
    summary = table.split("## Best per task")[1].split("##")[0]
    assert "| tones | accuracy | MFCC statistics" not in summary  # a baseline is never sktag's best
    assert (
        "| tones | accuracy | samplecnn-3x9 multi-level (block7,block8,block9), LogisticRegression | 1.000 | "
        "1.000 |  |" in summary
    )  # MFCC scored, no peer features for a user's folder
    with open(out / "transfer_tones.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["features"].split(" (")[0] for r in rows] == [
        "MFCC statistics",
        "samplecnn-3x9 multi-level",
        "samplecnn-3x9 last layer",
        "samplecnn-3x9 + artist-siamese-gamemusic multi-level",
    ]
    assert int(rows[3]["n_features"]) == int(rows[1]["n_features"]) + 128 + 128 + 256  # artist CNN: blocks 3-5
    scores = [float(r["score"]) for r in rows]
    assert all(s == 1.0 for s in scores)  # a low and a high tone: every extractor separates them
    assert (out / "transfer_tones.png").stat().st_size > 1000
    assert not list(scratch.iterdir())  # the activation cache is removed
    assert "StandardScaler (LogisticRegression C=0.1; one-vs-rest" in table  # only the heads that ran

    # parts run apart merge into one report; a later file's row replaces an earlier one's
    changed = [dict(r, score="0.5") for r in rows[:1]] + [dict(r, task="other") for r in rows[1:2]]
    with open(tmp_path / "later.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(changed)
    assert (
        main(
            [
                "bench",
                "--merge",
                str(out / "transfer_tones.csv"),
                str(tmp_path / "later.csv"),
                "--out",
                str(out),
                "--suffix",
                "_merged",
            ]
        )
        == 0
    )
    with open(out / "transfer_merged.csv", newline="") as f:
        merged = list(csv.DictReader(f))
    assert [(r["task"], r["features"], float(r["score"])) for r in merged] == [
        ("tones", rows[0]["features"], 0.5),
        *[("tones", r["features"], 1.0) for r in rows[1:]],
        ("other", rows[1]["features"], 1.0),
    ]
    assert "## other (accuracy)" in (out / "transfer_merged.md").read_text()


def test_bench_refuses_to_run_without_data_or_tasks(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SKTAG_SHARED_DATA", raising=False)
    with pytest.raises(SystemExit, match="--data"):
        main(["bench", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="no task to run"):
        main(["bench", "--no-shared", "--out", str(tmp_path)])
    for seeds in ("0", "-1", "two"):
        with pytest.raises(SystemExit) as refused:
            main(["bench", "--no-shared", "--random-seeds", seeds, "--out", str(tmp_path)])
        assert refused.value.code == 2
        assert f"sktag bench: error: argument --random-seeds: give an integer >= 1, got '{seeds}'" in (
            capsys.readouterr().err
        )


#: Tiny corpora: a tag's few positives can all sit in one fold's test tracks.
NO_POSITIVES_IN_TRAINING = "ignore:Label not .* is present in all training examples:UserWarning"


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
    report = (tmp_path / "transfer.md").read_text()
    summary = report.split("## Best per task")[1].split("##")[0]
    assert (
        "| heldout-composer | accuracy | samplecnn-3x9 multi-level (block7), LogisticRegression | 0.500 | "
        "0.400 |  | 0.900 |" in summary
    )
    assert "random seeds" not in report

    # --random-seeds 2, merged with the earlier single network (seed 0's again) and another family's single network:
    # the summary's random init is the mean over seeds, never one seed, nor a single network of a family with a mean
    seeded = [
        dict(row, features="samplecnn-3x9 random init (seed 0) multi-level (block7)", score=0.9),
        dict(row, features="samplecnn-3x9 random init (seed 1) multi-level (block7)", score=0.6),
        dict(row, features="samplecnn-3x9 random init (mean of 2 seeds) multi-level (block7)", score=0.75),
        dict(row, features="melcnn-54f random init multi-level (block1)", score=0.7),
    ]
    for melcnn, cell in ((0.7, "0.750"), (0.8, "0.800")):
        transfer.write_report(rows + seeded[:3] + [dict(seeded[3], score=melcnn)], tmp_path, suffix="_seeds")
        report = (tmp_path / "transfer_seeds.md").read_text()
        summary = report.split("## Best per task")[1].split("##")[0]
        assert f"| 0.500 | 0.400 |  | {cell} |" in summary
        assert "one-vs-rest for tags). Random init: 2 random seeds per network (random_state 0, 1, ...)" in report
    # the plot shows the mean over seeds as one bar, not a bar per seed
    bars = transfer.plot_bars(rows + seeded, "heldout-composer")
    assert bars["samplecnn-3x9 random init (mean of 2 seeds) multi-level (block7)"] == 0.75
    assert not any("(seed " in features for features in bars)
    assert "melcnn-54f random init multi-level (block1)" in bars


@pytest.mark.parametrize("weights", sorted(DEFAULT_WEIGHTS.values()))
def test_random_network_has_the_checkpoints_architecture(weights):
    clip = [np.random.default_rng(0).standard_normal(8000).astype(np.float32)]
    shipped = transfer.network_features(weights).fit(clip)
    random = transfer.network_features(f"random:{weights}").fit(clip)
    assert random.weights is None and random.weights_id_.startswith("random-") and random.random_state == 0
    assert transfer.network_features(f"random:{weights}", random_state=3).random_state == 3
    assert transfer.network_features(weights, random_state=3).random_state is None  # trained weights: no seed
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
    # --random-seeds: seed 0 is the single network, named with its seed; seed 1 another network
    seed0 = transfer.extract("random:samplecnn-3x9", two, str(tmp_path / "cache"), seed=0)
    seed1 = transfer.extract("random:samplecnn-3x9", two, str(tmp_path / "cache"), seed=1)
    assert list(seed1) == [
        "samplecnn-3x9 random init (seed 1) multi-level (block7,block8,block9)",
        "samplecnn-3x9 random init (seed 1) last layer (block9)",
    ]
    assert [name.replace("(seed 0) ", "") for name in seed0] == list(first)
    for X, Y, Z in zip(first.values(), seed0.values(), seed1.values()):
        assert np.array_equal(X, Y) and X.shape == Z.shape and not np.allclose(X, Z)


@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # 0.5 s tones, shorter than a 3^9 segment
@pytest.mark.parametrize("n_seeds", [1, 2])
def test_random_seeds_give_a_row_per_seed_and_their_mean_which_the_summary_reports(tmp_path, monkeypatch, n_seeds):
    folder = _tone_folder(tmp_path / "tones", n_per_class=4)
    scored = []

    def distinct_scores(head, task, X):
        """Each call's own score, 0.1, 0.2, ...: a mean row tells which rows it averaged."""
        scored.append(X)
        return len(scored) / 10

    monkeypatch.setattr(transfer, "score", distinct_scores)
    out = tmp_path / "results"
    argv = ["bench", "--no-shared", "--folder", str(folder), "--extractors", "random:samplecnn-3x9", "--out", str(out)]
    assert main([*argv, "--heads", "LogisticRegression,linear SVM", "--random-seeds", str(n_seeds)]) == 0
    with open(out / "transfer.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    multi, last = "multi-level (block7,block8,block9)", "last layer (block9)"
    heads = ["LogisticRegression", "linear SVM"]
    if n_seeds == 1:  # as before the option: one network, the same names
        expected = [(f"samplecnn-3x9 random init {variant}", head) for variant in (multi, last) for head in heads]
        scores, random_cell = [0.1, 0.2, 0.3, 0.4], "0.400"
    else:
        expected = [
            (f"samplecnn-3x9 random init ({which}) {variant}", head)
            for which in ("seed 0", "seed 1", "mean of 2 seeds")
            for variant in (multi, last)
            for head in heads
        ]
        # each mean row: the two seeds' scores of its features and head; the best single seed (0.8) is not reported
        scores, random_cell = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.3, 0.4, 0.5, 0.6], "0.600"
        assert not np.allclose(scored[0], scored[4])  # seed 0's and seed 1's multi-level features
        for mean, seed0, seed1 in zip(rows[8:], rows[:4], rows[4:8]):
            assert mean["n_features"] == seed0["n_features"] == seed1["n_features"]
            assert float(mean["extract_seconds"]) == round(
                float(seed0["extract_seconds"]) + float(seed1["extract_seconds"]), 1
            )
    assert [(r["features"], r["head"]) for r in rows] == expected
    assert [float(r["score"]) for r in rows] == pytest.approx(scores)

    # the report, and the same from the CSV (--merge): the summary's random init cell, the seeds in the header
    assert main(["bench", "--merge", str(out / "transfer.csv"), "--out", str(out), "--suffix", "_merged"]) == 0
    for name in ("transfer.md", "transfer_merged.md"):
        report = (out / name).read_text()
        summary = report.split("## Best per task")[1].split("##")[0]
        assert f"| tones | accuracy |  |  |  |  | {random_cell} |" in summary, name
        assert ("Random init: 2 random seeds per network" in report) == (n_seeds == 2), name
