"""The training path: audio store, datasets, clip scoring, SampleCNNTagger (tiny networks)."""

import json
import os

import numpy as np
import pytest
import soundfile
import torch

from sktag import ArtistCNNFeatures, SampleCNNFeatures
from sktag.metrics import binarize_targets, tag_scores
from sktag.training import ArtistCNNTagger, AudioStore, SampleCNNTagger
from sktag.training.data import AllSegments, RandomCrops
from sktag.training.losses import TeacherLogitMSE

TINY = {"m": 3, "n": 4, "widths": [8, 8, 16, 16], "stem_width": 8}  # 243-sample segments


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


@pytest.fixture
def cache(tmp_path):
    return str(tmp_path / "cache")


def test_audio_store_round_trip_and_reuse(tmp_path, cache):
    rng = np.random.default_rng(0)
    y = np.clip(0.2 * rng.standard_normal(5000), -0.99, 0.99).astype(np.float32)
    path = tmp_path / "clip.wav"
    soundfile.write(path, y, 8000, subtype="PCM_16")
    store = AudioStore.build([str(path), y[:100]], sample_rate=8000, cache_dir=cache)
    assert list(store.lengths) == [5000, 100]
    np.testing.assert_allclose(store.crop(0, 0, 5000), y, atol=2 / 32768)
    np.testing.assert_allclose(store.crop(1, 50, 80)[:50], y[50:100], atol=2 / 32768)
    assert not store.crop(1, 50, 80)[50:].any()  # zero-padded past the end
    data_files = sorted(os.listdir(cache))
    mtime = os.path.getmtime(os.path.join(cache, data_files[0]))
    again = AudioStore.build([str(path), y[:100]], sample_rate=8000, cache_dir=cache)
    assert sorted(os.listdir(cache)) == data_files and os.path.getmtime(os.path.join(cache, data_files[0])) == mtime
    np.testing.assert_array_equal(again.crop(0, 0, 5000), store.crop(0, 0, 5000))
    resampled = AudioStore.build([str(path)], sample_rate=16000, cache_dir=cache)
    assert resampled.lengths[0] == 10000


def test_random_crops_and_all_segments(cache):
    X = [np.arange(1000, dtype=np.float32) / 1000, np.ones(100, dtype=np.float32) * 0.5]
    targets = np.array([[1, 0], [0, 1]], dtype=np.float32)
    store = AudioStore.build(X, sample_rate=8000, cache_dir=cache)
    crops = RandomCrops(store, targets, 243)
    torch.manual_seed(0)
    first = [crops[0][0][0].item() for _ in range(20)]
    assert len(set(first)) > 5  # a new random start each time
    torch.manual_seed(0)
    assert [crops[0][0][0].item() for _ in range(20)] == first  # reproducible from the seed
    assert crops[1][0].shape == (243,) and crops[1][0][100:].abs().sum() == 0
    segments = AllSegments(store, targets, 243)
    assert len(segments) == 4 + 1 and list(segments.clip_index) == [0, 0, 0, 0, 1]
    values = np.arange(10, dtype=np.float32).reshape(5, 2)
    np.testing.assert_allclose(segments.clip_mean(values), [[3, 4], [8, 9]])
    three = RandomCrops(store, targets, 243, per_clip=3)
    assert len(three) == 6
    assert [three[i][1].argmax().item() for i in range(6)] == [0, 1, 0, 1, 0, 1]  # every clip 3 times a pass


def test_teacher_logit_mse_is_minimised_at_the_teacher_logits_and_keeps_rare_tags_alive():
    teacher = torch.tensor([[0.9, 0.01, 0.0], [0.2, 0.02, 1.0]])
    loss = TeacherLogitMSE(eps=1e-4)
    exact = torch.logit(teacher.clamp(1e-4, 1 - 1e-4))
    assert loss(exact, teacher).item() == pytest.approx(0.0, abs=1e-10)
    assert torch.sigmoid(exact)[0, 0].item() == pytest.approx(0.9)
    # a student at logit 0 for a tag the teacher rates at 1-2 %: BCE barely pushes, logit MSE does
    student = torch.zeros(2, 3, requires_grad=True)
    loss(student, teacher).backward()
    logit_push = student.grad[:, 1].abs().mean().item()
    student.grad = None
    torch.nn.functional.binary_cross_entropy_with_logits(student, teacher).backward()
    assert logit_push > 5 * student.grad[:, 1].abs().mean().item()


def test_tag_scores_binarize_soft_targets():
    soft = np.linspace(0, 1, 100)[:, None].repeat(2, axis=1)
    binary = binarize_targets(soft, top_fraction=0.1)
    assert binary[:, 0].sum() == 10 and binary[-10:, 0].all()
    scores = tag_scores(soft, soft)
    assert scores["roc_auc"] == pytest.approx(1.0) and scores["n_tags_scored"] == 2
    assert tag_scores(soft, -soft)["roc_auc"] == pytest.approx(0.0)
    hard = np.array([[1, 0], [0, 0], [1, 0]])
    assert tag_scores(hard, np.random.rand(3, 2))["n_tags_scored"] == 1  # a tag without positives is skipped


def test_tagger_learns_and_saves_a_checkpoint_features_can_load(tmp_path, cache):
    X, y = _tone_clips()
    tagger = SampleCNNTagger(
        architecture=TINY,
        analysis_rate=8000,
        recipe="adam",
        lr=3e-3,
        max_epochs=12,
        batch_size=4,
        cache_dir=cache,
        random_state=0,
        verbose=0,
        precision="fp32",
    )
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
    SampleCNNTagger(
        architecture=TINY,
        analysis_rate=8000,
        recipe="adam",
        max_epochs=2,
        batch_size=4,
        cache_dir=cache,
        random_state=0,
        verbose=1,
        precision="fp32",
    ).fit(X, y, X_valid=X, y_valid=y)
    out = capsys.readouterr().out
    assert "valid_roc_auc" in out and out.count("\n") >= 4  # header, rule, one row per epoch


def test_logit_mse_loss_and_several_crops_per_clip_train(cache):
    X, y = _tone_clips()
    soft = np.clip(0.05 + 0.9 * y, 0, 1)  # a teacher's soft version of the tags
    tagger = SampleCNNTagger(
        architecture=TINY,
        analysis_rate=8000,
        recipe="adam",
        lr=3e-3,
        max_epochs=4,
        batch_size=4,
        crops_per_clip=3,
        loss="logit_mse",
        cache_dir=cache,
        random_state=0,
        verbose=0,
        precision="fp32",
    )
    tagger.fit(X, soft, X_valid=X, y_valid=soft)
    train_batches = [b for b in tagger.history_[0, "batches"] if "train_loss" in b]
    assert len(train_batches) == 36 // 4  # 12 clips x 3 crops per epoch
    assert tagger.history_[-1, "train_loss"] < tagger.history_[0, "train_loss"]
    assert tagger.score(X, soft) > 0.8


def test_staged_recipe_moves_through_stages_and_stops(cache):
    X, y = _tone_clips(n_per_class=3)
    tagger = SampleCNNTagger(
        architecture=TINY,
        analysis_rate=8000,
        max_epochs=40,
        patience=1,
        batch_size=6,
        cache_dir=cache,
        random_state=0,
        verbose=0,
        precision="fp32",
    )
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
    base = SampleCNNTagger(
        architecture=TINY,
        analysis_rate=8000,
        recipe="adam",
        max_epochs=2,
        batch_size=6,
        cache_dir=cache,
        random_state=0,
        verbose=0,
        precision="fp32",
    ).fit(X, y)
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
    tagger = SampleCNNTagger(
        architecture=TINY,
        analysis_rate=8000,
        recipe="adam",
        lr=3e-3,
        max_epochs=12,
        batch_size=4,
        cache_dir=cache,
        random_state=0,
        verbose=0,
        precision="fp32",
    )
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
