"""Every shipped weight file: its sha256, its metadata, its reference outputs, and its registry entry."""

import copy
import dataclasses
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from sktag.weights import (
    ARCHITECTURES,
    DEFAULT_WEIGHTS,
    DEFAULTS,
    REGISTRY,
    SHIPPED_WEIGHTS,
    WeightsError,
    build_model,
    file_sha256,
    get_checkpoint,
    get_shipped_weights,
    list_weights,
    load_checkpoint,
    weights_table,
)

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
    from benchmarks.release.ship_weights import reference_outputs

    source = get_checkpoint(name).source
    expected = np.load(source.removesuffix(".pt") + ".reference.npz")
    actual = reference_outputs(name)
    assert list(actual["clips"]) == list(expected["clips"])
    np.testing.assert_allclose(actual["features"], expected["features"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(actual["probabilities"], expected["probabilities"], rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------
# The registry (issue 27): one ShippedWeights record per file, each family's default
# ---------------------------------------------------------------------------

WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "sktag" / "weights"
USER_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "user_guide.rst"

#: The plain tables (as before the registry, plus issue 26's networks): users and tests index them.
SHIPPED_BEFORE = {
    "samplecnn-3x9": ("samplecnn-3x9.pt", "c8b0f7bfa663c9f7f1c1a62f90087582a639c1b90d8bff0d8123408e89c23b35"),
    "samplecnn-3x9-multiteacher": (
        "samplecnn-3x9-multiteacher.pt",
        "5dcb6938cd8830224c1524079e293cf9fdd37bd0b2ea0c4cb2f663a26ed613bf",
    ),
    "samplecnn-3x9-multiteacher-v2": (
        "samplecnn-3x9-multiteacher-v2.pt",
        "a24db3a92c1bfdded0b473afcdd859a756f4391a99663dcf68edaafd4bc45237",
    ),
    "samplecnn-3x9-multiteacher-v3": (
        "samplecnn-3x9-multiteacher-v3.pt",
        "ab0b219a194385c616bdf742646f7624d82a1aac85b9c364fb3d2235d87c5f4d",
    ),
    "samplecnn-3x8": ("samplecnn-3x8.pt", "e9d912fd59106680279a34a4d2856788dd794606a62123f3aa12e9da104b2f62"),
    "samplecnn-3x10": ("samplecnn-3x10.pt", "d3832f0430195f711ea18267185e2386cfcd2afa1a68a168245680507925cdf9"),
    "rese2-multilevel": ("rese2-multilevel.pt", "81acd91d7e81968449afdd94c77129da735f9bbf6b59a9be142d57e7831692b5"),
    "melcnn-18f": ("melcnn-18f.pt", "f1dc9920cdfceae7b010514fd6c4281d66e3aa391aff287a61b75f7580e1f60c"),
    "melcnn-27f": ("melcnn-27f.pt", "7fc7869d6775290f2c865f3bf5ae791a52dff207b703c303e3a86a6efa8f8521"),
    "melcnn-54f": ("melcnn-54f.pt", "b138a2316eea5e14dc670d74627777de5cc1e8970b63a4815a527c28dfba2b8f"),
    "artist-basic-gamemusic": (
        "artist-basic-gamemusic.pt",
        "33b2ace466afb25fa5b127c9f20e4b4f9b7f57c7ad6374a262ea4f0c6e5e66cd",
    ),
    "artist-siamese-gamemusic": (
        "artist-siamese-gamemusic.pt",
        "a88109eae3b42a79e2cb05fb2d402c3d50475a0faee599f6ee57a807e900ff1d",
    ),
    "artist-basic-gamemusic2": (
        "artist-basic-gamemusic2.pt",
        "f81750c1e21c5beecee30a7ab7d535e8ac038979fc0deb6cd7db479aebb51658",
    ),
}
DEFAULTS_BEFORE = {
    "SampleCNN": "samplecnn-3x9-multiteacher-v3",
    "MelCNN": "melcnn-54f",
    "ArtistCNN": "artist-basic-gamemusic2",
}


def test_the_plain_tables_keep_their_types_and_values():
    assert type(SHIPPED_WEIGHTS) is dict and type(DEFAULT_WEIGHTS) is dict
    assert SHIPPED_WEIGHTS == SHIPPED_BEFORE and list(SHIPPED_WEIGHTS) == list(SHIPPED_BEFORE)
    assert all(type(entry) is tuple for entry in SHIPPED_WEIGHTS.values())
    assert DEFAULT_WEIGHTS == DEFAULTS_BEFORE


def test_every_file_is_registered_and_the_defaults_are_entries():
    assert sorted(entry.file for entry in REGISTRY.values()) == sorted(p.name for p in WEIGHTS_DIR.glob("*.pt"))
    assert set(DEFAULTS) == set(ARCHITECTURES)
    for family, entry in DEFAULTS.items():
        assert REGISTRY[entry.name] is entry and entry.architecture == family and entry.is_default
    assert sum(entry.is_default for entry in REGISTRY.values()) == len(DEFAULTS)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_registry_entry_matches_its_file(name):
    entry = REGISTRY[name]
    assert entry.name == name and Path(entry.path) == WEIGHTS_DIR / entry.file
    assert file_sha256(entry.path) == entry.sha256 and os.path.getsize(entry.path) == entry.file_size
    checkpoint = load_checkpoint(entry.path)
    assert checkpoint.architecture == entry.architecture
    assert checkpoint.config == dict(entry.config)
    assert checkpoint.meta["sample_rate"] == entry.sample_rate
    model = build_model(entry.architecture, checkpoint.config)
    assert model.input_length == entry.segment_samples
    assert sum(p.numel() for p in model.parameters()) == entry.n_params
    # the scores the checkpoint records are the registry's ("test": the teacher ROC-AUC), to the reported digits
    for key, value in checkpoint.meta["metrics"].items():
        registry_key = "test_teacher_roc_auc" if key == "test" else key
        assert entry.metrics[registry_key] == pytest.approx(value, abs=5e-5), key
    assert (Path(__file__).resolve().parents[2] / entry.results).is_file()


def test_registry_entries_are_read_only_and_listable():
    entry = REGISTRY["samplecnn-3x9"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.sha256 = "0" * 64
    with pytest.raises(TypeError):
        entry.config["n"] = 10
    assert hash(entry) == hash(REGISTRY["samplecnn-3x9"])
    assert pickle.loads(pickle.dumps(entry)) == entry and copy.deepcopy(entry) == entry
    assert list_weights() == list(REGISTRY.values())
    assert [e.name for e in list_weights("MelCNN")] == ["melcnn-18f", "melcnn-27f", "melcnn-54f"]
    with pytest.raises(WeightsError, match="no shipped weights for architecture"):
        list_weights("VGG")
    assert get_shipped_weights("default", architecture="MelCNN") is DEFAULTS["MelCNN"]
    assert get_shipped_weights("melcnn-27f") is REGISTRY["melcnn-27f"]
    with pytest.raises(WeightsError, match="did you mean 'samplecnn-3x9'"):
        get_shipped_weights("samplecnn-3x7")
    record = json.loads(json.dumps(entry.to_dict()))
    assert record["name"] == "samplecnn-3x9" and record["default"] is False and record["config"] == dict(entry.config)
    assert json.loads(json.dumps(REGISTRY["samplecnn-3x9-multiteacher-v3"].to_dict()))["default"] is True
    assert hash(REGISTRY["samplecnn-3x9-multiteacher-v3"])  # its config holds a list: the clip head's layers
    assert REGISTRY["artist-basic-gamemusic2"].is_default and not REGISTRY["artist-basic-gamemusic"].is_default


def test_the_user_guide_table_is_generated_from_the_registry():
    table = weights_table()
    assert "\n" + table + "\n" in USER_GUIDE.read_text(), (
        "docs/user_guide.rst's table of shipped weights differs from sktag.weights.weights_table(); paste:\n" + table
    )
    for entry in REGISTRY.values():
        assert entry.name in table
