"""The end-to-end taggers: SampleCNNTagger, ArtistCNNTagger and MelCNNTagger (tiny networks)."""

import json

import numpy as np
import pytest
import torch

from sktag import ArtistCNNFeatures, MelCNNFeatures, MultiScaleFeatures, SampleCNNFeatures
from sktag.training import ArtistCNNTagger, MelCNNTagger, SampleCNNTagger

TINY = {"m": 3, "n": 4, "widths": [8, 8, 16, 16], "stem_width": 8}  # 243-sample segments


def _tiny_tagger(cache, **changes) -> SampleCNNTagger:
    """A SampleCNNTagger of the TINY network at 8 kHz, fp32, seeded and quiet; ``changes`` override."""
    params = {
        "architecture": TINY,
        "analysis_rate": 8000,
        "recipe": "adam",
        "lr": 3e-3,
        "max_epochs": 12,
        "batch_size": 4,
        "cache_dir": cache,
        "random_state": 0,
        "verbose": 0,
        "precision": "fp32",
    }
    return SampleCNNTagger(**{**params, **changes})


def _tone_clips(n_per_class=6, sr=8000, seconds=0.25, seed=0):
    """Two classes of clips: a low and a high tone in noise; tags (low, high, both-ish soft)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    X, y = [], []
    for i in range(2 * n_per_class):
        high = i % 2
        f = (2000 if high else 300) * rng.uniform(0.9, 1.1)
        X.append((0.5 * np.sin(2 * np.pi * f * t) + 0.05 * rng.standard_normal(len(t))).astype(np.float32))
        y.append([1 - high, high])
    return X, np.asarray(y, dtype=np.float32)


def test_tagger_learns_and_saves_a_checkpoint_features_can_load(tmp_path, cache):
    X, y = _tone_clips()
    tagger = _tiny_tagger(cache)
    tagger.fit(X, y, X_valid=X, y_valid=y, tags=["low", "high"])
    assert list(tagger.classes_) == ["low", "high"]
    proba = tagger.predict_proba(X)
    assert proba.shape == (12, 2) and proba.dtype == np.float32
    assert tagger.score(X, y) > 0.8
    assert "valid_roc_auc" in tagger.history_[-1] and "valid_pr_auc" in tagger.history_[-1]
    path = tmp_path / "tones.pt"
    tagger.save(path, meta={"training_data": "synthetic tones"})
    features = SampleCNNFeatures(weights=str(path), layers=["block4", "fc"]).fit(X)
    assert features.analysis_rate_ == 8000
    assert features.transform(X).shape == (12, 16 + 512)
    restored = torch.load(path, weights_only=True)["meta"]
    assert restored["tags"] == ["low", "high"] and restored["recipe"]["recipe"] == "adam"
    assert len(restored["history"]) == 12


def test_verbose_prints_the_epoch_table(cache, capsys):
    X, y = _tone_clips(n_per_class=2)
    _tiny_tagger(cache, lr=None, max_epochs=2, verbose=1).fit(X, y, X_valid=X, y_valid=y)
    out = capsys.readouterr().out
    assert "valid_roc_auc" in out and out.count("\n") >= 4  # header, rule, one row per epoch


def test_logit_mse_loss_and_several_crops_per_clip_train(cache):
    X, y = _tone_clips()
    soft = np.clip(0.05 + 0.9 * y, 0, 1)  # a teacher's soft version of the tags
    tagger = _tiny_tagger(cache, max_epochs=4, crops_per_clip=3, loss="logit_mse")
    tagger.fit(X, soft, X_valid=X, y_valid=soft)
    train_batches = [b for b in tagger.history_[0, "batches"] if "train_loss" in b]
    assert len(train_batches) == 36 // 4  # 12 clips x 3 crops per epoch
    assert tagger.history_[-1, "train_loss"] < tagger.history_[0, "train_loss"]
    assert tagger.score(X, soft) > 0.8


def test_staged_recipe_moves_through_stages_and_stops(cache):
    X, y = _tone_clips(n_per_class=3)
    tagger = _tiny_tagger(cache, recipe="staged", lr=None, max_epochs=40, patience=1, batch_size=6)
    tagger.fit(X, y, X_valid=X, y_valid=y)
    stages = [row["lr_stage"] for row in tagger.history_]
    assert stages == sorted(stages) and stages[-1] == 4  # every stage visited, in order
    assert len(tagger.history_) < 40  # stopped after the last stage, not by max_epochs
    lrs = [row["lr"] for row in tagger.history_]
    assert lrs[0] == 0.01 and lrs[-1] == pytest.approx(1.6e-5)
    with pytest.raises(ValueError, match="pass X_valid"):
        SampleCNNTagger(architecture=TINY, analysis_rate=8000, cache_dir=cache).fit(X, y)


def test_training_resumes_from_a_checkpoint(tmp_path, cache):
    X, y = _tone_clips(n_per_class=3)
    params = dict(
        architecture=TINY,
        analysis_rate=8000,
        recipe="adam",
        batch_size=6,
        cache_dir=cache,
        checkpoint_dir=str(tmp_path / "run"),
        random_state=0,
        verbose=0,
        precision="fp32",
    )
    first = SampleCNNTagger(max_epochs=2, **params).fit(X, y, X_valid=X, y_valid=y)
    assert len(first.history_) == 2
    with open(tmp_path / "run" / "history.json") as f:
        assert "valid_roc_auc" in json.load(f)[-1]  # the saved history holds the epoch's clip scores
    second = SampleCNNTagger(max_epochs=4, **params).fit(X, y, X_valid=X, y_valid=y)
    assert len(second.history_) == 4
    assert [row["train_loss"] for row in second.history_[:2]] == [row["train_loss"] for row in first.history_]
    done = SampleCNNTagger(max_epochs=4, **params).fit(X, y, X_valid=X, y_valid=y)  # nothing left to run
    assert len(done.history_) == 4


def test_fine_tuning_leaves_frozen_blocks_bit_identical(tmp_path, cache):
    X, y = _tone_clips(n_per_class=3)
    base = _tiny_tagger(cache, lr=None, max_epochs=2, batch_size=6).fit(X, y)
    path = tmp_path / "base.pt"
    base.save(path, half=False)
    before = {k: v.clone() for k, v in torch.load(path, weights_only=True)["state_dict"].items()}
    y3 = np.concatenate([y, y[:, :1]], axis=1)  # a new tag: a new output layer
    tuned = SampleCNNTagger(
        weights=str(path),
        recipe="adam",
        lr=1e-2,
        max_epochs=3,
        batch_size=6,
        freeze=["stem", "block1", "block2"],
        cache_dir=cache,
        random_state=0,
        verbose=0,
        precision="fp32",
    ).fit(X, y3)
    after = {k: v.cpu() for k, v in tuned.net_.module_.state_dict().items()}  # trained on CUDA where there is one
    for key, value in before.items():
        if key.startswith(("stem.", "blocks.0.", "blocks.1.")):
            assert torch.equal(after[key], value), key  # weights and BatchNorm statistics
    assert not torch.equal(after["blocks.3.0.weight"], before["blocks.3.0.weight"])
    assert tuned.net_.module_.classifier.out_features == 3
    with pytest.raises(ValueError, match="freeze names unknown layers"):
        SampleCNNTagger(weights=str(path), freeze=["block9"], recipe="adam", cache_dir=cache).fit(X, y)


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.full((12, 2), 2.0), "y must hold values in"),
        (np.full((12, 2), np.nan), "y must hold values in"),
        (np.ones((12, 2, 2)), "y must be 1-D class labels or 2-D"),
        (np.linspace(0, 1, 12), "Unknown label type: continuous"),
        (np.ones((3, 2)), "X holds 12 clips but y has 3 rows"),
        (None, "requires y"),
    ],
)
def test_bad_targets(bad, match, cache):
    X, _ = _tone_clips()
    with pytest.raises(ValueError, match=match):
        SampleCNNTagger(architecture=TINY, recipe="adam", cache_dir=cache).fit(X, bad)


def test_single_label_targets_train_one_hot(cache):
    X, y = _tone_clips()
    labels = np.where(y[:, 1] == 1, "high", "low")
    tagger = _tiny_tagger(cache)
    tagger.fit(X, labels)
    assert list(tagger.classes_) == ["high", "low"] and not tagger.multilabel_
    assert set(tagger.predict(X)) <= {"high", "low"}
    assert tagger.score(X, labels) >= 0.75


TINY_ARTIST = {"sample_rate": 8000, "n_fft": 128, "hop_length": 16, "n_mels": 16, "widths": [8, 8, 8, 8, 16]}


@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # 2000-sample clips, 2048-sample segments
def test_artist_tagger_learns_labels_freezes_blocks_and_feeds_artist_features(tmp_path, cache):
    X, y = _tone_clips()
    labels = np.where(y[:, 1] == 1, "high", "low")
    tagger = ArtistCNNTagger(
        architecture=TINY_ARTIST,
        recipe="adam",
        lr=1e-2,
        max_epochs=20,
        batch_size=4,
        cache_dir=cache,
        random_state=0,
        verbose=0,
        precision="fp32",
    )
    tagger.fit(X, labels, X_valid=X, y_valid=labels)
    assert tagger.analysis_rate_ == 8000 and list(tagger.classes_) == ["high", "low"]
    assert tagger.score(X, labels) >= 0.8
    path = tmp_path / "artist.pt"
    tagger.save(path, half=False)
    features = ArtistCNNFeatures(weights=str(path), layers="embedding").fit(X)
    assert features.transform(X).shape == (12, 16)
    before = {k: v.clone() for k, v in tagger.net_.module_.blocks[0].state_dict().items()}
    tuned = ArtistCNNTagger(
        str(path),
        freeze=["block1"],
        recipe="adam",
        max_epochs=1,
        batch_size=4,
        cache_dir=cache,
        random_state=0,
        verbose=0,
        precision="fp32",
    ).fit(X, labels)
    after = tuned.net_.module_.blocks[0].state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    with pytest.raises(ValueError, match=r"layers with weights are \['block1', .*'block5'\]"):
        ArtistCNNTagger(str(path), freeze=["block9"], cache_dir=cache, recipe="adam").fit(X, labels)
    with pytest.raises(ValueError, match="holds architecture 'ArtistCNN', but SampleCNNTagger"):
        SampleCNNTagger(str(path), cache_dir=cache, recipe="adam").fit(X, labels)


TINY_MEL = {"sample_rate": 8000, "n_fft": 128, "hop_length": 32, "n_mels": 16, "n_frames": 18, "widths": [8, 8, 16]}


def test_tagger_learns_tags_and_its_checkpoint_feeds_multi_scale_features(tmp_path):
    X, y = _tone_clips(seconds=0.5)
    tagger = MelCNNTagger(
        architecture=TINY_MEL,
        recipe="adam",
        lr=3e-3,
        max_epochs=8,
        batch_size=4,
        cache_dir=str(tmp_path / "cache"),
        random_state=0,
        verbose=0,
        precision="fp32",
    )
    tagger.fit(X, y, X_valid=X, y_valid=y, tags=["low", "high"])
    assert tagger.analysis_rate_ == 8000 and tagger.score(X, y) > 0.8
    path = tmp_path / "mel18.pt"
    tagger.save(path, half=False)
    features = MelCNNFeatures(weights=str(path)).fit(X)
    assert features.layers_ == ["block1", "block2", "block3"]  # every conv layer, as the paper aggregates
    assert features.transform(X).shape == (12, 8 + 8 + 16)
    scales = MultiScaleFeatures(
        [
            ("f18", MelCNNFeatures(weights=str(path))),
            ("f27", MelCNNFeatures(weights=None, architecture={**TINY_MEL, "n_frames": 27}, random_state=0)),
        ]
    ).fit(X)
    Z = scales.transform(X)
    assert Z.shape == (12, 32 + 32) and np.isfinite(Z).all()
    np.testing.assert_allclose(Z[:, :32], features.transform(X), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="holds architecture 'MelCNN', but ArtistCNNTagger"):
        ArtistCNNTagger(str(path), recipe="adam", cache_dir=str(tmp_path / "cache")).fit(X, y)
