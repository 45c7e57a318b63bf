"""A multi-layer perceptron head for feature matrices (arXiv:1508.04999's DNN), trained with skorch."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from torch import nn

from .._devices import resolve_device
from ._targets import check_targets
from .callbacks import epoch_table

__all__ = ["MLPTagger"]

_OPTIMIZERS = {"adadelta": (torch.optim.Adadelta, 1.0), "adam": (torch.optim.AdamW, 1e-3)}


class _MLP(nn.Module):
    """Dense ReLU layers with dropout, then a linear output layer (logits)."""

    def __init__(self, n_features: int, hidden_layer_sizes: tuple[int, ...], n_outputs: int, dropout: float):
        super().__init__()
        layers: list[nn.Module] = []
        width = n_features
        for size in hidden_layer_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, n_outputs))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class MLPTagger(ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron for multi-label tags or single-label classes, on feature matrices.

    The DNN head of the deep bag-of-features paper (arXiv:1508.04999): three
    dense layers of 512 ReLU units with dropout, trained with AdaDelta on
    mini-batches of 128; early stopping on a held-out ``validation_fraction``
    of the training set restores the weights of the best validation loss.
    A 2-D ``y`` of shape ``(n_samples, n_tags)`` is multi-label (multi-hot, or
    soft targets in [0, 1]: sigmoid outputs, binary cross-entropy); a 1-D ``y``
    holds class labels (softmax, cross-entropy). It fits after any sktag
    transformer and grid-searches like any scikit-learn classifier.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(512, 512, 512)
    dropout : float, default=0.5
        Dropout after each hidden layer.
    optimizer : {"adadelta", "adam"}, default="adadelta"
        AdaDelta (the paper's) or AdamW.
    lr : float or None, default=None
        Learning rate; ``None``: 1.0 for AdaDelta, 1e-3 for AdamW.
    weight_decay : float, default=0.0
    max_epochs : int, default=100
    batch_size : int, default=128
    validation_fraction : float or None, default=0.1
        Held out (stratified for classes) for early stopping; ``None``: train
        all ``max_epochs`` on everything. Too few samples to hold out one
        also means no early stopping.
    patience : int, default=10
        Epochs without a lower validation loss before training stops.
    standardize : bool, default=True
        Scale each input feature to zero mean and unit variance (statistics of
        the training set).
    device : str, default="auto"
        ``"auto"``: CUDA when available, else CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the validation split and the batch order.
    verbose : int, default=0
        Print skorch's epoch table.

    Attributes
    ----------
    classes_ : np.ndarray [shape=(n_outputs,)]
        Class labels, or for multi-label ``y`` the tag names (a DataFrame's
        columns, else ``0 .. n_tags - 1``).
    multilabel_ : bool
    n_features_in_ : int
    feature_names_in_ : np.ndarray [shape=(n_features,)]
        Defined when X has string column names.
    net_ : skorch.NeuralNet
        The trained network (logits out); ``history_`` is its history.
    history_ : skorch.History

    Examples
    --------
    >>> import numpy as np
    >>> from sktag import MLPTagger
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 8)).astype(np.float32)
    >>> Y = np.stack([X[:, 0] > 0, X[:, 1] > 0], axis=1).astype(int)
    >>> mlp = MLPTagger((32,), optimizer="adam", lr=0.01, max_epochs=30, random_state=0).fit(X, Y)
    >>> mlp.predict_proba(X).shape
    (60, 2)
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [tuple, list],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "lr": [None, Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [None, Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "standardize": ["boolean"],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(512, 512, 512),
        *,
        dropout=0.5,
        optimizer="adadelta",
        lr=None,
        weight_decay=0.0,
        max_epochs=100,
        batch_size=128,
        validation_fraction=0.1,
        patience=10,
        standardize=True,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.standardize = standardize
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on features ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like [shape=(n_samples, n_features)]
        y : array-like [shape=(n_samples, n_tags) or (n_samples,)]
            Multi-hot or soft tag targets in [0, 1], or class labels.

        Returns
        -------
        self : object
        """
        hidden = tuple(self.hidden_layer_sizes)
        if not all(isinstance(h, Integral) and h > 0 for h in hidden):
            raise ValueError(f"hidden_layer_sizes must hold positive integers, got {self.hidden_layer_sizes!r}")
        columns = getattr(y, "columns", None)
        X, y = validate_data(self, X, y, multi_output=True, dtype=np.float32)
        y = np.asarray(y)
        self.multilabel_ = y.ndim == 2 and y.shape[1] > 1
        if self.multilabel_:
            targets = check_targets(y, "y")
            self.classes_ = np.asarray(columns, dtype=object) if columns is not None else np.arange(y.shape[1])
            criterion = nn.BCEWithLogitsLoss
        else:
            y = column_or_1d(y, warn=True)
            check_classification_targets(y)
            self.classes_, targets = np.unique(y, return_inverse=True)
            criterion = nn.CrossEntropyLoss
        n_outputs = len(self.classes_)

        self.mean_ = X.mean(axis=0) if self.standardize else np.zeros(X.shape[1], np.float32)
        scale = X.std(axis=0) if self.standardize else np.ones(X.shape[1], np.float32)
        self.scale_ = np.where(scale > 0, scale, 1).astype(np.float32)
        X = self._standardized(X)

        rng = check_random_state(self.random_state)
        torch.manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
        split, X_fit, y_fit = self._validation_split(X, targets, rng)
        optimizer, default_lr = _OPTIMIZERS[self.optimizer]
        callbacks = [("early_stopping", EarlyStopping(patience=self.patience, load_best=True))] if split else []
        self.net_ = NeuralNet(
            _MLP(X.shape[1], hidden, n_outputs, self.dropout),
            criterion=criterion,
            optimizer=optimizer,
            lr=self.lr or default_lr,
            optimizer__weight_decay=self.weight_decay,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            train_split=split,
            callbacks=callbacks,
            device=str(resolve_device(self.device)),
            verbose=0,
        )
        if self.verbose:
            self.net_.set_params(callbacks__print_log=epoch_table())
        self.net_.fit(X_fit, y_fit)
        self.history_ = self.net_.history
        return self

    def _validation_split(self, X, targets, rng):
        """``(train_split, X_train, y_train)`` for skorch: a predefined validation set, or none."""
        n_valid = int(round(len(X) * (self.validation_fraction or 0)))
        if n_valid < 1 or len(X) - n_valid < 1:
            return None, X, targets
        stratify = None
        if not self.multilabel_:
            counts = np.bincount(targets)
            if counts.min() >= 2 and n_valid >= len(counts) and len(X) - n_valid >= len(counts):
                stratify = targets
        X_fit, X_valid, y_fit, y_valid = train_test_split(
            X, targets, test_size=n_valid, stratify=stratify, random_state=rng.randint(np.iinfo(np.int32).max)
        )
        return predefined_split(Dataset(X_valid, y_valid)), X_fit, y_fit

    def _standardized(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.mean_) / self.scale_).astype(np.float32, copy=False)

    def predict_proba(self, X) -> np.ndarray:
        """Tag probabilities (sigmoid) or class probabilities (softmax).

        Parameters
        ----------
        X : array-like [shape=(n_samples, n_features)]

        Returns
        -------
        probabilities : np.ndarray [shape=(n_samples, n_outputs), dtype=float64]
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self, "net_")
        X = self._standardized(validate_data(self, X, reset=False, dtype=np.float32))
        logits = self.net_.forward(X, training=False, device="cpu").double().numpy()
        if self.multilabel_:
            return 1 / (1 + np.exp(-logits))
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """Tags at probability >= 0.5 (multi-hot ``(n_samples, n_tags)``), or the most probable class.

        Parameters
        ----------
        X : array-like [shape=(n_samples, n_features)]

        Returns
        -------
        y : np.ndarray [shape=(n_samples, n_tags) or (n_samples,)]
        """
        proba = self.predict_proba(X)
        if self.multilabel_:
            return (proba >= 0.5).astype(np.int64)
        return self.classes_[proba.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_label = True
        return tags
