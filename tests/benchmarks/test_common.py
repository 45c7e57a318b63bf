"""The benchmark suite's layout (python -m benchmarks.<group>.<script>) and its shared helpers (benchmarks/common.py).

The scripts themselves train or extract for minutes to hours; here only their ``--help``
and the pieces that need no audio run.
"""

from __future__ import annotations

import importlib
import json
import os

import numpy as np
import pytest

from benchmarks import common
from sktag.metrics import tag_scores

#: Every script of the quality, recipe, release and speed groups.
SCRIPTS = (
    "benchmarks.quality.transfer",
    "benchmarks.quality.bag_of_features",
    "benchmarks.quality.generalisation",
    "benchmarks.recipes.distill_game_music",
    "benchmarks.recipes.artist_game_music",
    "benchmarks.release.ship_weights",
    "benchmarks.speed.throughput",
    "benchmarks.speed.peers",
    "benchmarks.speed.cpu_speedups",
    "benchmarks.speed.cpu_sharing",
    "benchmarks.speed.precision",
    "benchmarks.speed.memory",
)


@pytest.mark.parametrize("module", SCRIPTS)
def test_script_help_names_its_python_m_command(module, capsys):
    with pytest.raises(SystemExit) as exit_info:
        importlib.import_module(module).main(["--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: python -m {module} ")


def test_command_records_a_runnable_line():
    assert common.command("benchmarks.quality.generalisation", ["--name", "a b", "--games", "x,y"]) == (
        "python -m benchmarks.quality.generalisation --name 'a b' --games x,y"
    )


def test_write_results_writes_json_csv_and_markdown(tmp_path, capsys):
    common.write_results(
        "run",
        {"a": np.float32(0.5)},
        ["# run", "", "text"],
        out=tmp_path / "new",
        csv_rows=[{"batch_size": 1, "rate": 2.5}, {"batch_size": 16, "rate": 3.0}],
    )
    assert json.loads((tmp_path / "new" / "run.json").read_text()) == {"a": 0.5}
    assert (tmp_path / "new" / "run.csv").read_text().splitlines() == ["batch_size,rate", "1,2.5", "16,3.0"]
    assert (tmp_path / "new" / "run.md").read_text() == "# run\n\ntext\n"
    assert capsys.readouterr().out == "# run\n\ntext\n"
    common.write_results("md_only", None, ["x"], out=tmp_path)
    assert sorted(p.name for p in tmp_path.glob("md_only*")) == ["md_only.md"]


def test_speed_helpers(monkeypatch):
    from benchmarks import speed
    from benchmarks.speed import common as speed_common

    assert speed.machine is speed_common.machine  # benchmarks.corpus imports it from benchmarks.speed
    assert f"{os.cpu_count()} logical cores" in speed.machine()
    calls = []
    rate = speed_common.segments_per_second(lambda x: calls.append(x.shape), 3, False, 0.0)
    assert rate > 0 and calls == [(3, speed_common.SEGMENT)] * 3  # a warm-up call, then at least two
    monkeypatch.setattr(speed_common, "cpu_has_native_bf16", lambda: True)
    assert speed_common.results_stem("speed") == "speed"
    monkeypatch.setattr(speed_common, "cpu_has_native_bf16", lambda: False)
    monkeypatch.setattr(speed_common, "cpu_class", lambda: "avx2")
    assert speed_common.results_stem("speed") == "speed_avx2"


def test_teacher_agreement_is_tag_scores_top_10_percent_and_at_one_half():
    rng = np.random.default_rng(0)
    teacher = rng.uniform(0, 0.45, size=(60, 3)).astype(np.float32)
    teacher[:8, 0] = 0.9  # tag a: 8 clips at >= 0.5; tag b: 3; tag c: none
    teacher[:3, 1] = 0.8
    proba = np.clip(teacher + rng.normal(0, 0.1, teacher.shape), 0, 1)
    scores = common.teacher_agreement(teacher, proba, ["a", "b", "c"])
    top = tag_scores(teacher, proba, top_fraction=0.1)
    assert scores["clips"] == 60
    assert scores["roc_auc_top10"] == top["roc_auc"] and scores["pr_auc_top10"] == top["pr_auc"]
    assert list(scores["per_tag_roc_auc_top10"]) == ["a", "b", "c"]
    assert scores["tags_at_0.5"] == ["a"]
    assert scores["roc_auc_at_0.5"] == tag_scores((teacher[:, :1] >= 0.5).astype(np.int8), proba[:, :1])["roc_auc"]
    assert common.teacher_agreement(teacher, teacher)["roc_auc_top10"] == 1.0
    assert "per_tag_roc_auc_top10" not in common.teacher_agreement(teacher, proba)
    assert np.isnan(common.teacher_agreement(teacher[:, 2:], proba[:, 2:])["roc_auc_at_0.5"])


@pytest.fixture
def fake_game_music(tmp_path, monkeypatch):
    """A game_music folder of six clips of three games, with teacher tags of two tags."""
    rows = [
        ("c0", "g1", "train"),
        ("c1", "g2", "valid"),
        ("c2", "g1", "test"),
        ("c3", "g3", "train"),
        ("c4", "g2", "test"),
        ("c5", "g1", "valid"),
    ]
    (tmp_path / "clips.csv").write_text(
        "clip_id,path,game,split\n" + "".join(f"{clip},audio/{clip}.mp3,{game},{split}\n" for clip, game, split in rows)
    )
    (tmp_path / "teacher_mtt50.csv").write_text(
        "clip_id,rock,calm\n" + "".join(f"{clip},0.{i},0.{9 - i}\n" for i, (clip, _, _) in enumerate(rows))
    )
    monkeypatch.setattr(common, "GAME_MUSIC", tmp_path)
    common.teacher_tags.cache_clear()
    yield tmp_path
    common.teacher_tags.cache_clear()


def test_game_music_clips_and_teacher_targets(fake_game_music):
    ids = [r["clip_id"] for r in common.game_music_clips()]
    assert ids == ["c0", "c1", "c2", "c3", "c4", "c5"]
    assert [r["clip_id"] for r in common.game_music_clips("valid")] == ["c1", "c5"]
    assert [r["clip_id"] for r in common.game_music_clips(games={"g1"})] == ["c0", "c2", "c5"]
    assert [r["clip_id"] for r in common.game_music_clips("test", exclude_games={"g1"})] == ["c4"]
    assert common.teacher_tags()[0] == ["rock", "calm"]
    paths, y = common.teacher_targets(common.game_music_clips("test"))
    assert paths == [str(fake_game_music / "audio" / "c2.mp3"), str(fake_game_music / "audio" / "c4.mp3")]
    np.testing.assert_allclose(y, [[0.2, 0.7], [0.4, 0.5]])


def test_distillation_sets_keep_split_order_and_score_held_out_games(fake_game_music):
    from benchmarks.recipes.distill_game_music import scored_sets, training_sets

    X, y, X_valid, y_valid = training_sets(["train"], {"g3"})
    assert [p[-6:-4] for p in X] == ["c0"] and [p[-6:-4] for p in X_valid] == ["c1", "c5"]
    X, y, X_valid, y_valid = training_sets(["train", "valid"], set())
    assert [p[-6:-4] for p in X] == ["c0", "c3", "c1", "c5"] and X_valid is None and y_valid is None
    assert y.shape == (4, 2)
    sets = scored_sets({"g1"})
    assert [p[-6:-4] for p in sets["test"][0]] == ["c4"]
    assert [p[-6:-4] for p in sets["held_out_games"][0]] == ["c0", "c5", "c2"]  # train, valid, test
    assert list(scored_sets(set())) == ["test"]


def test_generalisation_clip_sets(fake_game_music):
    from benchmarks.quality.generalisation import clip_sets

    sets = {name: [r["clip_id"] for r in rows] for name, rows in clip_sets({"g1", "g3"}).items()}
    assert sets == {
        "held-out games, test split": ["c2"],
        "other games, test split": ["c4"],
        "held-out games, all splits": ["c0", "c2", "c3", "c5"],
    }
