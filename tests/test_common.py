"""scikit-learn's common estimator checks on every sktag estimator (tiny configurations)."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktag import ArtistCNNFeatures, BagOfFeatures, MelCNNFeatures, MLPTagger, MultiScaleFeatures, SampleCNNFeatures
from sktag.features import NetworkFeatures
from sktag.training import ArtistCNNTagger, MelCNNTagger, SampleCNNTagger, SiameseArtistCNN

TINY_SAMPLECNN = {"m": 2, "n": 3, "widths": [4, 4, 8], "stem_width": 4}
TINY_ARTIST = {
    "sample_rate": 8000,
    "n_fft": 64,
    "hop_length": 16,
    "n_mels": 8,
    "widths": [4, 4, 4, 4, 8],
}  # 129 frames: 2048-sample segments
TINY_MEL = {
    "sample_rate": 8000,
    "n_fft": 64,
    "hop_length": 16,
    "n_mels": 8,
    "n_frames": 18,
    "widths": [4, 4, 8],
}  # 272-sample segments

# The checks' "clips" are rows of tabular data, shorter than the networks' segments: zero-padded, as warned.
pytestmark = pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")

_NO_FIXED_WIDTH = (
    "X is a collection of audio clips of any length: a clip's length is not a number of "
    "features, so there is no n_features_in_ to set in fit or to enforce in transform "
    "(fit/transform consistency, the rest of this check, is tested in tests/features/)"
)


def _estimators():
    return [
        SampleCNNFeatures(weights=None, architecture=TINY_SAMPLECNN, random_state=0, batch_size=4),
        ArtistCNNFeatures(weights=None, architecture=TINY_ARTIST, random_state=0, batch_size=4),
        MelCNNFeatures(weights=None, architecture=TINY_MEL, random_state=0, batch_size=4),
        SampleCNNTagger(
            architecture=TINY_SAMPLECNN,
            recipe="adam",
            max_epochs=1,
            batch_size=4,
            precision="fp32",
            random_state=0,
            verbose=0,
        ),
        ArtistCNNTagger(
            architecture=TINY_ARTIST,
            recipe="adam",
            max_epochs=1,
            batch_size=4,
            precision="fp32",
            random_state=0,
            verbose=0,
        ),
        MelCNNTagger(
            architecture=TINY_MEL,
            recipe="adam",
            max_epochs=1,
            batch_size=4,
            precision="fp32",
            random_state=0,
            verbose=0,
        ),
        SiameseArtistCNN(
            TINY_ARTIST, n_negatives=2, max_epochs=1, batch_size=4, precision="fp32", random_state=0, verbose=0
        ),
        BagOfFeatures(2, n_mels=8, patch_frames=1, dictionary="kmeans", random_state=0),
        MultiScaleFeatures(
            [
                ("sample", SampleCNNFeatures(weights=None, architecture=TINY_SAMPLECNN, random_state=0, batch_size=4)),
                ("artist", ArtistCNNFeatures(weights=None, architecture=TINY_ARTIST, random_state=0, batch_size=4)),
            ]
        ),
        MLPTagger((16,), optimizer="adam", lr=0.05, max_epochs=15, validation_fraction=None, random_state=0),
    ]


def _expected_failed_checks(estimator):
    failures = {
        "check_n_features_in": _NO_FIXED_WIDTH,
        "check_n_features_in_after_fitting": _NO_FIXED_WIDTH,
    }
    if isinstance(estimator, (NetworkFeatures, BagOfFeatures, MultiScaleFeatures)):
        failures["check_transformer_general"] = _NO_FIXED_WIDTH
    if isinstance(estimator, MLPTagger):  # a feature matrix in: scikit-learn's usual contract holds
        del failures["check_n_features_in"], failures["check_n_features_in_after_fitting"]
    if isinstance(estimator, SampleCNNTagger):
        not_tabular = (
            "the check's tabular blobs become 2-5-sample 'waveforms', zero-padded to one 16-sample "
            "segment of a tiny network trained for one epoch here: no accuracy bar is expected; "
            "learning from real audio is tested in tests/training/test_tagger.py"
        )
        failures["check_classifiers_train"] = not_tabular
        failures["check_supervised_y_2d"] = (
            "a 2-D y is multi-label or soft tag targets (one column per tag), not a column vector "
            "of class labels to ravel"
        )
    return failures


@parametrize_with_checks(_estimators(), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
