"""Every shipped weight file: its sha256, its metadata, and its reference outputs."""

import numpy as np
import pytest

from sktag.weights import SHIPPED_WEIGHTS, WeightsError, get_checkpoint, load_checkpoint

pytestmark = pytest.mark.skipif(not SHIPPED_WEIGHTS, reason="no weights are shipped yet")

#: The reference outputs were computed in fp32 on CPU; other CPUs' kernels round differently.
RTOL, ATOL = 1e-3, 1e-4


@pytest.mark.parametrize("name", sorted(SHIPPED_WEIGHTS))
def test_metadata_and_hash(name, tmp_path):
    checkpoint = get_checkpoint(name)  # verifies the sha256
    for key in ("sample_rate", "training_data", "recipe", "metrics"):
        assert key in checkpoint.meta, key
    if checkpoint.config.get("n_classes"):  # a tagger names its outputs
        assert len(checkpoint.meta["tags"]) == checkpoint.config["n_classes"]
    filename, _ = SHIPPED_WEIGHTS[name]
    with pytest.raises(WeightsError, match="sha256"):
        load_checkpoint(checkpoint.source, sha256="0" * 64)


@pytest.mark.parametrize("name", sorted(SHIPPED_WEIGHTS))
@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # the 10 s clip, for 3^10's 11.1 s segment
def test_reference_outputs_reproduce(name):
    from benchmarks.ship_weights import reference_outputs

    source = get_checkpoint(name).source
    expected = np.load(source.removesuffix(".pt") + ".reference.npz")
    actual = reference_outputs(name)
    assert list(actual["clips"]) == list(expected["clips"])
    np.testing.assert_allclose(actual["features"], expected["features"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(actual["probabilities"], expected["probabilities"], rtol=RTOL, atol=ATOL)
