"""The names sktag knows, as plain data: network families, shipped weights, each family's default, dataset kinds.

Torch- and scikit-learn-free, so the command line builds its parser and help
(and ``sktag weights`` its table) without importing them; :mod:`sktag.weights`
and :mod:`sktag.datasets` use these tables.

Every shipped weight is one :class:`ShippedWeights` record in :data:`REGISTRY`
(its file, sha256, network, rate, training data, recipe and measured scores, in
the manner of torchvision's ``Weights``); :data:`DEFAULTS` picks one per network
family. Each family is one :class:`NetworkFamily` record in :data:`FAMILIES`: the
names its network, feature transformer, trainer and command-line choice go by.
:data:`SHIPPED_WEIGHTS` and :data:`DEFAULT_WEIGHTS`, the plain tables the rest of sktag
reads, are derived from them.
"""

from __future__ import annotations

import difflib
import json
import os
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

__all__ = [
    "DATASET_KINDS",
    "DEFAULTS",
    "DEFAULT_WEIGHTS",
    "FAMILIES",
    "METRICS",
    "REGISTRY",
    "SHIPPED_WEIGHTS",
    "NetworkFamily",
    "ShippedWeights",
    "WeightsError",
    "get_shipped_weights",
    "list_weights",
    "weights_table",
]

#: Folder of the shipped checkpoint files.
WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")


class WeightsError(ValueError):
    """A checkpoint that cannot be used: unsafe, corrupt, or for another architecture."""


@dataclass(frozen=True)
class NetworkFamily:
    """One family of networks, and the names each part of sktag knows it by.

    Parameters
    ----------
    architecture : str
        Its class in :mod:`sktag.nn`, and the ``"architecture"`` its checkpoints record.
    command : str
        Its name on the command line (``sktag train --network``, ``sktag extract --extractor``).
    features : str
        Its feature transformer, a class of :mod:`sktag.features` (also reachable as ``sktag.<name>``).
    tagger : str
        Its end-to-end trainer, a class of :mod:`sktag.training`.
    """

    architecture: str
    command: str
    features: str
    tagger: str


#: Architecture -> :class:`NetworkFamily`: the one registry of network families. The checkpoint format
#: (:data:`sktag.weights.ARCHITECTURES`), the feature transformers
#: (:data:`sktag.features.FEATURES_BY_ARCHITECTURE`) and the command line derive their tables from it.
FAMILIES: Mapping[str, NetworkFamily] = MappingProxyType(
    {
        family.architecture: family
        for family in (
            NetworkFamily("SampleCNN", "samplecnn", "SampleCNNFeatures", "SampleCNNTagger"),
            NetworkFamily("ArtistCNN", "artist", "ArtistCNNFeatures", "ArtistCNNTagger"),
            NetworkFamily("MelCNN", "melcnn", "MelCNNFeatures", "MelCNNTagger"),
        )
    }
)


#: Metric name -> (short label for tables, what was measured, decimals reported). The teacher scores compare the
#: network's tag probabilities with the teacher's (musicnn MTT) on the 199 clips of game_music's test split, each
#: tag's top 10 % of teacher probabilities taken as positives; the composer scores are on its 182 test clips of 29
#: tracks (19 composers).
METRICS: dict[str, tuple[str, str, int]] = {
    "test_teacher_roc_auc": ("teacher ROC-AUC", "macro ROC-AUC against the teacher's tags", 4),
    "test_teacher_pr_auc": ("teacher PR-AUC", "macro PR-AUC against the teacher's tags", 4),
    "test_composer_accuracy_block5": (
        "composer accuracy",
        "composer recognition accuracy of LogisticRegression on the block5 features",
        3,
    ),
    "test_composer_accuracy_random_init_block5_mean_of_5": (
        "random-init composer accuracy",
        "the same with the network at random initialisation, mean of 5 seeds",
        3,
    ),
    "heldout_composer_accuracy": (
        "held-out composer accuracy",
        "composer recognition on the two validation games left out of training, naev and SuperTuxKart (7 composers; "
        "LogisticRegression on the default multi-level features, track-grouped 5-fold CV)",
        3,
    ),
    "heldout_composer_accuracy_random_init_mean_of_3": (
        "random-init held-out composer accuracy",
        "the same with random networks of the same architecture, mean of 3 seeds",
        3,
    ),
    "heldout_composer_accuracy_batch2": (
        "batch-2 composer accuracy",
        "composer recognition on the corpus's 11 second-batch games, which no shipped network heard in training "
        "(9 composers; LogisticRegression on the default multi-level features, track-grouped 5-fold CV)",
        3,
    ),
    "heldout_composer_accuracy_batch2_random_init_mean_of_3": (
        "random-init batch-2 composer accuracy",
        "the same with random networks of the same architecture, mean of 3 seeds",
        3,
    ),
    "heldout_teacher_roc_auc": (
        "held-out teacher ROC-AUC",
        "macro ROC-AUC against the teacher's tags on games left out of training",
        4,
    ),
    "heldout_teacher_roc_auc_batch2": (
        "batch-2 teacher ROC-AUC",
        "macro ROC-AUC of the tags sktag tag prints against the MTT teacher's on the corpus's 11 second-batch games, "
        "which nothing shipped was trained, fitted or chosen on",
        4,
    ),
    "philharmonia_instrument_accuracy": (
        "Philharmonia instrument accuracy",
        "16 Philharmonia instruments: LogisticRegression on the default multi-level features (sktag bench)",
        3,
    ),
    "test_verification_eer": (
        "verification EER",
        "composer verification: equal error rate of cosine similarities (lower is better)",
        3,
    ),
    "test_verification_eer_random_init_mean_of_5": (
        "random-init verification EER",
        "the same with the network at random initialisation, mean of 5 seeds",
        3,
    ),
}


def _score(key: str, value: float) -> str:
    """A score with the decimals its results file reports."""
    return f"{value:.{METRICS[key][2]}f}"


@dataclass(frozen=True)
class ShippedWeights:
    """One weight file shipped with sktag: what it is, how it was trained, what it scores.

    Parameters
    ----------
    name : str
        The name ``weights=`` takes (``SampleCNNFeatures("samplecnn-3x9")``, ``sktag tag --weights``).
    architecture : str
        The network family, a key of :data:`sktag.weights.ARCHITECTURES`: ``"SampleCNN"``,
        ``"MelCNN"`` or ``"ArtistCNN"``.
    file : str
        File name inside ``sktag/weights/``.
    sha256 : str
        Hex sha256 of the file, checked at every load.
    sample_rate : int
        Rate (Hz) the network runs at; every input is resampled to it.
    config : Mapping of str to Any
        Keyword arguments of the architecture's class, as stored in the checkpoint (read-only).
    segment_samples : int
        Input length of the network (its ``input_length``), in samples at ``sample_rate``.
    n_params : int
        Number of parameters of the network.
    file_size : int
        Size of the file in bytes (tensors in fp16).
    training_data : str
        What it was trained on, one line.
    recipe : str
        How it was trained, one line.
    metrics : Mapping of str to float
        Measured scores (keys of :data:`METRICS`), copied from ``results`` (read-only).
    key_metric : str
        The key of ``metrics`` shown in tables.
    results : str
        The results file the scores come from, relative to the repository root.
    summary : str
        What the network is and what it is for, one or two sentences.
    """

    name: str
    architecture: str
    file: str
    sha256: str
    sample_rate: int
    config: Mapping[str, Any] = field(hash=False)
    segment_samples: int
    n_params: int
    file_size: int
    training_data: str
    recipe: str
    metrics: Mapping[str, float] = field(hash=False)
    key_metric: str
    results: str
    summary: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "config", MappingProxyType(dict(self.config)))
        object.__setattr__(self, "metrics", MappingProxyType(dict(self.metrics)))
        unknown = sorted(set(self.metrics) - set(METRICS))
        if unknown:
            raise ValueError(f"{self.name}: metrics {unknown} are not described in METRICS")
        if self.key_metric not in self.metrics:
            raise ValueError(f"{self.name}: key_metric {self.key_metric!r} is not one of its metrics")

    def __reduce__(self) -> tuple:  # a mappingproxy does not pickle: rebuild from plain dicts
        values = (getattr(self, f.name) for f in fields(self))
        return type(self), tuple(dict(value) if isinstance(value, MappingProxyType) else value for value in values)

    @property
    def path(self) -> str:
        """Where the file is installed."""
        return os.path.join(WEIGHTS_DIR, self.file)

    @property
    def segment_seconds(self) -> float:
        """Input length of the network in seconds."""
        return self.segment_samples / self.sample_rate

    @property
    def is_default(self) -> bool:
        """Whether ``weights="default"`` loads these weights for their family (:data:`DEFAULTS`)."""
        default = DEFAULTS.get(self.architecture)
        return default is not None and default.name == self.name

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-serialisable values, with ``path``, ``segment_seconds`` and ``default``.

        Returns
        -------
        record : dict
        """
        return {
            "name": self.name,
            "architecture": self.architecture,
            "default": self.is_default,
            "file": self.file,
            "path": self.path,
            "sha256": self.sha256,
            "sample_rate": self.sample_rate,
            "config": dict(self.config),
            "segment_samples": self.segment_samples,
            "segment_seconds": self.segment_seconds,
            "n_params": self.n_params,
            "file_size": self.file_size,
            "training_data": self.training_data,
            "recipe": self.recipe,
            "metrics": dict(self.metrics),
            "key_metric": self.key_metric,
            "results": self.results,
            "summary": self.summary,
        }

    def describe(self) -> str:
        """Every field as readable lines (what ``sktag weights NAME`` prints).

        Returns
        -------
        text : str
        """

        def wrapped(label: str, text: str) -> list[str]:
            return textwrap.wrap(
                text, 100, initial_indent=f"  {label:<15}", subsequent_indent=" " * 17, break_on_hyphens=False
            )

        default = ", the family's default" if self.is_default else ""
        lines = [
            f"{self.name} ({self.architecture}{default})",
            *textwrap.wrap(self.summary, 100, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False),
            *wrapped("file:", self.path),
            *wrapped("sha256:", self.sha256),
            *wrapped("size:", f"{_mb(self.file_size)} ({self.file_size:,} bytes), {self.n_params:,} parameters"),
            *wrapped("config:", json.dumps(dict(self.config))),
            *wrapped("sample rate:", f"{self.sample_rate} Hz"),
            *wrapped("segment:", f"{self.segment_samples:,} samples ({self.segment_seconds:.2f} s)"),
            *wrapped("training data:", self.training_data),
            *wrapped("recipe:", self.recipe),
            *wrapped("scores:", self.results),
        ]
        width = max(len(key) for key in self.metrics)
        lines += [f"    {key:<{width}}  {_score(key, value)}  {METRICS[key][1]}" for key, value in self.metrics.items()]
        return "\n".join(lines)


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


_DISTILLED = "musicnn MTT tags"

#: Every shipped weight, by name, in the order tables list them.
REGISTRY: dict[str, ShippedWeights] = {
    weights.name: weights
    for weights in (
        ShippedWeights(
            name="samplecnn-3x9",
            architecture="SampleCNN",
            file="samplecnn-3x9.pt",
            sha256="c8b0f7bfa663c9f7f1c1a62f90087582a639c1b90d8bff0d8123408e89c23b35",
            sample_rate=16000,
            config={"block": "basic", "multi_level": False, "n_classes": 50},
            segment_samples=59049,
            n_params=1869874,
            file_size=3778867,
            training_data=f"game_music train+valid; {_DISTILLED}",
            recipe="logit regression onto musicnn's 50 MTT tags, AdamW with cosine decay, 4 random crops per clip: "
            "20 epochs on the train split at 1e-3 (best validation epoch), then 16 on train+valid at 3e-4; "
            "106 + 96 min on 2 CPU cores",
            metrics={"test_teacher_roc_auc": 0.8945, "test_teacher_pr_auc": 0.6039},
            key_metric="test_teacher_roc_auc",
            results="benchmarks/results/distill_basic-lmse-c4-tv.md",
            summary="The basic 3^9 SampleCNN of the sample-level paper (59,049-sample input) with a 50-tag head; "
            "the first default of SampleCNNFeatures, sktag tag and the HEAR module.",
        ),
        ShippedWeights(
            name="samplecnn-3x9-multiteacher",
            architecture="SampleCNN",
            file="samplecnn-3x9-multiteacher.pt",
            sha256="5dcb6938cd8830224c1524079e293cf9fdd37bd0b2ea0c4cb2f663a26ed613bf",
            sample_rate=16000,
            config={"block": "basic", "multi_level": False, "n_classes": 50},
            segment_samples=59049,
            n_params=1869874,
            file_size=3779013,
            training_data="game_music train+valid, 12 corpus games; 3 teachers",
            recipe="from samplecnn-3x9: logit regression onto three musicnn teachers' patch tags, regression onto "
            "their MSD and MTT max_pool embeddings, NT-Xent between two crops of a clip; AdamW 2e-4, "
            "1,800 of 2,400 cosine steps of 16 clips x 2 crops, gain and EQ changes, bf16; 94 min on 2 CPU cores",
            metrics={
                "heldout_composer_accuracy": 0.5926,
                "heldout_teacher_roc_auc": 0.8354,
                "test_teacher_roc_auc": 0.9031,
            },
            key_metric="heldout_teacher_roc_auc",
            results="benchmarks/results/heldout_games.md",
            summary="The basic 3^9 SampleCNN distilled from three musicnn teachers on about 14.4 h of game music, "
            "validated on two games it never heard (naev, SuperTuxKart): the issue-26 network.",
        ),
        ShippedWeights(
            name="samplecnn-3x9-multiteacher-v2",
            architecture="SampleCNN",
            file="samplecnn-3x9-multiteacher-v2.pt",
            sha256="a24db3a92c1bfdded0b473afcdd859a756f4391a99663dcf68edaafd4bc45237",
            sample_rate=16000,
            config={"block": "basic", "multi_level": False, "n_classes": 50},
            segment_samples=59049,
            n_params=1869874,
            file_size=3779140,
            training_data="game_music train+valid, 12 corpus games; 3 teachers",
            recipe="samplecnn-3x9-multiteacher's run to its end (2,400 steps), then 1,500 more cosine steps from 2e-4 "
            "with the embedding and NT-Xent (weight 0.5) terms on block3-9; 85 min more on 2 CPU cores",
            metrics={
                "heldout_composer_accuracy": 0.6072,
                "heldout_teacher_roc_auc": 0.8429,
                "test_teacher_roc_auc": 0.9026,
                "philharmonia_instrument_accuracy": 0.940,
            },
            key_metric="heldout_teacher_roc_auc",
            results="benchmarks/results/heldout_games.md",
            summary="samplecnn-3x9-multiteacher trained 3,900 steps in all, the last 1,500 with a stronger "
            "contrastive term: better on the two games it never heard and on Philharmonia instruments.",
        ),
        ShippedWeights(
            name="samplecnn-3x9-multiteacher-v3",
            architecture="SampleCNN",
            file="samplecnn-3x9-multiteacher-v3.pt",
            sha256="ab0b219a194385c616bdf742646f7624d82a1aac85b9c364fb3d2235d87c5f4d",
            sample_rate=16000,
            config={
                "block": "basic",
                "multi_level": False,
                "n_classes": 50,
                "clip_head": ["block3", "block4", "block5", "block6", "block7", "block8", "block9"],
            },
            segment_samples=59049,
            n_params=2074724,
            file_size=4190058,
            training_data="v2's network; tag head on 21 games (v2's, naev, SuperTuxKart); MTT tags",
            recipe="v2's blocks unchanged; a clip-level linear tag head (ridge on block3-9 max and mean, to the "
            "teacher's tag ranks as normal scores, alpha 300, calibrated per tag), chosen on naev and SuperTuxKart",
            metrics={
                "heldout_teacher_roc_auc_batch2": 0.8774,
                "heldout_composer_accuracy": 0.6072,
                "heldout_composer_accuracy_batch2": 0.728,
                "philharmonia_instrument_accuracy": 0.938,
            },
            key_metric="heldout_teacher_roc_auc_batch2",
            results="benchmarks/results/tag_head.md",
            summary="samplecnn-3x9-multiteacher-v2 (the same blocks, so the same features) with a clip-level tag "
            "head: its tags agree 0.877 with the teacher on 11 games nothing was fitted or chosen on, against 0.840 "
            "for v2's own output layer.",
        ),
        ShippedWeights(
            name="samplecnn-3x8",
            architecture="SampleCNN",
            file="samplecnn-3x8.pt",
            sha256="e9d912fd59106680279a34a4d2856788dd794606a62123f3aa12e9da104b2f62",
            sample_rate=16000,
            config={"n": 8, "block": "basic", "multi_level": False, "n_classes": 50},
            segment_samples=19683,
            n_params=1672498,
            file_size=3380831,
            training_data=f"game_music train; {_DISTILLED}",
            recipe="logit regression onto musicnn's 50 MTT tags, AdamW 1e-3 with cosine decay, 8 epochs of 12 random "
            "crops per clip, best validation epoch; 44 min on 2 CPU cores",
            metrics={"test_teacher_roc_auc": 0.8598, "test_teacher_pr_auc": 0.5262},
            key_metric="test_teacher_roc_auc",
            results="benchmarks/results/distill_samplecnn-3x8.md",
            summary="The basic 3^8 SampleCNN (8 blocks, 19,683-sample input): the short scale of the multi-scale "
            "features.",
        ),
        ShippedWeights(
            name="samplecnn-3x10",
            architecture="SampleCNN",
            file="samplecnn-3x10.pt",
            sha256="d3832f0430195f711ea18267185e2386cfcd2afa1a68a168245680507925cdf9",
            sample_rate=16000,
            config={"n": 10, "block": "basic", "multi_level": False, "n_classes": 50},
            segment_samples=177147,
            n_params=2067250,
            file_size=4176357,
            training_data=f"game_music train; {_DISTILLED}",
            recipe="logit regression onto musicnn's 50 MTT tags, AdamW 1e-3 with cosine decay, 6 epochs of 2 random "
            "crops per clip (validation score still rising); 55 min on 2 CPU cores",
            metrics={"test_teacher_roc_auc": 0.7945, "test_teacher_pr_auc": 0.3853},
            key_metric="test_teacher_roc_auc",
            results="benchmarks/results/distill_samplecnn-3x10.md",
            summary="The basic 3^10 SampleCNN (10 blocks, 177,147-sample input): the long scale of the multi-scale "
            "features, the least trained of the three.",
        ),
        ShippedWeights(
            name="rese2-multilevel",
            architecture="SampleCNN",
            file="rese2-multilevel.pt",
            sha256="81acd91d7e81968449afdd94c77129da735f9bbf6b59a9be142d57e7831692b5",
            sample_rate=16000,
            config={"block": "rese2", "multi_level": True, "n_classes": 50},
            segment_samples=59049,
            n_params=26980146,
            file_size=54048535,
            training_data=f"game_music train+valid; {_DISTILLED}",
            recipe="logit regression onto musicnn's 50 MTT tags, AdamW 1e-3 with cosine decay, one stage of 13 "
            "epochs of 2 random crops per clip on train+valid; 91 min on 2 CPU cores",
            metrics={"test_teacher_roc_auc": 0.8560, "test_teacher_pr_auc": 0.4840},
            key_metric="test_teacher_roc_auc",
            results="benchmarks/results/distill_rese2-ml-tv.md",
            summary="The ReSE-2 3^9 SampleCNN of arXiv:1710.10451 (residual squeeze-and-excitation blocks, ratio 16) "
            "with the multi-level head over the last three blocks; saw a fifth of samplecnn-3x9's crops.",
        ),
        ShippedWeights(
            name="melcnn-18f",
            architecture="MelCNN",
            file="melcnn-18f.pt",
            sha256="f1dc9920cdfceae7b010514fd6c4281d66e3aa391aff287a61b75f7580e1f60c",
            sample_rate=16000,
            config={"sample_rate": 16000, "hop_length": 372, "fmax": 8000, "n_frames": 18, "n_classes": 50},
            segment_samples=6324,
            n_params=716850,
            file_size=1451285,
            training_data=f"game_music train; {_DISTILLED}",
            recipe="logit regression onto musicnn's 50 MTT tags, AdamW 1e-3 with cosine decay, 16 random crops per "
            "clip, best validation epoch of 30; 7 min on 2 CPU cores",
            metrics={"test_teacher_roc_auc": 0.8821, "test_teacher_pr_auc": 0.5392},
            key_metric="test_teacher_roc_auc",
            results="benchmarks/results/distill_mel18.md",
            summary="The local log-mel CNN of arXiv:1703.01793 on 18-frame patches (hop 372 at 16 kHz): the short "
            "scale of the mel multi-scale features.",
        ),
        ShippedWeights(
            name="melcnn-27f",
            architecture="MelCNN",
            file="melcnn-27f.pt",
            sha256="7fc7869d6775290f2c865f3bf5ae791a52dff207b703c303e3a86a6efa8f8521",
            sample_rate=16000,
            config={"sample_rate": 16000, "hop_length": 372, "fmax": 8000, "n_frames": 27, "n_classes": 50},
            segment_samples=9672,
            n_params=716850,
            file_size=1451285,
            training_data=f"game_music train; {_DISTILLED}",
            recipe="logit regression onto musicnn's 50 MTT tags, AdamW 1e-3 with cosine decay, 16 random crops per "
            "clip, best validation epoch of 30; 8 min on 2 CPU cores",
            metrics={"test_teacher_roc_auc": 0.8958, "test_teacher_pr_auc": 0.5475},
            key_metric="test_teacher_roc_auc",
            results="benchmarks/results/distill_mel27.md",
            summary="The local log-mel CNN of arXiv:1703.01793 on 27-frame patches (hop 372 at 16 kHz): the middle "
            "scale of the mel multi-scale features.",
        ),
        ShippedWeights(
            name="melcnn-54f",
            architecture="MelCNN",
            file="melcnn-54f.pt",
            sha256="b138a2316eea5e14dc670d74627777de5cc1e8970b63a4815a527c28dfba2b8f",
            sample_rate=16000,
            config={"sample_rate": 16000, "hop_length": 372, "fmax": 8000, "n_frames": 54, "n_classes": 50},
            segment_samples=19716,
            n_params=914226,
            file_size=1848626,
            training_data=f"game_music train; {_DISTILLED}",
            recipe="logit regression onto musicnn's 50 MTT tags, AdamW 1e-3 with cosine decay, 16 random crops per "
            "clip, best validation epoch of 30; 11 min on 2 CPU cores",
            metrics={"test_teacher_roc_auc": 0.8983, "test_teacher_pr_auc": 0.5762},
            key_metric="test_teacher_roc_auc",
            results="benchmarks/results/distill_mel54.md",
            summary="The local log-mel CNN of arXiv:1703.01793 on 54-frame patches (hop 372 at 16 kHz): the long "
            "scale of the mel multi-scale features and the default of MelCNNFeatures.",
        ),
        ShippedWeights(
            name="artist-basic-gamemusic",
            architecture="ArtistCNN",
            file="artist-basic-gamemusic.pt",
            sha256="33b2ace466afb25fa5b127c9f20e4b4f9b7f57c7ad6374a262ea4f0c6e5e66cd",
            sample_rate=16000,
            config={"sample_rate": 16000, "hop_length": 372, "fmax": 8000, "n_classes": 19},
            segment_samples=47616,
            n_params=269331,
            file_size=560989,
            training_data="game_music train; 711 clips of 19 composers",
            recipe="softmax head over the composers (ArtistCNNTagger), AdamW 1e-3 with cosine decay, 30 epochs of "
            "4 random crops per clip; 3.5 min on 2 CPU cores",
            metrics={
                "test_composer_accuracy_block5": 0.456,
                "test_composer_accuracy_random_init_block5_mean_of_5": 0.458,
                "test_verification_eer": 0.355,
                "test_verification_eer_random_init_mean_of_5": 0.346,
            },
            key_metric="test_composer_accuracy_block5",
            results="benchmarks/results/artist_gm16k-all.md",
            summary="The artist-label CNN of arXiv:1710.06648 (\"basic\" model, 3 s log-mel patches at 16 kHz); "
            "the first default of ArtistCNNFeatures. On 19 composers its features are no better than random "
            "initialisation for composer recognition.",
        ),
        ShippedWeights(
            name="artist-siamese-gamemusic",
            architecture="ArtistCNN",
            file="artist-siamese-gamemusic.pt",
            sha256="a88109eae3b42a79e2cb05fb2d402c3d50475a0faee599f6ee57a807e900ff1d",
            sample_rate=16000,
            config={"sample_rate": 16000, "hop_length": 372, "fmax": 8000},
            segment_samples=47616,
            n_params=264448,
            file_size=546461,
            training_data="game_music train; 711 clips of 19 composers",
            recipe="Siamese (SiameseArtistCNN): 1 positive and 4 negative artists, hinge 0.4 on cosine similarities, "
            "SGD 0.1 with Nesterov momentum, 15 epochs of 4 random crops per clip; 6.6 min on 2 CPU cores",
            metrics={
                "test_verification_eer": 0.239,
                "test_verification_eer_random_init_mean_of_5": 0.346,
                "test_composer_accuracy_block5": 0.401,
                "test_composer_accuracy_random_init_block5_mean_of_5": 0.458,
            },
            key_metric="test_verification_eer",
            results="benchmarks/results/artist_gm16k-all.md",
            summary="The artist-label CNN of arXiv:1710.06648 trained as a Siamese network (no classifier; 256-d "
            "embedding): compares clips by composer.",
        ),
        ShippedWeights(
            name="artist-basic-gamemusic2",
            architecture="ArtistCNN",
            file="artist-basic-gamemusic2.pt",
            sha256="f81750c1e21c5beecee30a7ab7d535e8ac038979fc0deb6cd7db479aebb51658",
            sample_rate=16000,
            config={"sample_rate": 16000, "hop_length": 372, "fmax": 8000, "n_classes": 26},
            segment_samples=47616,
            n_params=271130,
            file_size=564875,
            training_data="game_music train+valid, 12 corpus games; 1141 clips of 26 composers",
            recipe="one-vs-rest BCE head over the 26 composers with >= 2 tracks (ArtistCNNTagger), AdamW 1e-3 with "
            "cosine decay, 30 epochs of 4 random crops per clip, best epoch on a tenth of each composer's tracks; "
            "8.9 min on 2 CPU cores",
            metrics={
                "heldout_composer_accuracy_batch2": 0.690,
                "heldout_composer_accuracy_batch2_random_init_mean_of_3": 0.652,
                "heldout_composer_accuracy": 0.529,
                "heldout_composer_accuracy_random_init_mean_of_3": 0.520,
            },
            key_metric="heldout_composer_accuracy_batch2",
            results="benchmarks/results/artist_heldout_batch2.md",
            summary="The artist-label CNN of arXiv:1710.06648 (\"basic\" model) retrained on the 26 composers of 19 "
            "games; the default of ArtistCNNFeatures. On 11 games it never heard it recognises composers better "
            "than artist-basic-gamemusic, MFCC statistics and three random artist CNNs.",
        ),
    )
}

#: Architecture -> the shipped weights that ``weights="default"`` loads for it: each family's best on music
#: it never heard where that was measured (SampleCNN, ArtistCNN), else on the transfer benchmark
#: (benchmarks/results/transfer.md). SampleCNN: the 3^9 basic network distilled from
#: three teachers on 19 games (issue 26), trained longest: on two games it never heard, teacher agreement
#: 0.843 and composer accuracy 0.607 against samplecnn-3x9-multiteacher's 0.835 and 0.593 and samplecnn-3x9's
#: 0.810 and 0.569 (heldout_games.md), Philharmonia instrument 0.940 against 0.918 and 0.885
#: (transfer_multiteacher.md, transfer.md); -v3 is that network (the same features) with a clip-level tag
#: head, whose tags agree 0.877 with the teacher on the 11 second-batch games against 0.840 (tag_head.md);
#: MelCNN: the 54-frame network (0.8983, the best log-mel scale);
#: ArtistCNN: the classifier-head artist CNN retrained on the 26 composers of 19 games (issue 26): composer
#: accuracy 0.690 on the corpus's 11 second-batch games, which no network heard and no run was selected on,
#: against artist-basic-gamemusic's 0.627, random artist CNNs' 0.628-0.679 (mean 0.652) and MFCC statistics'
#: 0.662 (artist_heldout_batch2.md); on the two validation games naev and SuperTuxKart 0.529 against 0.515,
#: random 0.507-0.542 and MFCC 0.484 (artist_heldout.md). The classifier head beat the Siamese one before
#: (multi-level features, composers 0.467 against 0.451, teacher tags 0.818 against 0.808).
DEFAULTS: dict[str, ShippedWeights] = {
    "SampleCNN": REGISTRY["samplecnn-3x9-multiteacher-v3"],
    "MelCNN": REGISTRY["melcnn-54f"],
    "ArtistCNN": REGISTRY["artist-basic-gamemusic2"],
}

#: Name -> (file inside ``sktag/weights/``, sha256) of the weights shipped with sktag (from :data:`REGISTRY`,
#: where each one's network, training data, recipe and scores are).
SHIPPED_WEIGHTS: dict[str, tuple[str, str]] = {
    name: (weights.file, weights.sha256) for name, weights in REGISTRY.items()
}

#: Architecture -> the name of the shipped weights ``weights="default"`` loads for it (from :data:`DEFAULTS`).
DEFAULT_WEIGHTS: dict[str, str] = {architecture: weights.name for architecture, weights in DEFAULTS.items()}


def list_weights(architecture: str | None = None) -> list[ShippedWeights]:
    """The shipped weights, in :data:`REGISTRY`'s order.

    Parameters
    ----------
    architecture : str, optional
        Only this family's (``"SampleCNN"``, ``"MelCNN"`` or ``"ArtistCNN"``).

    Returns
    -------
    weights : list of ShippedWeights

    Raises
    ------
    WeightsError
        ``architecture`` is no family of shipped weights.
    """
    if architecture is None:
        return list(REGISTRY.values())
    found = [weights for weights in REGISTRY.values() if weights.architecture == architecture]
    if not found:
        families = sorted({weights.architecture for weights in REGISTRY.values()})
        raise WeightsError(f"no shipped weights for architecture {architecture!r}; shipped: {families}")
    return found


def get_shipped_weights(name: str, *, architecture: str = "SampleCNN") -> ShippedWeights:
    """The record of the shipped weights called ``name`` (nothing is loaded).

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY`, or ``"default"`` (``architecture``'s entry of :data:`DEFAULTS`).
    architecture : str, default="SampleCNN"
        The family ``"default"`` is resolved for.

    Returns
    -------
    weights : ShippedWeights

    Raises
    ------
    WeightsError
        No shipped weights of that name (the message lists them, with the closest first).
    """
    if name == "default":
        if architecture not in DEFAULTS:
            raise WeightsError(
                f"no shipped default weights for {architecture!r}; defaults exist for {sorted(DEFAULTS)}"
            )
        return DEFAULTS[architecture]
    if name in REGISTRY:
        return REGISTRY[name]
    close = difflib.get_close_matches(name, REGISTRY, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise WeightsError(f"no shipped weights named {name!r}{hint} (shipped: {', '.join(REGISTRY)})")


#: Columns of :func:`weights_table`.
TABLE_COLUMNS = ("name", "family", "default", "rate", "segment", "size", "training data", "key score (test)")


def weights_table() -> str:
    """The shipped weights as a reStructuredText simple table (``sktag weights`` and the user guide).

    One row per entry of :data:`REGISTRY`: name, family, ``yes`` for each family's
    default, sample rate, segment length, file size, training data and the key
    score (see :data:`METRICS`).

    Returns
    -------
    table : str
        Lines joined by ``"\\n"``, no trailing newline; readable as plain text.
    """
    rows = [TABLE_COLUMNS]
    for weights in REGISTRY.values():
        key = weights.key_metric
        score = f"{METRICS[key][0]} {_score(key, weights.metrics[key])}"
        rows.append(
            (
                weights.name,
                weights.architecture,
                "yes" if weights.is_default else "",
                f"{weights.sample_rate / 1000:g} kHz",
                f"{weights.segment_seconds:.2f} s",
                _mb(weights.file_size),
                weights.training_data,
                score,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(TABLE_COLUMNS))]
    rule = "  ".join("=" * width for width in widths)

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()

    return "\n".join([rule, line(rows[0]), rule, *(line(row) for row in rows[1:]), rule])


#: What :func:`sktag.datasets.load_dataset` (and ``sktag train``) can load.
DATASET_KINDS = ("mtat", "msd", "gtzan", "csv", "folder")
