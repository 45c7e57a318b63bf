"""One name per concept (user guide, "Names"): the new spellings, and the old ones that warn until sktag 0.3.

``sample_rate`` is the rate of array clips in every estimator; ``analysis_rate`` the rate the model analyses at
(fitted: ``analysis_rate_``); ``batch_size`` is the clips or segments per network call, and BagOfFeatures'
mini-batch of dictionary learning is ``dictionary_batch_size``.
"""

import pickle
import warnings

import numpy as np
import pytest
import torch

import sktag
from sktag import (
    ArtistCNNTagger,
    BagOfFeatures,
    MelCNNTagger,
    SampleCNNFeatures,
    SampleCNNTagger,
    SiameseArtistCNN,
    training,
)
from sktag.cli import _analysis_rate, build_parser
from sktag.nn import SampleCNN
from sktag.weights import save_checkpoint

TINY = {"m": 3, "n": 4, "widths": [8, 8, 16, 16], "stem_width": 8}  # 243-sample segments
TINY_ARTIST = {"n_fft": 128, "hop_length": 16, "n_mels": 16, "widths": [8, 8, 8, 8, 16]}  # no rate of its own
TRAIN = {"recipe": "adam", "max_epochs": 1, "batch_size": 2, "precision": "fp32", "random_state": 0, "verbose": 0}

pytestmark = pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")


def _clips(sr=8000, n=4, seconds=0.25, seed=0):
    rng = np.random.default_rng(seed)
    return [(0.3 * rng.standard_normal(int(sr * seconds))).astype(np.float32) for _ in range(n)]


Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])


@pytest.fixture
def cache(tmp_path):
    return str(tmp_path / "cache")


@pytest.fixture
def no_future_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        yield


@pytest.fixture
def tagger_checkpoint(tmp_path):
    """A tiny SampleCNN tagger checkpoint at 8 kHz."""
    torch.manual_seed(0)
    path = tmp_path / "tiny.pt"
    save_checkpoint(
        path,
        SampleCNN(**TINY, n_classes=2),
        config={**TINY, "n_classes": 2},
        meta={"sample_rate": 8000, "tags": ["a", "b"]},
    )
    return str(path)


# -- the public names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["SampleCNNTagger", "MelCNNTagger", "ArtistCNNTagger", "SiameseArtistCNN", "MLPTagger"]
)
def test_trainers_are_top_level_and_stay_in_sktag_training(name):
    assert getattr(sktag, name) is getattr(training, name) and name in sktag.__all__ and name in dir(sktag)


# -- new spellings: no warning ----------------------------------------------------------------------------------------


def test_the_new_spellings_do_not_warn(cache, tagger_checkpoint, no_future_warnings):
    X8, X16 = _clips(), _clips(16000)
    tagger = SampleCNNTagger(architecture=TINY, analysis_rate=8000, sample_rate=16000, cache_dir=cache, **TRAIN)
    tagger.fit(X16, Y)
    assert tagger.analysis_rate_ == 8000 and tagger.predict_proba(X16).shape == (4, 2)
    assert tagger.score(X16, Y) >= 0 and tagger.predict(X16).shape == (4, 2)
    loaded = SampleCNNTagger.from_checkpoint(tagger_checkpoint, sample_rate=16000)
    assert loaded.analysis_rate_ == 8000 and loaded.predict_proba(X16).shape == (4, 2)
    SampleCNNTagger(tagger_checkpoint, analysis_rate="auto", sample_rate=16000, cache_dir=cache, **TRAIN).fit(X16, Y)
    SampleCNNTagger(tagger_checkpoint, analysis_rate=8000, cache_dir=cache, **TRAIN).fit(X8, Y)
    siamese = SiameseArtistCNN(
        TINY_ARTIST,
        analysis_rate=8000,
        sample_rate=16000,
        n_negatives=1,
        cache_dir=cache,
        **{k: v for k, v in TRAIN.items() if k != "recipe"},
    )
    assert siamese.fit(X16, ["a", "b", "a", "b"]).transform(X16).shape == (4, 16)
    features = SampleCNNFeatures(weights=None, architecture=TINY, random_state=0, sample_rate=8000).fit(X8)
    assert features.analysis_rate_ == 16000
    bof = BagOfFeatures(
        4,
        n_mels=8,
        dictionary="kmeans",
        dictionary_batch_size=64,
        max_patches=100,
        random_state=0,
        analysis_rate=8000,
        sample_rate=16000,
    ).fit(X16)
    assert bof.analysis_rate_ == 8000 and bof.transform(X16).shape == (4, 4)


def test_the_default_trainer_runs_at_16_khz_with_arrays_at_its_rate(cache, no_future_warnings):
    X = _clips(16000)
    tagger = SampleCNNTagger(architecture=TINY, cache_dir=cache, **TRAIN).fit(X, Y)
    assert tagger.analysis_rate_ == 16000 and tagger.get_params()["sample_rate"] is None


def test_analysis_rate_sets_a_log_mel_front_end_and_must_agree(cache, tagger_checkpoint, no_future_warnings):
    X = _clips(8000, seconds=0.3)
    tagger = ArtistCNNTagger(architecture=TINY_ARTIST, analysis_rate=8000, cache_dir=cache, **TRAIN)
    tagger.fit(X, ["a", "b", "a", "b"])
    assert tagger.analysis_rate_ == 8000 and tagger.config_["sample_rate"] == 8000
    assert (
        ArtistCNNTagger(architecture=TINY_ARTIST, cache_dir=cache, **TRAIN).fit(X, ["a", "b"] * 2).analysis_rate_
        == 22050
    )  # the network's default
    with pytest.raises(ValueError, match="same rate"):
        MelCNNTagger(
            architecture={**TINY_ARTIST, "sample_rate": 16000, "n_frames": 18, "widths": [4, 4, 8]},
            analysis_rate=8000,
            cache_dir=cache,
            **TRAIN,
        ).fit(X, Y)
    with pytest.raises(ValueError, match="runs at 8000 Hz"):
        SampleCNNTagger(tagger_checkpoint, analysis_rate=16000, cache_dir=cache, **TRAIN).fit(X, Y)


# -- old spellings: still work, with a FutureWarning that names the new one --------------------------------------------


def test_trainer_sample_rate_without_analysis_rate_keeps_the_network_rate_meaning(cache):
    X = _clips()
    new = SampleCNNTagger(architecture=TINY, analysis_rate=8000, cache_dir=cache, **TRAIN).fit(X, Y)
    with pytest.warns(FutureWarning, match=r"write analysis_rate=8000") as record:
        old = SampleCNNTagger(architecture=TINY, sample_rate=8000, cache_dir=cache, **TRAIN).fit(X, Y)
    assert len(record) == 1 and "0.3" in str(record[0].message)
    assert old.analysis_rate_ == 8000 and old.get_params()["sample_rate"] == 8000  # stored as given
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # both meanings agree here: predicting does not warn
        np.testing.assert_array_equal(old.predict_proba(X), new.predict_proba(X))


def test_trainer_sample_rate_with_a_checkpoint_is_ignored_as_before_with_a_warning(cache, tagger_checkpoint):
    X = _clips()
    with pytest.warns(FutureWarning, match=r"ignored as before.*analysis_rate='auto'"):
        tagger = SampleCNNTagger(tagger_checkpoint, sample_rate=44100, cache_dir=cache, **TRAIN).fit(X, Y)
    assert tagger.analysis_rate_ == 8000
    with pytest.warns(FutureWarning, match="not the rate of array clips"):
        proba = tagger.predict_proba(X)  # arrays at the network's 8 kHz, as before
    np.testing.assert_array_equal(proba, tagger.set_params(sample_rate=None).predict_proba(X))


@pytest.mark.parametrize(
    "tagger_class, architecture", [(SampleCNNTagger, TINY), (ArtistCNNTagger, {**TINY_ARTIST, "sample_rate": 8000})]
)
def test_input_rate_keywords_warn_and_equal_the_sample_rate_parameter(tagger_class, architecture, cache):
    X = _clips(16000, seconds=0.3)
    params = {"architecture": architecture, "analysis_rate": 8000, "cache_dir": cache, **TRAIN}
    new = tagger_class(sample_rate=16000, **params).fit(X, Y)
    with pytest.warns(FutureWarning, match=r"fit\(\.\.\., input_rate=\.\.\.\) is deprecated.*sample_rate=\.\.\."):
        old = tagger_class(**params).fit(X, Y, input_rate=16000)
    with pytest.warns(FutureWarning, match=r"predict_proba\(\.\.\., input_rate=\.\.\.\).*sample_rate"):
        proba = old.predict_proba(X, input_rate=16000)
    np.testing.assert_array_equal(proba, new.predict_proba(X))
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="give sample_rate only"):
        new.predict_proba(X, input_rate=22050)


def test_siamese_input_rate_keywords_warn(cache):
    X, y = _clips(16000, seconds=0.3), ["a", "b", "a", "b"]
    params = {
        "analysis_rate": 8000,
        "n_negatives": 1,
        "cache_dir": cache,
        **{k: v for k, v in TRAIN.items() if k != "recipe"},
    }
    new = SiameseArtistCNN(TINY_ARTIST, sample_rate=16000, **params).fit(X, y)
    with pytest.warns(FutureWarning, match=r"SiameseArtistCNN\.fit\(\.\.\., input_rate"):
        old = SiameseArtistCNN(TINY_ARTIST, **params).fit(X, y, input_rate=16000)
    with pytest.warns(FutureWarning, match=r"SiameseArtistCNN\.transform\(\.\.\., input_rate=.*sample_rate"):
        Z = old.transform(X, input_rate=16000)
    np.testing.assert_array_equal(Z, new.transform(X))


def test_fitted_sample_rate_attribute_warns_and_reads_analysis_rate(tagger_checkpoint):
    features = SampleCNNFeatures(weights=None, architecture=TINY, random_state=0).fit(_clips())
    tagger = SampleCNNTagger.from_checkpoint(tagger_checkpoint)
    bof = BagOfFeatures(4, n_mels=8, dictionary="kmeans", max_patches=100, random_state=0).fit(_clips())
    for estimator, rate in ((features, 16000), (tagger, 8000), (bof, 16000)):
        with pytest.warns(FutureWarning, match=r"sample_rate_ is deprecated .* use analysis_rate_"):
            assert estimator.sample_rate_ == rate == estimator.analysis_rate_
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        assert not hasattr(SampleCNNFeatures(), "sample_rate_")  # unfitted: no attribute, no warning


def test_estimators_pickled_before_the_rename_load_with_the_new_attribute(tagger_checkpoint):
    features = SampleCNNFeatures(weights=None, architecture=TINY, random_state=0).fit(_clips())
    state = dict(features.__getstate__())
    state["sample_rate_"] = state.pop("analysis_rate_")  # as sktag before 0.1 pickled it
    old = SampleCNNFeatures.__new__(SampleCNNFeatures)
    old.__setstate__(state)
    assert old.analysis_rate_ == 16000
    np.testing.assert_array_equal(old.transform(_clips()), features.transform(_clips()))
    restored = pickle.loads(pickle.dumps(SampleCNNTagger.from_checkpoint(tagger_checkpoint)))
    assert restored.analysis_rate_ == 8000


def test_bag_of_features_batch_size_is_dictionary_batch_size():
    X = _clips(16000, n=6)
    params = {"n_atoms": 4, "n_mels": 8, "max_patches": 200, "random_state": 0}
    for dictionary in ("kmeans", "sparse_coding"):
        new = BagOfFeatures(dictionary=dictionary, dictionary_batch_size=32, **params).fit(X)
        with pytest.warns(FutureWarning, match=r"BagOfFeatures\(batch_size=\.\.\.\).*dictionary_batch_size"):
            old = BagOfFeatures(dictionary=dictionary, batch_size=32, **params).fit(X)
        assert old.get_params()["batch_size"] == 32  # stored as given
        np.testing.assert_array_equal(old.atoms_, new.atoms_)
    with pytest.raises(ValueError, match="give dictionary_batch_size only"):
        BagOfFeatures(batch_size=32, dictionary_batch_size=64, **params).fit(X)
    assert BagOfFeatures().get_params()["batch_size"] == "deprecated"


def test_cli_sample_rate_option_is_the_old_analysis_rate(caplog):
    parser = build_parser()
    base = ["train", "csv", "clips.csv", "--out", "m.pt"]
    assert _analysis_rate(parser.parse_args(base + ["--analysis-rate", "22050"])) == 22050
    assert _analysis_rate(parser.parse_args(base)) is None
    with caplog.at_level("WARNING", logger="sktag"):
        assert _analysis_rate(parser.parse_args(base + ["--sample-rate", "22050"])) == 22050
    assert "--sample-rate is deprecated since sktag 0.1 and will be removed in 0.3: use --analysis-rate" in caplog.text
    assert _analysis_rate(parser.parse_args(base + ["--sample-rate", "22050", "--weights", "w.pt"])) is None
    with pytest.raises(ValueError, match="give --analysis-rate only"):
        _analysis_rate(parser.parse_args(base + ["--sample-rate", "8000", "--analysis-rate", "8000"]))
