"""Tagging speed (benchmarks/speed/tagging.py): what each timed run reports."""

from __future__ import annotations

import numpy as np
import soundfile

from benchmarks.speed import tagging
from sktag.training import save_clip_head


def test_tagging_speed_times_predict_proba_and_says_where_the_tags_come_from(tiny_tagger_checkpoint, tmp_path):
    _, checkpoint, X = tiny_tagger_checkpoint
    with_head = tmp_path / "head.pt"
    save_clip_head(with_head, str(checkpoint), ["block4"], np.ones((3, 32)), np.zeros(3))
    clips = [str(tmp_path / f"c{i}.wav") for i in range(3)]
    for path, x in zip(clips, X):
        soundfile.write(path, x, 8000)
    own = tagging.tagging_speed(str(checkpoint), "fp32", clips)
    head = tagging.tagging_speed(str(with_head), "fp32", clips)
    assert own["tags_from"] == "own output layer" and head["tags_from"] == "clip-level head"
    for row in (own, head):
        assert row["seconds"] > 0 and row["clips_per_s"] == len(clips) / row["seconds"]
