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


def _teacher(rng, n: int, n_tags: int, n_games: int):
    """Random teacher logits, their probabilities and each clip's game (``n // n_games`` clips per game)."""
    logits = rng.standard_normal((n, n_tags)) * 2
    return logits, 1 / (1 + np.exp(-logits)), np.repeat(np.arange(n_games), n // n_games)


def test_games_cv_agreement_is_high_for_features_that_carry_the_tags_and_chance_for_noise():
    rng = np.random.default_rng(0)
    n, n_tags = 240, 6
    logits, tags, games = _teacher(rng, n, n_tags, 8)
    carrying = np.hstack([logits @ rng.standard_normal((n_tags, 20)), rng.standard_normal((n, 10))])
    assert tag_head.games_cv_agreement(carrying, tags, games, alpha=1.0) > 0.95
    noise = rng.standard_normal((n, 30))
    assert abs(tag_head.games_cv_agreement(noise, tags, games, alpha=1.0) - 0.5) < 0.1


def test_scored_games_must_be_held_out():
    with pytest.raises(SystemExit):
        tag_head.main(["--heldout-games", "validation", "--eval-games", "batch2"])


def test_normal_scores_keep_each_tags_ranking_as_standard_normal_quantiles():
    p = np.array([[0.9, 0.1], [0.2, 0.3], [0.5, 0.2], [0.99, 0.0]])
    scores = tag_head.normal_scores(p)
    assert (np.argsort(scores, axis=0) == np.argsort(p, axis=0)).all()
    np.testing.assert_allclose(scores.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(np.sort(scores[:, 0]), [-1.1503, -0.3186, 0.3186, 1.1503], atol=1e-4)


def test_calibrated_head_is_one_linear_map_to_the_teachers_logits_keeping_the_ridges_ranking():
    rng = np.random.default_rng(0)
    n, n_tags = 400, 4
    logits, tags, games = _teacher(rng, n, n_tags, 10)
    X = np.hstack([logits @ rng.standard_normal((n_tags, 12)), 0.1 * rng.standard_normal((n, 5))]) + 3.0
    coef, intercept = tag_head.calibrated_head(X, tags, games, alpha=1.0, target=tag_head.normal_scores)
    assert coef.shape == (n_tags, 17) and intercept.shape == (n_tags,)
    calibrated = X @ coef.T + intercept
    ridge = tag_head.ridge_head(1.0).fit(X, tag_head.normal_scores(tags)).predict(X)
    assert (np.argsort(calibrated, axis=0) == np.argsort(ridge, axis=0)).all()
    # normal scores are not logits: the calibration brings the outputs back to the teacher's scale
    assert np.abs(calibrated - logits).mean() < 0.5 < np.abs(ridge - logits).mean()


def test_top5_overlap_counts_shared_top_tags():
    teacher = np.array([[9, 8, 7, 6, 5, 0, 0, 0], [0, 0, 0, 5, 6, 7, 8, 9]], dtype=float)
    assert tag_head.top5_overlap(teacher, teacher) == 1.0
    swapped = teacher.copy()
    swapped[0, [0, 7]] = swapped[0, [7, 0]]  # the top tag of clip 0 falls out of its top 5
    assert tag_head.top5_overlap(teacher, swapped) == 0.9


def test_the_scored_games_must_not_be_those_the_head_is_chosen_on():
    with pytest.raises(SystemExit):
        tag_head.main(["--select-games", "validation", "--eval-games", "validation2"])
