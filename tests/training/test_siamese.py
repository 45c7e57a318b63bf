"""Siamese training of the artist-label CNN: groups, hinge loss, embeddings, checkpoints."""

import numpy as np
import pytest
import torch

from sktag import ArtistCNNFeatures
from sktag.metrics import equal_error_rate, pair_similarities
from sktag.training import AudioStore, SiameseArtistCNN
from sktag.training.siamese import ArtistGroups, CosineHingeLoss
from sktag.weights import load_checkpoint

SMALL = {"sample_rate": 8000, "n_fft": 128, "hop_length": 16, "n_mels": 16, "widths": [8, 8, 8, 8, 16]}


def _tone_artists(n_clips=16, seed=0):
    """Four 'artists', each a tone band; clips of 9000 samples at 8 kHz."""
    rng = np.random.default_rng(seed)
    t = np.arange(9000) / 8000
    X, y = [], []
    for i in range(n_clips):
        f = (300, 700, 1500, 3000)[i % 4] * rng.uniform(0.95, 1.05)
        X.append((0.5 * np.sin(2 * np.pi * f * t) + 0.05 * rng.standard_normal(len(t))).astype(np.float32))
        y.append("abcd"[i % 4])
    return X, np.asarray(y)


def test_groups_hold_anchor_positive_and_distinct_negative_artists(tmp_path):
    labels = np.array([0, 0, 1, 2, 3, 4])
    X = [np.full(500, (i + 1) / 10, dtype=np.float32) for i in range(len(labels))]  # clip i is the constant (i+1)/10
    store = AudioStore.build(X, sample_rate=8000, cache_dir=str(tmp_path))
    groups = ArtistGroups(store, labels, 100, n_negatives=4, per_clip=2)
    assert len(groups) == 12
    torch.manual_seed(0)
    for index in range(len(groups)):
        crops, _ = groups[index]
        clips = [int(round(float(c[0]) * 10)) - 1 for c in crops]
        anchor, positive, negatives = clips[0], clips[1], clips[2:]
        assert anchor == index % 6 and labels[positive] == labels[anchor]
        assert positive != anchor or (labels == labels[anchor]).sum() == 1
        artists = [labels[n] for n in negatives]
        assert labels[anchor] not in artists and len(set(artists)) == 4  # 5 artists: 4 distinct others
    with pytest.raises(ValueError, match="two artists"):
        ArtistGroups(store, np.zeros(6, dtype=int), 100)


def test_positives_come_from_another_track_of_the_artist_when_there_is_one(tmp_path):
    labels = np.array([0, 0, 0, 1, 1, 2])
    tracks = np.array(["a", "a", "b", "c", "c", "d"])  # artist 1 has one track: positives from its other clip
    X = [np.full(500, (i + 1) / 10, dtype=np.float32) for i in range(len(labels))]
    store = AudioStore.build(X, sample_rate=8000, cache_dir=str(tmp_path))
    groups = ArtistGroups(store, labels, 100, n_negatives=2, per_clip=20, groups=tracks)
    torch.manual_seed(0)
    pairs = set()
    for index in range(len(groups)):
        crops, _ = groups[index]
        anchor, positive = (int(round(float(c[0]) * 10)) - 1 for c in crops[:2])
        pairs.add((anchor, positive))
    assert {p for a, p in pairs if a in (0, 1)} == {2} and {p for a, p in pairs if a == 2} == {0, 1}
    assert {p for a, p in pairs if a == 3} == {4} and {p for a, p in pairs if a == 5} == {5}
    with pytest.raises(ValueError, match="one track per clip"):
        SiameseArtistCNN(SMALL, max_epochs=1).fit(X, ["x", "x", "x", "y", "y", "z"], groups=tracks[:3])


def test_cosine_hinge_loss_by_hand():
    similarities = torch.tensor([[0.9, 0.1, 0.7], [0.2, 0.5, -1.0]])
    # row 1: max(0, .4 - .9 + .1) + max(0, .4 - .9 + .7) = 0 + .2; row 2: max(0, .4 - .2 + .5) + 0 = .7
    assert CosineHingeLoss(0.4)(similarities).item() == pytest.approx((0.2 + 0.7) / 2)


def test_siamese_training_embeds_clips_and_saves_a_checkpoint_for_artist_features(tmp_path):
    X, y = _tone_artists()
    model = SiameseArtistCNN(
        SMALL,
        sample_rate=8000,
        optimizer="adam",
        lr=3e-3,
        max_epochs=15,
        batch_size=4,
        precision="fp32",
        cache_dir=str(tmp_path / "cache"),
        random_state=0,
        verbose=0,
    )
    model.fit(X, y, X_valid=X[:8], y_valid=y[:8])
    assert list(model.classes_) == ["a", "b", "c", "d"] and "valid_loss" in model.history_[-1]
    Z = model.transform(X)
    assert Z.shape == (16, 16) and Z.dtype == np.float32
    assert equal_error_rate(*pair_similarities(Z, y)) <= 0.2
    path = tmp_path / "siamese.pt"
    model.save(path, half=False)
    meta = load_checkpoint(str(path)).meta
    assert meta["recipe"]["n_negatives"] == 4 and len(meta["history"]) == 15 and meta["artists"] == list("abcd")
    features = ArtistCNNFeatures(str(path), layers="embedding", pooling="mean", sample_rate=8000).fit(X)
    # on CUDA both run TF32 convolutions, the features with BatchNorm folded in: ~1e-3 apart (measured on an H100)
    tolerance = {"rtol": 1e-2, "atol": 5e-3} if torch.cuda.is_available() else {"rtol": 1e-4, "atol": 1e-5}
    np.testing.assert_allclose(features.transform(X), Z, **tolerance)
    with pytest.raises(ValueError, match="n_classes"):
        SiameseArtistCNN({**SMALL, "n_classes": 3}, sample_rate=8000).fit(X, y)


def test_verbose_prints_the_epoch_table(tmp_path, capsys):
    X, y = _tone_artists(n_clips=8)
    SiameseArtistCNN(
        SMALL,
        sample_rate=8000,
        max_epochs=2,
        batch_size=4,
        precision="fp32",
        cache_dir=str(tmp_path),
        random_state=0,
        verbose=1,
    ).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and out.count("\n") >= 4
