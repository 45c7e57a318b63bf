"""The held-out scores of issue 26's distillation (benchmarks/corpus/heldout.py): composers kept,
track-grouped accuracy."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest

from benchmarks.corpus import heldout
from benchmarks.corpus.heldout import composer_accuracy, composer_subset


def test_composer_subset_keeps_credited_composers_with_enough_tracks():
    clips = pd.DataFrame(
        {
            "artist": ["a"] * 3 + ["b"] * 2 + ["unknown"] * 3,
            "track_id": ["a1", "a2", "a3", "b1", "b2", "u1", "u2", "u3"],
        }
    )
    assert set(composer_subset(clips).artist) == {"a"}
    assert set(composer_subset(clips, min_tracks=2).artist) == {"a", "b"}


def test_composer_accuracy_never_splits_a_track():
    # features that only say which track a clip is from: perfect if tracks leaked across folds
    rng = np.random.default_rng(0)
    tracks = np.repeat(np.arange(30), 4)
    y = tracks % 3
    X = np.eye(30)[tracks] + 0.01 * rng.standard_normal((120, 30))
    accuracy, _ = composer_accuracy(X, y, tracks, seeds=2)
    assert accuracy < 0.6
    leaked, _ = composer_accuracy(X, y, np.arange(120), seeds=2)
    assert leaked == pytest.approx(1.0)


def test_game_sets_are_corpus_packages_and_validation2_leaves_training_games():
    from benchmarks.corpus.heldout import GAME_SETS, VALIDATION_GAMES
    from benchmarks.corpus.packages import PACKAGES, RESERVED, SECOND_BATCH

    names = {p.name for p in PACKAGES}
    for games in GAME_SETS.values():
        assert set(games) <= names and not set(games) & RESERVED
    assert GAME_SETS["batch2"] == tuple(p.name for p in SECOND_BATCH)
    validation2 = set(GAME_SETS["validation2"])
    assert set(VALIDATION_GAMES) < validation2 < set(GAME_SETS["validation+batch2"])
    # the games validation2 leaves to training: the second batch's mostly uncredited ones
    left = set(GAME_SETS["batch2"]) - validation2
    assert left == {"berusky2-data", "starfighter-data", "warmux-data", "fillets-ng-data"}


def test_resolve_games_takes_a_set_name_or_packages_and_keys_the_cache_by_it():
    from benchmarks.corpus.heldout import GAME_SETS, games_key, resolve_games

    assert resolve_games("batch2") == GAME_SETS["batch2"]
    assert resolve_games("naev-data,xmoto-data") == ("naev-data", "xmoto-data")
    assert games_key("validation2") == "validation2"
    assert games_key("naev-data,xmoto-data") == "naev-data-xmoto-data"


def test_scored_games_are_the_held_out_ones_or_a_subset_never_a_training_game():
    parser = argparse.ArgumentParser()
    heldout.add_heldout_options(parser)
    args = parser.parse_args(["--heldout-games", "validation+batch2", "--eval-games", "validation2"])
    assert heldout.scored_games(parser, args.heldout_games, args.eval_games) == heldout.GAME_SETS["validation2"]
    assert heldout.scored_games(parser, "validation", None) == heldout.GAME_SETS["validation"]
    with pytest.raises(SystemExit):
        heldout.scored_games(parser, "validation", "batch2")
