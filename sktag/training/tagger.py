"""SampleCNNTagger and ArtistCNNTagger: end-to-end training and fine-tuning of sktag networks with skorch."""

from __future__ import annotations

import logging
import os
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Checkpoint, LRScheduler
from skorch.helper import predefined_split

from .. import weights as sktag_weights
from .._deprecation import REMOVED_IN, RENAMED_IN, DeprecatedAttribute, renamed_state
from .._devices import resolve_device, resolve_precision
from ..clips import clip_means, layer_statistics, network_rows, validate_clips
from ..metrics import tag_scores
from ..nn import ArtistCNN, MelCNN, SampleCNN
from ._net import AutocastNet
from ._rates import array_rate, network_config, requested_rate
from ._saving import save_trained
from ._start import start_training
from ._targets import check_targets, one_hot
from .augment import WaveformAugment
from .callbacks import ClipScoring, KeepBest, StagedLearningRate, epoch_table
from .data import AllSegments, RandomCrops
from .losses import LOSSES
from .store import AudioStore

logger = logging.getLogger("sktag")

__all__ = ["SampleCNNTagger", "ArtistCNNTagger"]

#: The learning-rate stages of the authors' recipe (arXiv:1703.01789).
STAGES = (0.01, 0.002, 0.0004, 8e-5, 1.6e-5)


class SampleCNNTagger(ClassifierMixin, BaseEstimator):
    """Train (or fine-tune) a SampleCNN on clips and tags, end to end, with skorch.

    Clips are decoded once, at the network's rate, into an int16 memmap
    (:class:`~sktag.training.AudioStore`);
    every epoch draws ``crops_per_clip`` random segment crops per training clip; the
    loss is BCE on multi-hot or soft targets (a teacher's probabilities: knowledge
    distillation), or for soft targets a regression onto the teacher's logits;
    validation runs every segment of every validation clip and scores clip-level
    averages (macro ROC-AUC and PR-AUC, recorded in ``history_``).

    Parameters
    ----------
    weights : str, os.PathLike or None, default=None
        Start from a sktag checkpoint (path or shipped name) — fine-tuning — or,
        with ``None``, from a He-uniform random network built from ``architecture``.
        A checkpoint with another number of tags gets a new output layer.
    architecture : dict or None, default=None
        Keyword arguments of :class:`sktag.nn.SampleCNN` for ``weights=None``
        (``n_classes`` is set from the targets).
    analysis_rate : float, "auto" or None, default=None
        The network's rate, to which every clip is resampled: for
        ``weights=None`` the rate of the new network (``None`` or ``"auto"``:
        16 kHz, or the rate the architecture sets for networks with a log-mel
        front end); a checkpoint brings its own, which a number here must equal.
    sample_rate : float or None, default=None
        Sample rate of array clips, as in the feature transformers (``None``:
        already at the network's rate); files carry their own. Before sktag
        0.1 this parameter was the network's rate: until 0.3, ``sample_rate``
        given without ``analysis_rate`` keeps that meaning, with a
        FutureWarning (give ``analysis_rate``, or ``"auto"``, to use the new one).
    recipe : {"staged", "adam"}, default="staged"
        ``"staged"``: the authors' SGD (Nesterov momentum 0.9) with learning-rate
        stages 0.01, 0.002, 0.0004, 8e-5, 1.6e-5, each early-stopped on validation
        ROC-AUC (``patience``) and restarted from its best weights.
        ``"adam"``: AdamW at ``lr`` with cosine decay over ``max_epochs``.
    lr : float or None, default=None
        AdamW learning rate (default 1e-3); ignored by ``"staged"``.
    max_epochs : int, default=100
        Epochs in all, counting those of a resumed run.
    patience : int, default=3
        Epochs without improvement before the next stage (``"staged"``).
    batch_size : int, default=23
        Segments per training step (23 in the papers).
    crops_per_clip : int, default=1
        Random crops of every training clip per epoch (1 in the papers; more gives
        longer epochs, so fewer validation passes per training step).
    augment : dict, WaveformAugment or None, default=None
        Random changes to every training crop, e.g. ``{"gain_db": 6, "eq_db": 6,
        "speed": 0.06, "mix": 0.3}`` (keys of
        :class:`~sktag.training.augment.WaveformAugment`); ``None``: plain crops.
    loss : {"bce", "logit_mse"}, default="bce"
        ``"bce"``: binary cross-entropy. ``"logit_mse"``: mean squared error to the
        logits of soft targets (:class:`~sktag.training.losses.TeacherLogitMSE`),
        for distilling a teacher: every tag's ranking counts alike, where BCE's
        gradient fades for tags the teacher rates low everywhere.
    weight_decay : float, default=0.0
    freeze : sequence of str or None, default=None
        Layers to keep fixed (``"stem"``, ``"block1"``, ..., ``"fc"``): their weights
        and BatchNorm statistics stay bit-identical.
    precision : {"fp32", "bf16", "auto"}, default="auto"
        Autocast dtype; ``"auto"`` = bf16 on CPUs with AVX512-BF16/AMX and on
        GPUs that support it.
    top_fraction : float, default=0.1
        For soft targets, the top fraction of each tag counts as positive when scoring.
    checkpoint_dir : str or None, default=None
        Save the last epoch's weights, optimizer and history there every epoch; a
        new ``fit`` with the same folder resumes from them (in the recorded
        learning-rate stage; the best-so-far weights are tracked anew).
    cache_dir : str or None, default=None
        Where decoded audio is stored (default ``$SKTAG_CACHE`` or ``~/.cache/sktag``).
    device : str, default="auto"
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, crops and shuffling.
    verbose : int, default=1
        Print the epoch table (skorch's PrintLog).

    Attributes
    ----------
    classes_ : np.ndarray [shape=(n_tags,)]
        Multi-label: tag names (from ``tags`` in ``fit``, else ``"tag0"`` ...);
        single-label: the sorted class labels.
    multilabel_ : bool
        Whether ``y`` was 2-D (multi-label or soft targets) rather than class labels.
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is the :class:`~sktag.nn.SampleCNN`.
    history_ : skorch.History
        Per epoch: train/valid loss, ``valid_roc_auc``, ``valid_pr_auc``, learning rate.
    analysis_rate_ : float
        The network's rate (``sample_rate_`` before sktag 0.1: that name warns and goes in 0.3).
    """

    _parameter_constraints: dict = {
        "weights": [None, str, os.PathLike],
        "architecture": [None, dict],
        "analysis_rate": [None, Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "sample_rate": [None, Interval(Real, 0, None, closed="neither")],
        "recipe": [StrOptions({"staged", "adam"})],
        "lr": [None, Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "crops_per_clip": [Interval(Integral, 1, None, closed="left")],
        "augment": [None, dict, WaveformAugment],
        "loss": [StrOptions(set(LOSSES))],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "freeze": [None, list, tuple],
        "precision": [StrOptions({"fp32", "bf16", "auto"})],
        "top_fraction": [Interval(Real, 0, 1, closed="neither")],
        "checkpoint_dir": [None, str, os.PathLike],
        "cache_dir": [None, str, os.PathLike],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        weights=None,
        *,
        architecture=None,
        analysis_rate=None,
        sample_rate=None,
        recipe="staged",
        lr=None,
        max_epochs=100,
        patience=3,
        batch_size=23,
        crops_per_clip=1,
        augment=None,
        loss="bce",
        weight_decay=0.0,
        freeze=None,
        precision="auto",
        top_fraction=0.1,
        checkpoint_dir=None,
        cache_dir=None,
        device="auto",
        random_state=None,
        verbose=1,
    ):
        self.weights = weights
        self.architecture = architecture
        self.analysis_rate = analysis_rate
        self.sample_rate = sample_rate
        self.recipe = recipe
        self.lr = lr
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.crops_per_clip = crops_per_clip
        self.augment = augment
        self.loss = loss
        self.weight_decay = weight_decay
        self.freeze = freeze
        self.precision = precision
        self.top_fraction = top_fraction
        self.checkpoint_dir = checkpoint_dir
        self.cache_dir = cache_dir
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    _network_class: type[torch.nn.Module] = SampleCNN
    #: The rate of a new network that has no rate of its own (a SampleCNN), when ``analysis_rate`` gives none.
    _default_analysis_rate = 16000.0

    #: The name of ``analysis_rate_`` before sktag 0.1 (a FutureWarning; removed in 0.3).
    sample_rate_ = DeprecatedAttribute("analysis_rate_")

    def __setstate__(self, state):
        super().__setstate__(renamed_state(state, {"sample_rate_": "analysis_rate_"}))  # pickled before 0.1

    # -- rates -------------------------------------------------------------------------------
    def _legacy_sample_rate(self) -> bool:
        """Whether ``sample_rate`` still means the network's rate, as before sktag 0.1: given without
        ``analysis_rate`` (until 0.3)."""
        return self.sample_rate is not None and self.analysis_rate is None

    def _warn_legacy_sample_rate(self, rate: float, source: str | None) -> None:
        """The FutureWarning of ``fit`` when ``sample_rate`` keeps its old meaning; ``source`` names where the
        network's rate came from instead of it (``None``: it came from ``sample_rate``)."""
        given = f"{type(self).__name__}(sample_rate={self.sample_rate!r}) without analysis_rate"
        future = (
            f"From sktag {REMOVED_IN} on, sample_rate is the rate of array clips, as in the feature "
            f"transformers, and analysis_rate the network's"
        )
        if source is None:
            message = (
                f"{given} is read as the network's rate, its meaning before sktag {RENAMED_IN}. {future}: "
                f"write analysis_rate={self.sample_rate!r} (and sample_rate only for array clips at "
                f"another rate)"
            )
        else:
            message = (
                f"{given} is read as the network's rate, its meaning before sktag {RENAMED_IN}, and is "
                f"ignored as before: the network runs at {rate:g} Hz, from its {source}. {future}: drop "
                "sample_rate, or add analysis_rate='auto' to make it the rate of array clips now"
            )
        warnings.warn(message, FutureWarning, stacklevel=5)  # the caller of fit (under _fit_context)

    # -- building --------------------------------------------------------------------------
    def _initial_module(self, n_tags: int) -> tuple[torch.nn.Module, dict, float]:
        """The network to train, its keyword arguments and its rate (from ``analysis_rate``, the architecture or
        the checkpoint)."""
        network = self._network_class.__name__
        legacy = self._legacy_sample_rate()
        rate = float(self.sample_rate) if legacy else requested_rate(self.analysis_rate)
        if self.weights is None:
            config = {
                **network_config(
                    self._network_class, self.architecture, None if legacy else rate, owner=type(self).__name__
                ),
                "n_classes": n_tags,
            }
            module = self._network_class(**config)
            own = getattr(module, "sample_rate", None)  # a log-mel front end's; a SampleCNN has none
            network_rate = float(own) if own is not None else (rate or self._default_analysis_rate)
            if legacy:
                self._warn_legacy_sample_rate(network_rate, None if own is None else "architecture")
            return module, config, network_rate
        checkpoint = sktag_weights.get_network_checkpoint(
            self.weights, network, user=type(self).__name__, config=self.architecture
        )
        network_rate = float(checkpoint.meta["sample_rate"])
        if legacy:
            self._warn_legacy_sample_rate(network_rate, "checkpoint")
        elif rate is not None and rate != network_rate:
            raise ValueError(
                f"{type(self).__name__} got analysis_rate={self.analysis_rate!r}, but the network of "
                f"{checkpoint.source} runs at {network_rate:g} Hz: leave analysis_rate None (or "
                "'auto') to train at the checkpoint's rate"
            )
        module = checkpoint.build().train()
        config = dict(checkpoint.config)
        if getattr(module, "clip_head", None) is not None:
            # fitted to the blocks as they are: training changes them, so the trained network tags by its own outputs
            logger.info("sktag: the checkpoint's clip-level tag head is left out of training")
            module.clip_head, module.clip_head_layers = None, ()
            config.pop("clip_head")
        if module.classifier.out_features != n_tags:
            logger.info("sktag: new output layer (%d -> %d tags)", module.classifier.out_features, n_tags)
            module.classifier = torch.nn.Linear(module.classifier.in_features, n_tags)
            config["n_classes"] = n_tags
        return module, config, network_rate

    def _callbacks(self, valid: bool) -> list:
        callbacks: list = []
        if valid:
            callbacks.append(("clip_scoring", ClipScoring(self.top_fraction)))
        if self.recipe == "staged":
            callbacks.append(("staged_lr", StagedLearningRate(STAGES, self.patience)))
        else:
            callbacks.append(("cosine", LRScheduler("CosineAnnealingLR", T_max=self.max_epochs)))
            if valid:
                callbacks.append(("keep_best", KeepBest()))
        if self.checkpoint_dir is not None:  # last: the saved history holds this epoch's scores
            checkpoint = Checkpoint(
                dirname=os.fspath(self.checkpoint_dir), monitor=None, f_pickle=None, f_criterion=None, load_best=False
            )
            callbacks.append(("checkpoint", checkpoint))
        return callbacks

    # -- fitting ---------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, X_valid=None, y_valid=None, tags=None, input_rate=None):
        """Train on clips ``X`` with targets ``y``, validating on ``(X_valid, y_valid)``.

        Parameters
        ----------
        X : sequence of (str or np.ndarray [shape=(n,)])
            Training clips (paths or waveforms at ``sample_rate``).
        y : array-like [shape=(n_clips, n_tags) or (n_clips,)]
            Multi-hot or soft targets in [0, 1], or single-label class labels
            (trained one-hot with the same BCE loss).
        X_valid, y_valid : optional
            Validation clips and targets (required by ``recipe="staged"``); with
            ``"adam"`` and no validation, all ``max_epochs`` run and the last
            weights are kept.
        tags : sequence of str, optional
            Tag names (``classes_``); default ``tag0`` ...
        input_rate : float, optional
            Deprecated since sktag 0.1 (a FutureWarning; removed in 0.3): the
            ``sample_rate`` parameter gives the rate of array clips.

        Returns
        -------
        self : object
        """
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        y = np.asarray(y)
        self.multilabel_ = y.ndim == 2
        if self.multilabel_:
            y = check_targets(y, "y")
            names = tags if tags is not None else [f"tag{i}" for i in range(y.shape[1])]
        else:
            names, y = one_hot(y, tags)
        augment = WaveformAugment.from_param(self.augment)
        if self.recipe == "staged" and X_valid is None:
            raise ValueError("recipe='staged' early-stops each stage on validation: pass X_valid and y_valid")
        device = start_training(self.device, self.random_state)
        module, config, self.analysis_rate_ = self._initial_module(y.shape[1])
        input_rate = array_rate(self, input_rate, "fit", legacy=self._legacy_sample_rate())
        self.config_ = config
        self.classes_ = np.asarray(names, dtype=object) if self.multilabel_ else np.asarray(names)
        if len(self.classes_) != y.shape[1]:
            raise ValueError(f"{len(self.classes_)} tag names for {y.shape[1]} target columns")
        frozen = self._frozen_modules(module)
        length = module.input_length

        store = AudioStore.build(
            X, sample_rate=self.analysis_rate_, input_rate=input_rate, cache_dir=self.cache_dir, verbose=self.verbose
        )
        if len(store) != len(y):
            raise ValueError(f"X holds {len(store)} clips but y has {len(y)} rows")
        if len(store) < 2:
            raise ValueError("training needs at least 2 clips (BatchNorm), got 1 sample")
        train = RandomCrops(store, y, length, per_clip=self.crops_per_clip, augment=augment)
        valid = None
        if X_valid is not None:
            y_valid = (
                check_targets(y_valid, "y_valid") if self.multilabel_ else one_hot(y_valid, self.classes_, "y_valid")[1]
            )
            if y_valid.shape[1] != y.shape[1]:
                raise ValueError(f"y_valid has {y_valid.shape[1]} columns, y has {y.shape[1]}")
            valid_store = AudioStore.build(
                X_valid,
                sample_rate=self.analysis_rate_,
                input_rate=input_rate,
                cache_dir=self.cache_dir,
                verbose=self.verbose,
            )
            valid = AllSegments(valid_store, y_valid, length)

        autocast_dtype = resolve_precision(self.precision, device)
        staged = self.recipe == "staged"
        optimizer_kwargs = (
            {"optimizer": torch.optim.SGD, "optimizer__momentum": 0.9, "optimizer__nesterov": True, "lr": STAGES[0]}
            if staged
            else {"optimizer": torch.optim.AdamW, "lr": self.lr or 1e-3}
        )
        self.net_ = AutocastNet(
            module,
            criterion=LOSSES[self.loss],
            **optimizer_kwargs,
            optimizer__weight_decay=self.weight_decay,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            iterator_train__drop_last=len(train) % self.batch_size == 1,  # BatchNorm needs 2 or more
            train_split=predefined_split(valid) if valid is not None else None,
            callbacks=self._callbacks(valid is not None),
            device=str(device),
            autocast_dtype=autocast_dtype,
            frozen=frozen,
            verbose=0,
        )
        if self.verbose:
            self.net_.set_params(callbacks__print_log=epoch_table())
        self.net_.initialize()
        for name in frozen:
            for parameter in self.net_.module_.get_submodule(name).parameters():
                parameter.requires_grad_(False)
        self.net_.initialize_optimizer()
        done = self._resume()
        logger.info(
            "sktag: training %s on %s (%s), %d clips, from epoch %d",
            type(module).__name__,
            device,
            autocast_dtype or "fp32",
            len(store),
            done + 1,
        )
        if done < self.max_epochs:
            self.net_.partial_fit(train, None, epochs=self.max_epochs - done)
        self.history_ = self.net_.history
        return self

    def _resume(self) -> int:
        """Load the state saved in ``checkpoint_dir``, if any; return the epochs already done."""
        if self.checkpoint_dir is None:
            return 0
        checkpoint = dict(self.net_.callbacks_)["checkpoint"]
        if not os.path.exists(os.path.join(os.fspath(self.checkpoint_dir), checkpoint.f_history)):
            return 0
        self.net_.load_params(checkpoint=checkpoint)
        logger.info("sktag: resumed from %s after epoch %d", self.checkpoint_dir, len(self.net_.history))
        return len(self.net_.history)

    def _frozen_modules(self, module: torch.nn.Module) -> list[str]:
        """Submodule paths of the layers named in ``freeze`` (``blockN`` is ``blocks.N-1``)."""
        if not self.freeze:
            return []
        paths = {
            name: f"blocks.{int(name[5:]) - 1}" if name.startswith("block") else name for name in module.layer_names
        }
        paths = {name: path for name, path in paths.items() if path in dict(module.named_modules())}
        unknown = [name for name in self.freeze if name not in paths]
        if unknown:
            raise ValueError(
                f"freeze names unknown layers {unknown}; this network's layers with weights are {list(paths)}"
            )
        return [paths[name] for name in self.freeze]

    # -- predicting ----------------------------------------------------------------------------
    def predict_proba(self, X, *, input_rate=None) -> np.ndarray:
        """Clip-level tag probabilities: the mean over a clip's segments of the sigmoid outputs.

        A network with a clip-level head (a shipped checkpoint that has one, see
        :meth:`sktag.nn.SampleCNN.clip_logits`) gives instead the sigmoid of
        that head's logits of each whole clip: a linear map of the mean over
        the clip's segments of its layers' max and mean over time.

        Clips are streamed (nothing is written to the cache), as in the feature
        transformers: non-overlapping segments, the tail dropped, a short clip
        zero-padded to one segment (with a clip-level head, each layer pooled
        over the frames the clip reaches).

        Parameters
        ----------
        X : sequence of (str or np.ndarray [shape=(n,)])
            Paths and/or waveforms at ``sample_rate``.
        input_rate : float, optional
            Deprecated since sktag 0.1 (a FutureWarning; removed in 0.3): the
            ``sample_rate`` parameter gives the rate of array clips.

        Returns
        -------
        probabilities : np.ndarray [shape=(n_clips, n_tags), dtype=float32]
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self, "net_")
        clips = validate_clips(X)
        input_rate = array_rate(self, input_rate, "predict_proba", legacy=self._legacy_sample_rate())
        module = self.net_.module_.eval()
        batches = {
            "sample_rate": self.analysis_rate_,
            "input_rate": input_rate,
            "batch_size": self.batch_size,
            "autocast_dtype": self.net_.autocast_dtype,
        }
        if getattr(module, "clip_head", None) is None:
            return clip_means(network_rows(clips, module, pool=lambda logits: torch.sigmoid(logits.float()), **batches))
        rows = layer_statistics(clips, module, module.clip_head_layers, **batches)
        stats = torch.from_numpy(clip_means(rows)).to(next(module.parameters()).device)
        with torch.inference_mode():
            return torch.sigmoid(module.clip_logits(stats)).cpu().numpy()

    @classmethod
    def from_checkpoint(
        cls, weights, *, device: str = "auto", precision: str = "fp32", sample_rate: float | None = None
    ) -> SampleCNNTagger:
        """A tagger ready to predict with a trained checkpoint's own tags (no training).

        Parameters
        ----------
        weights : str or os.PathLike
            A sktag checkpoint path or shipped name; its metadata must list ``tags``.
        device : str, default="auto"
        precision : {"fp32", "bf16", "auto"}, default="fp32"
        sample_rate : float or None, default=None
            Sample rate of array clips (``None``: the network's).

        Returns
        -------
        tagger : SampleCNNTagger
            Fitted: ``classes_`` are the checkpoint's tags.
        """
        tagger = cls(
            weights=weights,
            analysis_rate="auto",
            sample_rate=sample_rate,
            device=device,
            precision=precision,
            verbose=0,
        )
        checkpoint = sktag_weights.get_checkpoint(weights)
        if "tags" not in checkpoint.meta:
            raise sktag_weights.WeightsError(f"{checkpoint.source}: metadata has no 'tags'; it is not a tagger")
        resolved = resolve_device(device)
        tagger.net_ = AutocastNet(
            checkpoint.build(),
            criterion=torch.nn.BCEWithLogitsLoss,
            device=str(resolved),
            autocast_dtype=resolve_precision(precision, resolved),
        ).initialize()
        tagger.classes_ = np.asarray(checkpoint.meta["tags"], dtype=object)
        tagger.multilabel_ = True
        tagger.analysis_rate_ = float(checkpoint.meta["sample_rate"])
        tagger.config_ = dict(checkpoint.config)
        tagger.history_ = checkpoint.meta.get("history", [])
        return tagger

    def predict(self, X, *, threshold: float = 0.5) -> np.ndarray:
        """Multi-label: multi-hot ``predict_proba(X) >= threshold`` ``(n_clips, n_tags)``;
        single-label: the most probable class per clip ``(n_clips,)``."""
        proba = self.predict_proba(X)
        if getattr(self, "multilabel_", True):
            return (proba >= threshold).astype(np.int8)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None) -> float:
        """Multi-label: clip-level macro ROC-AUC (soft targets binarised by ``top_fraction``);
        single-label: accuracy."""
        if not getattr(self, "multilabel_", True):
            return super().score(X, y, sample_weight=sample_weight)
        return tag_scores(check_targets(y, "y"), self.predict_proba(X), top_fraction=self.top_fraction)["roc_auc"]

    def save(self, path: str | os.PathLike, *, meta: dict | None = None, half: bool = True) -> str:
        """Write the trained network as a sktag checkpoint; returns its sha256.

        The checkpoint loads in :class:`~sktag.SampleCNNFeatures` (``weights=path``)
        and in ``SampleCNNTagger(weights=path)`` for fine-tuning.

        Parameters
        ----------
        path : str or os.PathLike
        meta : dict, optional
            Extra metadata (training data, metrics, ...); ``sample_rate`` (the
            network's rate, ``analysis_rate_``), ``tags``, ``recipe`` and the
            training history are recorded automatically.
        half : bool, default=True
            Store weights in fp16.
        """
        check_is_fitted(self, "net_")
        return save_trained(
            path, self, self.net_.module_, {"tags": [str(t) for t in self.classes_]}, meta=meta, half=half
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.non_deterministic = True
        return tags


class ArtistCNNTagger(SampleCNNTagger):
    """Train (or fine-tune) the artist-label CNN (arXiv:1710.06648) on clips and labels, with skorch.

    The "basic" model of the paper: :class:`sktag.nn.ArtistCNN` with a dense
    output layer over artists (or any tags), trained end to end on random
    crops, as :class:`SampleCNNTagger` trains a SampleCNN; every parameter and
    method is the same. ``architecture`` holds keyword arguments of
    :class:`~sktag.nn.ArtistCNN`, including its front end's ``sample_rate``,
    the network's rate, which ``analysis_rate`` sets where the architecture
    does not (its ``n_fft`` and ``hop_length`` are samples at that rate).
    Single-label targets (artists) are trained one-hot with BCE. The saved
    checkpoint loads in :class:`sktag.ArtistCNNFeatures`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.standard_normal(9000).astype(np.float32) for _ in range(4)]
    >>> small = {"sample_rate": 8000, "n_fft": 256, "hop_length": 64, "n_mels": 32}
    >>> tagger = ArtistCNNTagger(architecture=small, recipe="adam", max_epochs=1, batch_size=2,
    ...                          precision="fp32", verbose=0, random_state=0)
    >>> tagger.fit(X, ["a", "b", "a", "b"]).predict_proba(X).shape
    (4, 2)
    """

    _network_class = ArtistCNN


class MelCNNTagger(SampleCNNTagger):
    """Train (or fine-tune) a local log-mel CNN (arXiv:1703.01793) on clips and tags, with skorch.

    The multi-scale paper pre-trains one :class:`sktag.nn.MelCNN` per input size
    (18, 27 and 54 frames), each with its own tag head, before aggregating their
    layers. This trains one of them end to end on random crops, as
    :class:`SampleCNNTagger` trains a SampleCNN; every parameter and method is
    the same. ``architecture`` holds keyword arguments of
    :class:`~sktag.nn.MelCNN`, including its front end's ``sample_rate``, the
    network's rate, which ``analysis_rate`` sets where the architecture does
    not. The saved checkpoint loads in :class:`sktag.MelCNNFeatures`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.standard_normal(9000).astype(np.float32) for _ in range(4)]
    >>> small = {"sample_rate": 8000, "n_fft": 256, "hop_length": 64, "n_mels": 32, "n_frames": 18}
    >>> tagger = MelCNNTagger(architecture=small, recipe="adam", max_epochs=1, batch_size=2,
    ...                       precision="fp32", verbose=0, random_state=0)
    >>> y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    >>> tagger.fit(X, y).predict_proba(X).shape
    (4, 2)
    """

    _network_class = MelCNN
