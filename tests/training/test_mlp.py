"""MLPTagger: multi-label and multi-class training, early stopping, grid search."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV

from sktag import MLPTagger

FAST = {"hidden_layer_sizes": (32,), "optimizer": "adam", "lr": 0.01, "random_state": 0}


def _multilabel(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 10)).astype(np.float32) * 5 + 3  # standardize=True must cope with the scale
    Y = np.stack([X[:, 0] > 3, X[:, 1] + X[:, 2] > 6, X[:, 3] < 3], axis=1).astype(int)
    return X, Y


def test_learns_multilabel_tags():
    X, Y = _multilabel()
    mlp = MLPTagger(**FAST, max_epochs=60).fit(X[:150], Y[:150])
    proba = mlp.predict_proba(X[150:])
    assert proba.shape == (50, 3) and ((proba >= 0) & (proba <= 1)).all()
    assert roc_auc_score(Y[150:], proba, average="macro") > 0.9
    predicted = mlp.predict(X[150:])
    assert predicted.shape == (50, 3) and set(np.unique(predicted)) <= {0, 1}
    np.testing.assert_array_equal(mlp.classes_, [0, 1, 2])


def test_tag_names_from_a_dataframe_and_soft_targets():
    pd = pytest.importorskip("pandas")
    X, Y = _multilabel()
    soft = pd.DataFrame(np.clip(Y * 0.8 + 0.1, 0, 1), columns=["rock", "piano", "quiet"])
    mlp = MLPTagger(**FAST, max_epochs=5).fit(X, soft)
    assert list(mlp.classes_) == ["rock", "piano", "quiet"]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        MLPTagger(**FAST, max_epochs=1).fit(X, Y * 2.0)


def test_multiclass_labels_and_probabilities():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((150, 4)).astype(np.float32)
    y = np.array(["low", "mid", "high"])[np.digitize(X[:, 0], [-0.5, 0.5])]
    mlp = MLPTagger(**FAST, max_epochs=60).fit(X, y)
    assert list(mlp.classes_) == ["high", "low", "mid"]
    proba = mlp.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert (mlp.predict(X) == y).mean() > 0.9


def test_early_stopping_stops_and_keeps_the_best_weights():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((120, 20)).astype(np.float32)
    y = rng.integers(0, 2, 120)  # noise: validation loss soon rises
    mlp = MLPTagger(
        (256,),
        optimizer="adam",
        lr=0.01,
        dropout=0.0,
        max_epochs=200,
        patience=3,
        validation_fraction=0.25,
        random_state=0,
    ).fit(X, y)
    losses = mlp.history_[:, "valid_loss"]
    assert len(losses) < 200
    best = int(np.argmin(losses))
    assert len(losses) == best + 1 + 3  # stopped `patience` epochs after the best


def test_no_validation_runs_every_epoch():
    X, Y = _multilabel(40)
    mlp = MLPTagger(**FAST, max_epochs=7, validation_fraction=None).fit(X, Y)
    assert len(mlp.history_) == 7 and "valid_loss" not in mlp.history_[-1]


def test_grid_search_and_pickling():
    X, Y = _multilabel(120)
    search = GridSearchCV(
        MLPTagger(**FAST, max_epochs=20), {"hidden_layer_sizes": [(8,), (32, 32)]}, scoring="roc_auc", cv=2
    ).fit(X, Y)
    assert search.best_params_["hidden_layer_sizes"] in [(8,), (32, 32)]
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_allclose(restored.predict_proba(X), search.best_estimator_.predict_proba(X))
    assert clone(search.best_estimator_).get_params()["hidden_layer_sizes"] == search.best_params_["hidden_layer_sizes"]


def test_bad_hidden_layer_sizes():
    X, Y = _multilabel(20)
    with pytest.raises(ValueError, match="positive integers"):
        MLPTagger((32, 0)).fit(X, Y)
