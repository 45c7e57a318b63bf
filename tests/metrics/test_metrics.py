"""Verification metrics: equal error rate and pairwise cosine similarities."""

import numpy as np
import pytest
from scipy.stats import norm

from sktag.metrics import binarize_targets, equal_error_rate, pair_similarities, tag_scores


def test_equal_error_rate_extremes_and_a_hand_computed_case():
    assert equal_error_rate([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 0.0
    assert equal_error_rate([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 1.0
    # negatives at .1 and .3, positives at .2 and .4: any threshold errs on half of one class
    assert equal_error_rate([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(0.5)


def test_equal_error_rate_of_two_gaussians_matches_theory():
    rng = np.random.default_rng(0)
    d = 1.0  # unit-variance scores whose means differ by d: EER = Phi(-d / 2)
    scores = np.r_[rng.normal(0, 1, 50_000), rng.normal(d, 1, 50_000)]
    same = np.r_[np.zeros(50_000), np.ones(50_000)]
    assert equal_error_rate(same, scores) == pytest.approx(norm.cdf(-d / 2), abs=0.005)
    with pytest.raises(ValueError, match="both"):
        equal_error_rate(np.ones(4), np.arange(4))


def test_pair_similarities():
    z = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    same, similarity = pair_similarities(z, np.array(["a", "a", "b"]))
    assert list(same) == [1, 0, 0]
    np.testing.assert_allclose(similarity, [1.0, 0.0, 0.0], atol=1e-12)
    assert equal_error_rate(same, similarity) == 0.0


def test_tag_scores_binarize_soft_targets():
    soft = np.linspace(0, 1, 100)[:, None].repeat(2, axis=1)
    binary = binarize_targets(soft, top_fraction=0.1)
    assert binary[:, 0].sum() == 10 and binary[-10:, 0].all()
    scores = tag_scores(soft, soft)
    assert scores["roc_auc"] == pytest.approx(1.0) and scores["n_tags_scored"] == 2
    assert tag_scores(soft, -soft)["roc_auc"] == pytest.approx(0.0)
    hard = np.array([[1, 0], [0, 0], [1, 0]])
    assert tag_scores(hard, np.random.rand(3, 2))["n_tags_scored"] == 1  # a tag without positives is skipped
