"""SampleCNNFeatures: the input contract, pipelines on real clips, caching, errors."""

import csv
import os
import pickle
import warnings

import numpy as np
import pytest
import soundfile
import soxr
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktag import ArtistCNNFeatures, MelCNNFeatures, SampleCNNFeatures
from sktag.audio import AudioError, AudioFileNotFoundError, AudioTypeError, ShortClipWarning, load
from sktag.clips import pool_segments, validate_clips
from sktag.nn import SampleCNN
from sktag.weights import DEFAULT_WEIGHTS, SHIPPED_WEIGHTS, save_checkpoint

SMALL = {"m": 3, "n": 5}  # 729-sample segments: fast, yet a real SampleCNN
PHILHARMONIA = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "..", "shared", "data", "philharmonia"
)


def _philharmonia(split, per_class, groups=("cello", "flute")):
    with open(os.path.join(PHILHARMONIA, "clips.csv"), newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split and r["instrument_group"] in groups]
    chosen = {g: [r for r in rows if r["instrument_group"] == g][:per_class] for g in groups}
    picked = [r for g in groups for r in chosen[g]]
    return [os.path.join(PHILHARMONIA, r["path"]) for r in picked], [r["instrument_group"] for r in picked]


@pytest.fixture(scope="module")
def mixed_clips(tmp_path_factory, fixtures_dir):
    """The cello/flute fixture clips, with copies at 44.1 kHz stereo and 8 kHz int16 written on the fly."""
    out = tmp_path_factory.mktemp("mixed")
    originals = sorted((fixtures_dir / "philharmonia").glob("*.mp3"))
    labels = ["cello"] * 3 + ["flute"] * 3
    paths, ys = [], []
    for path, label in zip(originals, labels):
        y, sr = soundfile.read(path, dtype="float32")
        stereo = soxr.resample(y, sr, 44100)
        stereo = np.stack([stereo, 0.5 * stereo], axis=1)
        soundfile.write(out / f"{path.stem}_44k_stereo.flac", stereo, 44100)
        soundfile.write(out / f"{path.stem}_8k.wav", soxr.resample(y, sr, 8000), 8000, subtype="PCM_16")
        paths += [str(path), str(out / f"{path.stem}_44k_stereo.flac"), str(out / f"{path.stem}_8k.wav")]
        ys += [label] * 3
    return paths, ys


@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # most notes are shorter than a segment
def test_pipeline_on_real_clips_beats_chance():
    """Random-init features of the paper's 3^9 network separate cello from flute."""
    X_train, y_train = _philharmonia("train", 20)
    X_test, y_test = _philharmonia("test", 15)
    clf = make_pipeline(
        SampleCNNFeatures(weights=None, random_state=0), StandardScaler(), LogisticRegression(max_iter=1000)
    )
    clf.fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.7


@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # the notes are shorter than a segment
def test_bf16_features_stay_close_to_fp32(fixtures_dir):
    """bf16 autocast of the full 3^9 network: each clip's feature vector within 2 % (relative L2) of fp32."""
    paths = [str(p) for p in sorted((fixtures_dir / "philharmonia").glob("*.mp3"))]
    features = {}
    for precision in ("fp32", "bf16"):
        extractor = SampleCNNFeatures(weights=None, random_state=0, precision=precision).fit(paths)
        assert extractor.autocast_dtype_ == (None if precision == "fp32" else torch.bfloat16)
        # "auto" batches keep the largest activation under 16 MiB: bf16 activations are half the size
        assert extractor.batch_size_ == {"fp32": 1, "bf16": 3}[precision]
        features[precision] = extractor.transform(paths)
    error = np.linalg.norm(features["bf16"] - features["fp32"], axis=1) / np.linalg.norm(features["fp32"], axis=1)
    assert features["bf16"].dtype == np.float32 and 0 < error.max() < 0.02


@pytest.mark.slow  # 70 real clips through the full 3^9 network, twice, bf16 emulated on CPUs without avx512_bf16
@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # most notes are shorter than a segment
def test_bf16_features_stay_close_to_fp32_and_probe_as_well():
    """bf16 autocast: each clip's feature vector within 2 % (relative L2) of fp32, same probe accuracy."""
    X_train, y_train = _philharmonia("train", 20)
    X_test, y_test = _philharmonia("test", 15)
    scores, features = {}, {}
    for precision in ("fp32", "bf16"):
        extractor = SampleCNNFeatures(weights=None, random_state=0, precision=precision).fit(X_train)
        assert extractor.autocast_dtype_ == (None if precision == "fp32" else torch.bfloat16)
        # "auto" batches keep the largest activation under 16 MiB: bf16 activations are half the size
        assert extractor.batch_size_ == {"fp32": 1, "bf16": 3}[precision]
        train, test = extractor.transform(X_train), extractor.transform(X_test)
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(train, y_train)
        scores[precision], features[precision] = probe.score(test, y_test), np.vstack([train, test])
    error = np.linalg.norm(features["bf16"] - features["fp32"], axis=1) / np.linalg.norm(features["fp32"], axis=1)
    assert features["bf16"].dtype == np.float32 and 0 < error.max() < 0.02
    assert abs(scores["bf16"] - scores["fp32"]) <= 2 / len(y_test)


def test_batch_size_is_what_transform_uses():
    X = [np.zeros(2000, np.float32)]
    features = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0, batch_size=5)
    assert not hasattr(features, "batch_size_")  # NotFittedError, an AttributeError, before fit
    assert features.fit(X).batch_size_ == 5
    assert features.set_params(batch_size="auto").batch_size_ == 64  # a 729-sample network: the cap, 64
    assert pickle.loads(pickle.dumps(features)).batch_size_ == 64


def test_pipeline_on_mixed_rates_and_channels(mixed_clips):
    paths, labels = mixed_clips
    features = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0)
    clf = make_pipeline(features, LogisticRegression(max_iter=1000)).fit(paths, labels)
    assert 0.0 <= clf.score(paths, labels) <= 1.0
    Z = clf[0].transform(paths).reshape(6, 3, -1)  # original, 44.1k stereo, 8k copies of each clip
    assert np.isfinite(Z).all()
    for copies in Z:
        # the 44.1 kHz stereo copy carries the same content: close to the original's features
        assert np.corrcoef(copies[0], copies[1])[0, 1] > 0.99
        # the 8 kHz copy has lost the top band, yet is still the same note
        assert np.corrcoef(copies[0], copies[2])[0, 1] > 0.9


def test_arrays_give_the_same_features_as_paths(mixed_clips):
    paths, labels = mixed_clips
    flacs = paths[1::3]
    arrays = [soundfile.read(p, dtype="float32")[0].T for p in flacs]  # (2, n) stereo
    mono = [a.mean(axis=0) for a in arrays]
    features = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0, sample_rate=44100).fit(mono)
    from_arrays = features.transform(mono)
    from_paths = features.transform(flacs)
    np.testing.assert_allclose(from_arrays, from_paths, rtol=1e-4, atol=1e-5)
    clf = make_pipeline(clone(features), LogisticRegression(max_iter=1000)).fit(mono, labels[1::3])
    assert clf.predict(mono).shape == (6,)


def test_two_d_array_equals_list_of_rows():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(5, 3000)).astype(np.float32)
    features = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0).fit(X)
    np.testing.assert_array_equal(features.transform(X), features.transform(list(X)))
    pcm = (X * 32767).astype(np.int16)
    np.testing.assert_allclose(features.transform(pcm), features.transform(pcm / 32768.0), rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # the 500-sample clip is padded to 729
def test_output_shapes_names_and_dtype():
    rng = np.random.default_rng(1)
    X = [rng.standard_normal(n).astype(np.float32) for n in (500, 3000, 8000)]
    base = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0)
    Z = base.fit_transform(X)
    assert Z.dtype == np.float32 and Z.shape == (3, 256 + 256 + 512)  # blocks 3-5 of a 3^5 net
    names = base.get_feature_names_out()
    assert names[0] == "block3_max_mean_0000" and names[-1] == "block5_max_mean_0511"
    both = clone(base).set_params(pooling="max+mean", aggregate="mean+std", layers=["block1", "fc"])
    Z2 = both.fit_transform(X)
    assert Z2.shape == (3, 4 * (128 + 512)) == (3, len(both.get_feature_names_out()))
    assert list(both.get_feature_names_out()[[0, 128, 256, 384]]) == [
        "block1_max_mean_0000",
        "block1_max_std_0000",
        "block1_mean_mean_0000",
        "block1_mean_std_0000",
    ]
    frame = clone(base).set_output(transform="pandas").fit_transform(X)
    assert list(frame.columns) == list(names)


def test_aggregation_matches_manual_computation():
    rng = np.random.default_rng(2)
    y = rng.standard_normal(729 * 4 + 100).astype(np.float32)
    features = SampleCNNFeatures(
        weights=None, architecture=SMALL, random_state=0, layers="block2", pooling="max+mean", aggregate="mean+std"
    ).fit([y])
    (row,) = features.transform([y])
    segments = torch.from_numpy(y[: 729 * 4].reshape(4, 729))
    with torch.inference_mode():
        (act,) = features.model_.forward_intermediates(segments, ["block2"])
    mx, mean = act.amax(-1).numpy(), act.mean(-1).numpy()
    expected = np.concatenate([mx.mean(0), mx.std(0), mean.mean(0), mean.std(0)])
    np.testing.assert_allclose(row, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "cls, family, name",
    [
        (SampleCNNFeatures, "SampleCNN", "samplecnn-3x9-multiteacher-v3"),
        (MelCNNFeatures, "MelCNN", "melcnn-54f"),
        (ArtistCNNFeatures, "ArtistCNN", "artist-basic-gamemusic2"),
    ],
)
def test_transformers_load_their_familys_shipped_weights_by_default(cls, family, name):
    assert DEFAULT_WEIGHTS[family] == name
    features = cls().fit([np.zeros(100, dtype=np.float32)])
    assert features.weights_id_ == "sha256-" + SHIPPED_WEIGHTS[name][1] and features.analysis_rate_ == 16000
    assert cls("default").fit([np.zeros(100)]).weights_id_ == cls(name).fit([np.zeros(100)]).weights_id_
    with pytest.raises(ValueError, match="architecture builds a randomly initialised network: pass weights=None"):
        cls(architecture={}).fit([np.zeros(100)])


def test_layers_by_position_count_from_the_end_like_forward_intermediates():
    X = [np.zeros(100, dtype=np.float32)]
    names = SampleCNN(**SMALL).layer_names  # stem, block1..block5, fc
    assert SampleCNNFeatures(weights=None, architecture=SMALL, layers=-1).fit(X).layers_ == ["fc"]
    assert SampleCNNFeatures(weights=None, architecture=SMALL, layers=[-3, -2, -1]).fit(X).layers_ == names[-3:]
    assert SampleCNNFeatures(weights=None, architecture=SMALL, layers=[1, "block5"]).fit(X).layers_ == [
        "block1",
        "block5",
    ]
    with pytest.raises(ValueError, match=r"layer positions \[7\] are out of range: this network has 7 layers"):
        SampleCNNFeatures(weights=None, architecture=SMALL, layers=7).fit(X)
    with pytest.raises(ValueError, match="lists a layer twice"):
        SampleCNNFeatures(weights=None, architecture=SMALL, layers=[-1, "fc"]).fit(X)
    with pytest.raises(ValueError, match="give layer names or positions"):
        SampleCNNFeatures(weights=None, architecture=SMALL, layers=[1.5]).fit(X)


def test_a_one_column_table_of_paths_is_its_column(fixtures_dir):
    pandas = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer

    paths = [str(p) for p in sorted((fixtures_dir / "philharmonia").glob("*.mp3"))]
    table = pandas.DataFrame({"path": paths, "label": range(len(paths))})
    features = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0)
    expected = clone(features).fit_transform(paths)
    np.testing.assert_array_equal(clone(features).fit_transform(table[["path"]]), expected)
    np.testing.assert_array_equal(ColumnTransformer([("audio", features, ["path"])]).fit_transform(table), expected)


def test_short_clip_is_zero_padded_and_hop_overlaps(fixtures_dir):
    short = str(fixtures_dir / "short_0p5s_16k.wav")  # 8000 samples < one 59049 segment
    features = SampleCNNFeatures(weights=None, random_state=0, layers="block9").fit([short])
    y, _ = load(short)
    padded = np.zeros(59049, dtype=np.float32)
    padded[: len(y)] = y
    with pytest.warns(
        ShortClipWarning,
        match=r"1 of 1 clip\(s\) shorter than the network's segment \(3.69 s\) "
        r"were zero-padded .*: '.*short_0p5s_16k.wav' \(0.50 s\)$",
    ):
        from_file = features.transform([short])
    with pytest.warns(ShortClipWarning, match=r"2 of 3 clip\(s\) .*'X\[0\]' \(0.50 s\), 'X\[2\]' \(0.06 s\)$"):
        features.transform([y, padded, y[:1000]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clip of one whole segment is not padded, and not warned about
        np.testing.assert_allclose(from_file, features.transform([padded]), rtol=1e-6)
    overlapping = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0, segment_hop=243).fit([y])
    stats = overlapping._segment_stats(validate_clips([y]), overlapping.model_, ["block5"])
    assert stats[0].shape[0] == 1 + (8000 - 729) // 243


def test_short_clip_is_pooled_over_the_frames_it_reaches(fixtures_dir):
    short = str(fixtures_dir / "short_0p5s_16k.wav")  # 8000 samples: 11 of block5's 81 frames of 729
    features = SampleCNNFeatures(weights=None, random_state=0, layers="block5", pooling="max+mean").fit([short])
    y, _ = load(short)
    padded = np.zeros(59049, dtype=np.float32)
    padded[: len(y)] = y
    with torch.inference_mode():
        (block5,) = features.model_.forward_intermediates(torch.from_numpy(padded)[None], ["block5"])
    block5 = block5[0].numpy()
    with pytest.warns(ShortClipWarning):
        got = features.transform([short])[0]
    reached = block5[:, :11]
    np.testing.assert_allclose(got, np.concatenate([reached.max(-1), reached.mean(-1)]), rtol=1e-5, atol=1e-6)
    whole = features.transform([padded])[0]  # a clip of one whole segment: every frame
    np.testing.assert_allclose(whole, np.concatenate([block5.max(-1), block5.mean(-1)]), rtol=1e-5, atol=1e-6)
    assert np.abs(got - whole).max() > 1e-3


def test_pooling_keeps_at_least_one_frame_and_skips_masking_without_padding():
    acts = [torch.arange(24, dtype=torch.float32).reshape(2, 3, 4), torch.ones(2, 1, 1)]
    stats = pool_segments(acts, torch.tensor([100, 1]), length=100)
    assert stats.shape == (2, 2, 4)
    np.testing.assert_array_equal(stats[0, 0, :3], [3, 7, 11])  # whole segment: every frame
    np.testing.assert_array_equal(stats[1, 0, :3], [12, 16, 20])  # one sample reaches only frame 0
    np.testing.assert_array_equal(stats[1, 1, :3], [12, 16, 20])
    np.testing.assert_array_equal(stats[:, :, 3], 1)
    full = pool_segments(acts, torch.tensor([100, 100]), length=100)
    np.testing.assert_array_equal(full[:, 1, :3], acts[0].mean(-1))


@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")
def test_batch_composition_does_not_change_features(fixtures_dir):
    clips = [str(p) for p in sorted((fixtures_dir / "game_music").glob("*.mp3"))[:2]]
    clips += [str(fixtures_dir / "short_0p5s_16k.wav")]
    one = SampleCNNFeatures(weights=None, random_state=0, batch_size=1).fit(clips).transform(clips)
    many = SampleCNNFeatures(weights=None, random_state=0, batch_size=7).fit(clips).transform(clips)
    alone = SampleCNNFeatures(weights=None, random_state=0, batch_size=7).fit(clips).transform(clips[1:2])
    np.testing.assert_allclose(one, many, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(alone[0], many[1], rtol=1e-5, atol=1e-5)


def test_random_state_controls_the_random_network():
    X = np.random.default_rng(3).standard_normal((2, 1000)).astype(np.float32)
    a = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0).fit_transform(X)
    b = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0).fit_transform(X)
    c = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=1).fit_transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_model_is_never_pickled_or_cloned():
    X = np.random.default_rng(4).standard_normal((2, 1000)).astype(np.float32)
    features = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0).fit(X)
    model = features.model_
    assert "model_" not in vars(features)
    assert all(not isinstance(v, torch.nn.Module) for v in vars(features).values())
    blob = pickle.dumps(features)
    assert len(blob) < 20_000
    restored = pickle.loads(blob)
    np.testing.assert_array_equal(restored.transform(X), features.transform(X))
    assert clone(features).get_params() == features.get_params()
    assert features.model_ is model  # cached per process


def test_checkpoint_weights_are_loaded(tmp_path):
    torch.manual_seed(0)
    config = {"m": 3, "n": 4, "n_classes": 3}
    net = SampleCNN(**config).eval()
    path = tmp_path / "net.pt"
    save_checkpoint(path, net, config=config, meta={"sample_rate": 8000})
    y = np.random.default_rng(5).standard_normal(243 * 2).astype(np.float32)
    features = SampleCNNFeatures(weights=str(path), layers=["block4"]).fit([y])
    assert features.analysis_rate_ == 8000
    assert features.weights_id_.startswith("sha256-")
    with torch.inference_mode():
        (act,) = net.forward_intermediates(torch.from_numpy(y.reshape(2, 243)), ["block4"])
    np.testing.assert_allclose(features.transform([y])[0], act.amax(-1).mean(0).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="architecture builds a randomly initialised network: pass weights=None"):
        SampleCNNFeatures(weights=str(path), architecture=config).fit([y])


def test_grid_search_over_layers_runs_the_network_once_per_clip(tmp_path, monkeypatch):
    rng = np.random.default_rng(6)
    X = [rng.standard_normal(729 * 2).astype(np.float32) * (1 + i % 2) for i in range(12)]
    y = [i % 2 for i in range(12)]
    seen = []
    original = SampleCNN.forward_intermediates

    def counting(self, x, *args, **kwargs):
        seen.append(x.shape[0])
        return original(self, x, *args, **kwargs)

    monkeypatch.setattr(SampleCNN, "forward_intermediates", counting)
    narrow = {**SMALL, "widths": [8, 8, 16, 16, 32], "stem_width": 8}  # counted, not measured: narrow is enough
    pipe = make_pipeline(
        SampleCNNFeatures(weights=None, architecture=narrow, random_state=0, memory=str(tmp_path / "cache")),
        StandardScaler(),
        LogisticRegression(),
    )
    grid = {
        "samplecnnfeatures__layers": [["block5"], ["block4", "block5"], ["block3", "block4", "block5"], "fc"],
        "samplecnnfeatures__pooling": ["max", "max+mean"],
    }
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert sum(seen) == 2 * len(X)  # two segments per clip, each through the network once
    # without memory, the same search runs the network for every candidate and fold
    seen.clear()
    GridSearchCV(pipe.set_params(samplecnnfeatures__memory=None), grid, cv=3).fit(X, y)
    assert sum(seen) > 8 * 2 * len(X)


def test_memory_cache_is_keyed_by_content_and_weights(tmp_path):
    rng = np.random.default_rng(7)
    X = [rng.standard_normal(1500).astype(np.float32) for _ in range(3)]
    cached = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0, memory=str(tmp_path))
    plain = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0)
    np.testing.assert_allclose(cached.fit_transform(X), plain.fit_transform(X), rtol=1e-6)
    X[1] = X[1] * 0.5
    np.testing.assert_allclose(cached.transform(X), plain.transform(X), rtol=1e-6)
    other_seed = clone(cached).set_params(random_state=1).fit(X)
    assert not np.allclose(other_seed.transform(X), cached.transform(X))
    bf16 = clone(cached).set_params(precision="bf16").fit(X)  # cached fp32 statistics are not reused
    np.testing.assert_array_equal(bf16.transform(X), clone(plain).set_params(precision="bf16").fit_transform(X))


# -- errors name the clip --------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    X = [np.zeros(1000, dtype=np.float32)]
    return SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0).fit(X)


def test_missing_file_is_named(small, tmp_path):
    missing = str(tmp_path / "nowhere.mp3")
    for method in (small.fit, small.transform):
        with pytest.raises(AudioFileNotFoundError, match="nowhere.mp3"):
            method([missing])


@pytest.mark.parametrize("name", ["garbage.mp3", "garbage.wav", "garbage.flac"])
def test_undecodable_file_is_named(small, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(AudioError, match=name):
        small.transform([str(path)])


def test_zero_length_and_non_finite_files_are_named(small, tmp_path):
    empty = tmp_path / "empty.wav"
    soundfile.write(empty, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(AudioError, match="empty.wav.*zero length"):
        small.transform([str(empty)])
    nan = tmp_path / "nan.wav"
    soundfile.write(nan, np.array([0.0, np.nan, 0.1] * 100, dtype=np.float32), 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match="nan.wav.*non-finite"):
        small.transform([str(nan)])


@pytest.mark.parametrize(
    "bad,error,match",
    [
        (np.array([0.0, np.nan] * 100, dtype=np.float32), AudioError, r"X\[1\].*non-finite"),
        (np.array([np.inf] * 100), AudioError, r"X\[1\].*non-finite"),
        (np.zeros(0, dtype=np.float32), AudioError, r"X\[1\].*zero length"),
        (np.zeros((2, 100), dtype=np.float32), AudioError, r"X\[1\].*shape"),
        (np.zeros(100, dtype=bool), AudioTypeError, r"X\[1\].*dtype bool"),
        (np.zeros(100, dtype=complex), AudioTypeError, r"X\[1\].*Complex"),
        (np.array(["a", "b"], dtype=object), AudioTypeError, r"X\[1\].*object"),
    ],
)
def test_bad_arrays_are_named(small, bad, error, match):
    X = [np.zeros(1000, dtype=np.float32), bad]
    for method in (small.fit, small.transform):
        with pytest.raises(error, match=match):
            method(X)


@pytest.mark.parametrize(
    "X,error,match",
    [
        ("song.mp3", TypeError, "not a single path"),
        ([], ValueError, "0 clips"),
        (np.zeros(100, dtype=np.float32), ValueError, "Reshape your data"),
        ([np.zeros(100, dtype=np.float32), 3.0], TypeError, r"X\[1\] is a float"),
        (np.zeros((2, 3, 4)), ValueError, "shape"),
    ],
)
def test_bad_containers(small, X, error, match):
    with pytest.raises(error, match=match):
        small.transform(X)


def test_bad_parameters_raise_in_fit():
    X = [np.zeros(1000, dtype=np.float32)]
    with pytest.raises(ValueError, match="unknown layers"):
        SampleCNNFeatures(weights=None, architecture=SMALL, layers=["block9"]).fit(X)
    with pytest.raises(ValueError, match="pooling"):
        SampleCNNFeatures(weights=None, architecture=SMALL, pooling="median").fit(X)
    with pytest.raises(ValueError, match="not the name of shipped weights"):
        SampleCNNFeatures(weights="no-such-weights").fit(X)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            SampleCNNFeatures(weights=None, architecture=SMALL, device="cuda").fit(X)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_features_match_cpu():
    """Within the error of the TF32 convolutions that PyTorch runs for fp32 on CUDA by default."""
    X = np.random.default_rng(8).standard_normal((3, 3000)).astype(np.float32)
    cpu = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0, device="cpu").fit_transform(X)
    gpu = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0, device="cuda").fit_transform(X)
    error = (np.linalg.norm(gpu - cpu, axis=1) / np.linalg.norm(cpu, axis=1)).max()
    print(f"largest relative L2 error of a clip's features against the CPU: {error}")
    assert error < 2e-3


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_on_files_matches_cpu_and_bf16_stays_close(fixtures_dir):
    """Files decoded by several threads feed the GPU; CUDA fp32 (TF32 convolutions) and bf16 against the CPU."""
    paths = sorted(str(p) for p in (fixtures_dir / "philharmonia").glob("*.mp3"))
    cpu = SampleCNNFeatures(weights=None, random_state=0, device="cpu").fit_transform(paths)
    errors = {}
    for precision in ("fp32", "bf16"):
        gpu = SampleCNNFeatures(weights=None, random_state=0, device="cuda", precision=precision).fit_transform(paths)
        errors[precision] = (np.linalg.norm(gpu - cpu, axis=1) / np.linalg.norm(cpu, axis=1)).max()
    print(f"largest relative L2 error of a clip's features against the CPU: {errors}")
    assert errors["fp32"] < 2e-3 and 0 < errors["bf16"] < 0.02


def test_checkpoint_changed_after_fit_is_refused(tmp_path):
    from sktag.features import _base
    from sktag.weights import WeightsError

    config = {"m": 3, "n": 4}
    path = tmp_path / "net.pt"
    save_checkpoint(path, SampleCNN(**config), config=config, meta={"sample_rate": 16000})
    y = np.zeros(500, dtype=np.float32)
    features = SampleCNNFeatures(weights=str(path)).fit([y])
    save_checkpoint(path, SampleCNN(**config), config=config, meta={"sample_rate": 16000})  # new weights
    _base._MODEL_CACHE.clear()  # as in a new process
    with pytest.raises(WeightsError, match="sha256 does not match"):
        features.transform([y])
