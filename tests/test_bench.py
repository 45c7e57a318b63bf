"""sktag bench: the packaged transfer-learning benchmark on a tiny user dataset and the shared tasks."""

import csv
import functools
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile

from sktag.bench import shared_tasks, transfer
from sktag.cli import main

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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


def test_bench_refuses_to_run_without_data_or_tasks(tmp_path, monkeypatch):
    monkeypatch.delenv("SKTAG_SHARED_DATA", raising=False)
    with pytest.raises(SystemExit, match="--data"):
        main(["bench", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="no task to run"):
        main(["bench", "--no-shared", "--out", str(tmp_path)])


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
