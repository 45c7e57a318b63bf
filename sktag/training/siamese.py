"""Siamese training of the artist-label CNN (arXiv:1710.06648): one positive and several negative artists."""

from __future__ import annotations

import os
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.helper import predefined_split
from torch.utils.data import Dataset

from .._deprecation import DeprecatedAttribute, renamed_state
from .._devices import resolve_precision
from ..clips import clip_means, network_rows, validate_clips
from ..nn import ArtistCNN
from ._net import AutocastNet
from ._rates import array_rate, network_config
from ._saving import save_trained
from ._start import start_training
from .augment import WaveformAugment
from .callbacks import epoch_table
from .store import AudioStore

__all__ = ["ArtistGroups", "CosineHingeLoss", "SiameseArtistCNN"]


class ArtistGroups(Dataset):
    """Groups of crops for Siamese training: an anchor, a positive and ``n_negatives`` negatives.

    Item ``i``: ``(crops, 0)`` with ``crops`` float32 ``(2 + n_negatives, length)``: a
    random crop of clip ``i % n_clips`` (the anchor), a random crop of another clip
    of the same artist — from another group (track) when ``groups`` are given and
    the artist has one, else of the same clip when the artist has no other — and
    one random crop from each of ``n_negatives`` other artists (distinct while
    there are enough). Offsets and choices come from torch's RNG.

    Parameters
    ----------
    store : AudioStore
    labels : np.ndarray [shape=(n_clips,), dtype=int]
        Artist codes; at least two artists.
    length : int
    n_negatives : int, default=4
    per_clip : int, default=1
        Groups anchored on every clip per pass.
    groups : np.ndarray [shape=(n_clips,)] or None, default=None
        The track (or song) of every clip: positives come from another track of
        the artist where there is one, so that the network learns the artist, not
        the recording.
    augment : WaveformAugment or None, default=None
        Random changes to every crop (gain, equaliser, speed; ``mix`` is not used).
    """

    def __init__(
        self,
        store: AudioStore,
        labels: np.ndarray,
        length: int,
        n_negatives: int = 4,
        per_clip: int = 1,
        groups: np.ndarray | None = None,
        augment: WaveformAugment | None = None,
    ):
        self.store, self.labels, self.length = store, np.asarray(labels), int(length)
        self.n_negatives, self.per_clip = int(n_negatives), int(per_clip)
        self.groups = None if groups is None else np.asarray(groups)
        self.augment = augment if augment is not None and augment.active else None
        self.by_artist = [np.flatnonzero(self.labels == a) for a in range(int(self.labels.max()) + 1)]
        if sum(len(c) > 0 for c in self.by_artist) < 2:
            raise ValueError("Siamese training needs clips of at least two artists")

    def __len__(self) -> int:
        return len(self.store) * self.per_clip

    def _pick(self, choices: np.ndarray) -> int:
        return int(choices[int(torch.randint(len(choices), ()))])

    def _crop(self, clip: int) -> np.ndarray:
        if self.augment is not None:
            return self.augment.crop(self.store, clip, self.length)
        room = int(self.store.lengths[clip]) - self.length
        start = int(torch.randint(room + 1, ())) if room > 0 else 0
        return self.store.crop(clip, start, self.length)

    def __getitem__(self, index: int):
        anchor = index % len(self.store)
        artist = int(self.labels[anchor])
        same = self.by_artist[artist]
        others = same[same != anchor]
        if self.groups is not None and (self.groups[others] != self.groups[anchor]).any():
            others = others[self.groups[others] != self.groups[anchor]]
        positive = self._pick(others) if len(others) else anchor
        candidates = [a for a, clips in enumerate(self.by_artist) if a != artist and len(clips)]
        order = torch.randperm(len(candidates)).tolist()
        negatives = [candidates[order[k % len(order)]] for k in range(self.n_negatives)]
        clips = [anchor, positive] + [self._pick(self.by_artist[a]) for a in negatives]
        return torch.from_numpy(np.stack([self._crop(c) for c in clips])), torch.zeros(())


def _check_groups(groups, n_clips: int, name: str) -> np.ndarray | None:
    if groups is None:
        return None
    groups = np.asarray(groups)
    if groups.shape != (n_clips,):
        raise ValueError(f"{name} must hold one track per clip, shape ({n_clips},); got {groups.shape}")
    return groups


class CosineHingeLoss(torch.nn.Module):
    """``sum_k max(0, margin - s_pos + s_neg_k)``, averaged over the batch.

    Input: cosine similarities ``(batch, 1 + n_negatives)`` of the anchor to the
    positive (column 0) and to each negative.
    """

    def __init__(self, margin: float = 0.4):
        super().__init__()
        self.margin = margin

    def forward(self, similarities: torch.Tensor, target=None) -> torch.Tensor:
        positive, negatives = similarities[:, :1], similarities[:, 1:]
        return torch.relu(self.margin - positive + negatives).sum(dim=1).mean()


class _Siamese(torch.nn.Module):
    """Embeds every crop of a group with one shared network; returns the anchor's cosine similarities."""

    def __init__(self, network: ArtistCNN):
        super().__init__()
        self.network = network

    def forward(self, groups: torch.Tensor) -> torch.Tensor:
        batch, size, length = groups.shape
        z = torch.nn.functional.normalize(self.network.embed(groups.reshape(batch * size, length)).float(), dim=-1)
        z = z.reshape(batch, size, -1)
        return (z[:, :1] * z[:, 1:]).sum(dim=-1)


class SiameseArtistCNN(TransformerMixin, BaseEstimator):
    """Train the artist-label CNN as a Siamese network; transform clips into artist embeddings.

    Each training group holds a random crop of an anchor clip, one of another
    clip by the same artist and one from each of ``n_negatives`` other artists;
    one :class:`~sktag.nn.ArtistCNN` (no output layer) embeds them all, and the
    loss is the paper's hinge on cosine similarities,
    ``sum_k max(0, margin - cos(a, p) + cos(a, n_k))`` (arXiv:1710.06648: 4
    negatives, margin 0.4, SGD with Nesterov momentum at 0.1, batch 15).

    Parameters
    ----------
    architecture : dict or None, default=None
        Keyword arguments of :class:`sktag.nn.ArtistCNN` (its front end's
        ``sample_rate`` is the network's rate); ``n_classes`` is not allowed.
    analysis_rate : float, "auto" or None, default=None
        The network's rate, to which every clip is resampled: the front end's
        ``sample_rate`` where ``architecture`` does not set it (``None`` or
        ``"auto"``: the architecture's, else 22050 Hz).
    sample_rate : float or None, default=None
        Sample rate of array clips, as in the feature transformers (``None``:
        already at the network's rate); files carry their own.
    n_negatives : int, default=4
    margin : float, default=0.4
    optimizer : {"sgd", "adam"}, default="sgd"
        ``"sgd"``: Nesterov momentum 0.9 (the paper); ``"adam"``: AdamW.
    lr : float, default=0.1
    max_epochs : int, default=30
    batch_size : int, default=15
        Groups per step.
    crops_per_clip : int, default=1
        Groups anchored on every clip per epoch.
    augment : dict, WaveformAugment or None, default=None
        Random gain, equaliser and speed changes of every crop (keys of
        :class:`~sktag.training.augment.WaveformAugment`; ``mix`` is not used).
    precision : {"fp32", "bf16", "auto"}, default="auto"
    cache_dir : str or None, default=None
        Where decoded audio is stored (default ``$SKTAG_CACHE`` or ``~/.cache/sktag``).
    device : str, default="auto"
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=1

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_.network`` is the trained :class:`~sktag.nn.ArtistCNN`.
    classes_ : np.ndarray [shape=(n_artists,)]
        The training artists.
    analysis_rate_ : float
        The network's rate (``sample_rate_`` before sktag 0.1: that name warns and goes in 0.3).
    history_ : skorch.History
        Train (and valid) loss per epoch.
    """

    _parameter_constraints: dict = {
        "architecture": [None, dict],
        "analysis_rate": [None, Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "sample_rate": [None, Interval(Real, 0, None, closed="neither")],
        "n_negatives": [Interval(Integral, 1, None, closed="left")],
        "margin": [Interval(Real, 0, None, closed="left")],
        "optimizer": [StrOptions({"sgd", "adam"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "crops_per_clip": [Interval(Integral, 1, None, closed="left")],
        "augment": [None, dict, WaveformAugment],
        "precision": [StrOptions({"fp32", "bf16", "auto"})],
        "cache_dir": [None, str, os.PathLike],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        architecture=None,
        *,
        analysis_rate=None,
        sample_rate=None,
        n_negatives=4,
        margin=0.4,
        optimizer="sgd",
        lr=0.1,
        max_epochs=30,
        batch_size=15,
        crops_per_clip=1,
        augment=None,
        precision="auto",
        cache_dir=None,
        device="auto",
        random_state=None,
        verbose=1,
    ):
        self.architecture = architecture
        self.analysis_rate = analysis_rate
        self.sample_rate = sample_rate
        self.n_negatives = n_negatives
        self.margin = margin
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.crops_per_clip = crops_per_clip
        self.augment = augment
        self.precision = precision
        self.cache_dir = cache_dir
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, groups=None, X_valid=None, y_valid=None, groups_valid=None, input_rate=None):
        """Train on clips ``X`` by artist ``y``; ``(X_valid, y_valid)`` adds a validation loss.

        Parameters
        ----------
        X : sequence of (str or np.ndarray [shape=(n,)])
        y : array-like [shape=(n_clips,)]
            Artist labels; at least two artists.
        groups : array-like [shape=(n_clips,)], optional
            The track of every clip: positives are drawn from other tracks of the
            artist (the paper's songs), not from the anchor's own recording.
        X_valid, y_valid : optional
            Validation clips and artists (their artists may differ from training's).
        groups_valid : array-like [shape=(n_valid_clips,)], optional
            The tracks of the validation clips.
        input_rate : float, optional
            Deprecated since sktag 0.1 (a FutureWarning; removed in 0.3): the
            ``sample_rate`` parameter gives the rate of array clips.

        Returns
        -------
        self : object
        """
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        validate_clips(X)
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D artist labels, got shape {y.shape}")
        if "n_classes" in (self.architecture or {}):
            raise ValueError("architecture must not set n_classes: the Siamese network has no output layer")
        augment = WaveformAugment.from_param(self.augment)
        groups = _check_groups(groups, len(y), "groups")
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"Siamese training needs clips of at least two artists; got {len(self.classes_)} class")
        device = start_training(self.device, self.random_state)
        self.config_ = network_config(ArtistCNN, self.architecture, self.analysis_rate, owner=type(self).__name__)
        network = ArtistCNN(**self.config_)
        self.analysis_rate_ = float(network.sample_rate)
        input_rate = array_rate(self, input_rate, "fit")
        store = AudioStore.build(
            X, sample_rate=self.analysis_rate_, input_rate=input_rate, cache_dir=self.cache_dir, verbose=self.verbose
        )
        if len(store) != len(codes):
            raise ValueError(f"X holds {len(store)} clips but y has {len(codes)} rows")
        train = ArtistGroups(
            store, codes, network.input_length, self.n_negatives, self.crops_per_clip, groups=groups, augment=augment
        )
        valid = None
        if X_valid is not None:
            valid_codes = np.unique(np.asarray(y_valid), return_inverse=True)[1]
            valid_store = AudioStore.build(
                X_valid,
                sample_rate=self.analysis_rate_,
                input_rate=input_rate,
                cache_dir=self.cache_dir,
                verbose=self.verbose,
            )
            valid = ArtistGroups(
                valid_store,
                valid_codes,
                network.input_length,
                self.n_negatives,
                groups=_check_groups(groups_valid, len(valid_codes), "groups_valid"),
            )
        optimizer = (
            {"optimizer": torch.optim.SGD, "optimizer__momentum": 0.9, "optimizer__nesterov": True}
            if self.optimizer == "sgd"
            else {"optimizer": torch.optim.AdamW}
        )
        self.net_ = AutocastNet(
            _Siamese(network),
            criterion=CosineHingeLoss,
            criterion__margin=self.margin,
            lr=self.lr,
            **optimizer,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            iterator_train__drop_last=len(train) % self.batch_size == 1,  # BatchNorm needs 2 or more
            train_split=predefined_split(valid) if valid is not None else None,
            device=str(device),
            autocast_dtype=resolve_precision(self.precision, device),
            verbose=0,
        )
        if self.verbose:
            self.net_.set_params(callbacks__print_log=epoch_table())
        self.net_.fit(train, None)
        self.history_ = self.net_.history
        return self

    def transform(self, X, *, input_rate=None) -> np.ndarray:
        """Clip embeddings: the mean over a clip's segments of the 256-d network embedding.

        Parameters
        ----------
        X : sequence of (str or np.ndarray [shape=(n,)])
            Paths and/or waveforms at ``sample_rate``.
        input_rate : float, optional
            Deprecated since sktag 0.1 (a FutureWarning; removed in 0.3): the
            ``sample_rate`` parameter gives the rate of array clips.

        Returns
        -------
        embeddings : np.ndarray [shape=(n_clips, 256), dtype=float32]
        """
        check_is_fitted(self, "net_")
        clips = validate_clips(X)
        input_rate = array_rate(self, input_rate, "transform")
        network = self.net_.module_.network.eval()
        rows = network_rows(
            clips,
            network,
            forward=network.embed,
            sample_rate=self.analysis_rate_,
            input_rate=input_rate,
            batch_size=self.batch_size,
            autocast_dtype=self.net_.autocast_dtype,
        )
        return clip_means(rows)

    #: The name of ``analysis_rate_`` before sktag 0.1 (a FutureWarning; removed in 0.3).
    sample_rate_ = DeprecatedAttribute("analysis_rate_")

    def __setstate__(self, state):
        super().__setstate__(renamed_state(state, {"sample_rate_": "analysis_rate_"}))  # pickled before 0.1

    def save(self, path: str | os.PathLike, *, meta: dict | None = None, half: bool = True) -> str:
        """Write the trained :class:`~sktag.nn.ArtistCNN` as a sktag checkpoint (for
        :class:`~sktag.ArtistCNNFeatures`); returns its sha256.

        The metadata records the training artists, the parameters (``recipe``) and
        the loss history, besides ``meta``.
        """
        check_is_fitted(self, "net_")
        fields = {"training": "siamese", "artists": [str(a) for a in self.classes_]}
        return save_trained(
            path,
            self,
            self.net_.module_.network,
            fields,
            meta=meta,
            half=half,
            history_keys=("epoch", "train_loss", "valid_loss", "dur"),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.non_deterministic = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
