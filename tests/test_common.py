"""scikit-learn's common estimator checks on every sktag estimator (tiny configurations)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sktag import SampleCNNFeatures

TINY_SAMPLECNN = {"m": 2, "n": 3, "widths": [4, 4, 8], "stem_width": 4}

_NO_FIXED_WIDTH = (
    "X is a collection of audio clips of any length: a clip's length is not a number of "
    "features, so there is no n_features_in_ to set in fit or to enforce in transform "
    "(fit/transform consistency, the rest of this check, is tested in tests/test_features.py)"
)


def _estimators():
    return [SampleCNNFeatures(architecture=TINY_SAMPLECNN, random_state=0, batch_size=4)]


def _expected_failed_checks(estimator):
    return {
        "check_n_features_in": _NO_FIXED_WIDTH,
        "check_n_features_in_after_fitting": _NO_FIXED_WIDTH,
        "check_transformer_general": _NO_FIXED_WIDTH,
    }


@parametrize_with_checks(_estimators(), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
