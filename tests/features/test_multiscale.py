"""MultiScaleFeatures: one decode per clip, members' features side by side, grid search without recomputation."""

import numpy as np
import pytest
import soundfile
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from sktag import ArtistCNNFeatures, BagOfFeatures, MultiScaleFeatures, SampleCNNFeatures
from sktag.audio import AudioError, ClipFailureWarning
from sktag.nn import ArtistCNN, SampleCNN
from sktag.weights import SHIPPED_WEIGHTS

SAMPLECNN = {"m": 3, "n": 4, "widths": [8, 8, 16, 16], "stem_width": 8}  # 243-sample segments
ARTIST = {
    "sample_rate": 8000,
    "n_fft": 64,
    "hop_length": 16,
    "n_mels": 8,
    "widths": [4, 4, 4, 4, 8],
}  # 129 frames: 2048-sample segments


def _members():
    return [
        ("sample", SampleCNNFeatures(weights=None, architecture=SAMPLECNN, random_state=0)),
        ("artist", ArtistCNNFeatures(weights=None, architecture=ARTIST, random_state=0)),
    ]


@pytest.fixture
def clips(tmp_path):
    """Eight half-second files at two rates (one stereo) and their labels."""
    rng = np.random.default_rng(0)
    paths = []
    for i in range(8):
        sr = 16000 if i % 2 else 8000
        tone = np.sin(2 * np.pi * (200 + 300 * (i % 2)) * np.arange(sr // 2) / sr)
        data = 0.3 * tone + 0.05 * rng.standard_normal(sr // 2)
        path = tmp_path / f"clip{i}.wav"
        soundfile.write(path, np.stack([data, data], axis=1) if i == 3 else data, sr)
        paths.append(str(path))
    return paths, np.arange(8) % 2


def test_columns_are_the_members_own_features(clips):
    paths, _ = clips
    union = MultiScaleFeatures(_members(), chunk_size=3).fit(paths)
    Z = union.transform(paths)
    own = [member.fit(paths).transform(paths) for _, member in _members()]
    assert Z.shape == (8, sum(o.shape[1] for o in own)) and Z.dtype == np.float32
    np.testing.assert_allclose(Z, np.hstack(own), rtol=1e-4, atol=1e-5)  # decoded whole vs streamed: same samples
    names = union.get_feature_names_out()
    assert len(names) == Z.shape[1] and names[0].startswith("sample__block") and names[-1].startswith("artist__")
    arrays = [np.random.default_rng(i).standard_normal(4000).astype(np.float32) for i in range(2)]
    exact = MultiScaleFeatures(_members(), sample_rate=8000).fit(arrays).transform(arrays)
    alone = (
        SampleCNNFeatures(weights=None, architecture=SAMPLECNN, random_state=0, sample_rate=8000)
        .fit(arrays)
        .transform(arrays)
    )
    np.testing.assert_array_equal(exact[:, : alone.shape[1]], alone)


def test_members_are_grid_searchable_and_droppable(clips):
    paths, _ = clips
    union = MultiScaleFeatures(_members())
    assert union.get_params()["sample__layers"] is None
    union.set_params(sample__layers=["block4"], artist="drop")
    Z = union.fit_transform(paths)
    assert [name for name, _ in union.extractors_] == ["sample"]
    assert Z.shape[1] == 16 and all(n.startswith("sample__block4_") for n in union.get_feature_names_out())
    assert union.extractors[0][1].layers == ["block4"] and union.extractors[1][1] == "drop"  # stored as given
    with pytest.raises(ValueError, match="keep at least one"):
        MultiScaleFeatures([("a", "drop")]).fit(paths)
    with pytest.raises(ValueError, match="unique"):
        MultiScaleFeatures([("a", SampleCNNFeatures(weights=None)), ("a", SampleCNNFeatures(weights=None))]).fit(paths)
    with pytest.raises(TypeError, match="feature transformer"):
        MultiScaleFeatures([("a", LogisticRegression())]).fit(paths)


def test_a_bag_of_features_member_is_fitted_on_the_clips(clips):
    paths, _ = clips
    union = MultiScaleFeatures(
        [("bag", BagOfFeatures(4, n_mels=8, patch_frames=1, dictionary="kmeans", random_state=0))]
    ).fit(paths)
    own = BagOfFeatures(4, n_mels=8, patch_frames=1, dictionary="kmeans", random_state=0).fit(paths)
    np.testing.assert_allclose(union.transform(paths), own.transform(paths), rtol=1e-4, atol=1e-5)


def test_on_error_names_the_file_and_keeps_the_good_clips(clips, tmp_path):
    paths, _ = clips
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"not audio at all " * 40)
    X = paths[:2] + [str(broken)] + paths[2:4]
    with pytest.raises(AudioError, match="broken.mp3"):
        MultiScaleFeatures(_members()).fit(X).transform(X)
    union = MultiScaleFeatures(_members(), on_error="warn", chunk_size=2).fit(X)
    with pytest.warns(ClipFailureWarning, match="broken.mp3"):
        Z = union.transform(X)
    assert np.isnan(Z[2]).all() and np.isfinite(Z[[0, 1, 3, 4]]).all()
    assert [name for name, _ in union.failed_clips_] == [str(broken)]
    good = MultiScaleFeatures(_members()).fit(paths[:4]).transform(paths[:4])
    np.testing.assert_allclose(Z[[0, 1, 3, 4]], good, rtol=1e-5, atol=1e-6)  # other batches: test_features' bound


@pytest.fixture
def network_segments(monkeypatch):
    """Segments each network class has run, counted by patching ``forward_intermediates``."""
    counts = {SampleCNN: 0, ArtistCNN: 0}
    for cls in counts:
        original = cls.forward_intermediates

        def counting(self, x, *args, _original=original, _cls=cls, **kwargs):
            counts[_cls] += x.shape[0]
            return _original(self, x, *args, **kwargs)

        monkeypatch.setattr(cls, "forward_intermediates", counting)
    return counts


def _grid_search(memory):
    pipeline = Pipeline([("features", MultiScaleFeatures(_members(), memory=memory)), ("clf", LogisticRegression())])
    grid = {
        "features__sample__layers": ["block3", "block4", ["block2", "block3", "block4"]],
        "features__sample__pooling": ["max", "max+mean"],
        "features__artist": [
            ArtistCNNFeatures(weights=None, architecture=ARTIST, random_state=0, layers="block5"),
            "drop",
        ],
    }
    return GridSearchCV(pipeline, grid, cv=2)


def test_grid_search_with_memory_runs_each_network_once_per_clip(clips, tmp_path, network_segments):
    paths, y = clips
    MultiScaleFeatures(_members()).fit(paths).transform(paths)
    once = dict(network_segments)  # every clip through every network exactly once
    assert once[SampleCNN] > 0 and once[ArtistCNN] > 0

    network_segments.update({SampleCNN: 0, ArtistCNN: 0})
    search = _grid_search(str(tmp_path / "cache")).fit(paths, y)
    assert len(search.cv_results_["params"]) == 12
    assert network_segments == once

    network_segments.update({SampleCNN: 0, ArtistCNN: 0})
    _grid_search(None).fit(paths, y)  # the same search without memory recomputes
    assert network_segments[SampleCNN] > 10 * once[SampleCNN]


def test_a_union_reuses_what_its_members_cached_alone_and_the_reverse(clips, tmp_path, network_segments):
    paths, _ = clips
    cache = str(tmp_path / "cache")
    alone = (
        SampleCNNFeatures(weights=None, architecture=SAMPLECNN, random_state=0, memory=cache)
        .fit(paths)
        .transform(paths)
    )
    computed = network_segments[SampleCNN]
    assert computed > 0

    union = MultiScaleFeatures(_members(), memory=cache).fit(paths)
    Z = union.transform(paths)
    assert network_segments[SampleCNN] == computed  # cached under the files' content, not the decoded samples
    np.testing.assert_array_equal(Z[:, : alone.shape[1]], alone)

    artist_runs = network_segments[ArtistCNN]
    ArtistCNNFeatures(weights=None, architecture=ARTIST, random_state=0, memory=cache).fit(paths).transform(paths)
    assert network_segments[ArtistCNN] == artist_runs > 0  # what the union cached, the member alone reuses


def test_multiscale_default_is_the_papers_three_samplecnn_scales():
    union = MultiScaleFeatures().fit([np.zeros(100, dtype=np.float32)])
    assert [name for name, _ in union.extractors_] == ["samplecnn-3x8", "samplecnn-3x9", "samplecnn-3x10"]
    assert [member.weights_id_ for _, member in union.extractors_] == [
        "sha256-" + SHIPPED_WEIGHTS[name][1] for name in ("samplecnn-3x8", "samplecnn-3x9", "samplecnn-3x10")
    ]
    assert all(member.layers_ == member.model_.layer_names[-4:-1] for _, member in union.extractors_)
    grid_point = clone(MultiScaleFeatures()).set_params(**{"samplecnn-3x10": "drop", "samplecnn-3x9__layers": -2})
    assert [name for name, _ in grid_point.fit([np.zeros(100)]).extractors_] == ["samplecnn-3x8", "samplecnn-3x9"]
    assert grid_point.extractors_[1][1].layers_ == ["block9"]
