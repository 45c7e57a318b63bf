"""Linear tag heads on multi-level features (benchmarks/corpus/tag_head.py): targets, game-grouped selection."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.corpus import tag_head


def test_teacher_logits_invert_the_sigmoid_and_stay_finite_at_0_and_1():
    p = np.array([[0.0, 0.25, 0.5, 1.0]])
    logits = tag_head.teacher_logits(p)
    assert np.isfinite(logits).all()
    np.testing.assert_allclose(1 / (1 + np.exp(-logits[0, 1:3])), [0.25, 0.5])


def test_games_cv_agreement_is_high_for_features_that_carry_the_tags_and_chance_for_noise():
    rng = np.random.default_rng(0)
    n, n_tags = 240, 6
    logits = rng.standard_normal((n, n_tags)) * 2
    tags = 1 / (1 + np.exp(-logits))
    games = np.repeat(np.arange(8), n // 8)
    carrying = np.hstack([logits @ rng.standard_normal((n_tags, 20)), rng.standard_normal((n, 10))])
    assert tag_head.games_cv_agreement(carrying, tags, games, alpha=1.0) > 0.95
    noise = rng.standard_normal((n, 30))
    assert abs(tag_head.games_cv_agreement(noise, tags, games, alpha=1.0) - 0.5) < 0.1


def test_scored_games_must_be_held_out():
    with pytest.raises(SystemExit):
        tag_head.main(["--heldout-games", "validation", "--eval-games", "batch2"])
