"""Tags on Philharmonia (benchmarks/corpus/offdomain_tags.py): per-instrument tag scores."""

from __future__ import annotations

import numpy as np

from benchmarks.corpus import offdomain_tags


def test_instrument_scores_give_each_named_instruments_tag_auc_and_median_rank():
    tags = ["flute", "cello", "guitar", "slow"]
    instruments = np.array(["flute", "flute", "cello", "guitar", "oboe"])
    probabilities = np.array(
        [
            [0.9, 0.1, 0.0, 0.5],  # a flute note, its tag first
            [0.4, 0.1, 0.0, 0.5],  # a flute note, its tag second (below slow)
            [0.1, 0.2, 0.0, 0.9],  # a cello note, its tag second
            [0.0, 0.0, 0.1, 0.2],  # a guitar note, its tag second
            [0.5, 0.3, 0.0, 0.1],  # an oboe note that the flute and cello tags score high
        ]
    )
    scores = offdomain_tags.instrument_scores(probabilities, tags, instruments)
    assert scores["flute"] == (5 / 6, 1.5)  # 0.9 above all three others, 0.4 above two
    assert scores["cello"] == (0.75, 2.0)  # 0.2 above three of the four others (not the oboe's 0.3)
    assert scores["guitar"] == (1.0, 2.0)


def test_share_in_top5_counts_the_clips_with_the_tag_among_their_five_most_probable():
    tags = [f"t{i}" for i in range(7)]
    probabilities = np.array([np.arange(7), np.arange(7)[::-1]], dtype=float)  # t6..t2 first, then t0..t4 first
    assert offdomain_tags.share_in_top5(probabilities, tags, "t6") == 0.5
    assert offdomain_tags.share_in_top5(probabilities, tags, "t3") == 1.0
