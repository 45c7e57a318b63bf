"""The checkpoint format: round trips, hashes, and refusing unsafe or mismatched files."""

import os

import numpy as np
import pytest
import torch

from sktag.nn import SampleCNN
from sktag.weights import (
    Checkpoint,
    WeightsError,
    file_sha256,
    get_checkpoint,
    load_checkpoint,
    save_checkpoint,
)

CONFIG = {"m": 3, "n": 4, "widths": [8, 8, 16, 16], "stem_width": 8, "n_classes": 5}
META = {"sample_rate": 16000, "tags": ["a", "b", "c", "d", "e"], "training_data": "unit test"}


@pytest.fixture
def model():
    torch.manual_seed(0)
    net = SampleCNN(**CONFIG)
    for bn in (m for m in net.modules() if isinstance(m, torch.nn.BatchNorm1d)):
        bn.running_mean.uniform_(-0.1, 0.1)
        bn.running_var.uniform_(0.5, 2.0)
    return net.eval()


def test_round_trip_reproduces_outputs(model, tmp_path):
    path = tmp_path / "net.pt"
    sha = save_checkpoint(path, model, config=CONFIG, meta=META)
    assert sha == file_sha256(path)
    checkpoint = load_checkpoint(path, sha256=sha)
    assert isinstance(checkpoint, Checkpoint)
    assert checkpoint.architecture == "SampleCNN"
    assert checkpoint.config == CONFIG and checkpoint.meta == META
    x = torch.randn(3, 243)
    with torch.inference_mode():
        torch.testing.assert_close(checkpoint.build()(x), model(x), rtol=0, atol=0)


def test_half_precision_storage(model, tmp_path):
    full, half = tmp_path / "full.pt", tmp_path / "half.pt"
    save_checkpoint(full, model, config=CONFIG, meta=META)
    save_checkpoint(half, model, config=CONFIG, meta=META, half=True)
    checkpoint = load_checkpoint(half)
    assert checkpoint.state_dict["stem.0.weight"].dtype == torch.float16
    built = checkpoint.build()
    assert built.stem[0].weight.dtype == torch.float32
    assert os.path.getsize(half) < 0.75 * os.path.getsize(full)
    x = torch.randn(2, 243)
    with torch.inference_mode():
        torch.testing.assert_close(built(x), model(x), rtol=1e-2, atol=1e-2)


def test_sha256_mismatch_is_refused(model, tmp_path):
    path = tmp_path / "net.pt"
    save_checkpoint(path, model, config=CONFIG, meta=META)
    with pytest.raises(WeightsError, match="sha256 does not match"):
        load_checkpoint(path, sha256="0" * 64)


class _Payload:
    """Unpickling this would create a marker file: the attack a weights file can carry."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_payload_is_refused_and_never_runs(model, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save(
        {
            "format": "sktag-checkpoint",
            "format_version": 1,
            "architecture": "SampleCNN",
            "config": CONFIG,
            "state_dict": model.state_dict(),
            "meta": {"sample_rate": 16000, "note": _Payload(str(marker))},
        },
        path,
    )
    with pytest.raises(WeightsError, match="refused to load"):
        load_checkpoint(path)
    assert not marker.exists()
    # the payload is real: an unsafe load of the same file runs it
    unsafe = torch.load(path, weights_only=False)
    assert marker.exists()
    unsafe["meta"]["note"].close()  # the file the payload opened


def test_wrong_architecture_gives_a_clear_error(model, tmp_path):
    path = tmp_path / "net.pt"
    save_checkpoint(path, model, config=CONFIG, meta=META)
    raw = torch.load(path, weights_only=True)
    raw["config"] = {**CONFIG, "widths": [8, 8, 16, 32]}
    torch.save(raw, path)
    with pytest.raises(WeightsError, match="do not fit SampleCNN"):
        load_checkpoint(path).build()


@pytest.mark.parametrize(
    "payload,match",
    [
        (torch.zeros(3), "not a sktag checkpoint"),
        ({"format": "sktag-checkpoint", "format_version": 1, "architecture": "SampleCNN"}, "lacks"),
        (
            {
                "format": "sktag-checkpoint",
                "format_version": 1,
                "architecture": "SampleCNN",
                "config": {},
                "state_dict": {},
                "meta": {},
            },
            "sample_rate",
        ),
        ({"format": "sktag-checkpoint", "format_version": 99}, "newer"),
    ],
)
def test_malformed_checkpoints(payload, match, tmp_path):
    path = tmp_path / "bad.pt"
    torch.save(payload, path)
    with pytest.raises(WeightsError, match=match):
        load_checkpoint(path)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_unreadable_and_missing_files(tmp_path):
    junk = tmp_path / "junk.pt"
    rng = np.random.default_rng(0)
    for _ in range(300):  # random bytes make torch's unpickler raise IndexError, KeyError, UnicodeDecodeError...
        junk.write_bytes(rng.bytes(256))
        with pytest.raises(WeightsError, match="junk.pt"):
            load_checkpoint(junk)
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load_checkpoint(tmp_path / "missing.pt")


def test_save_requires_sample_rate_and_a_known_architecture(model, tmp_path):
    with pytest.raises(WeightsError, match="sample_rate"):
        save_checkpoint(tmp_path / "x.pt", model, config=CONFIG, meta={})
    with pytest.raises(WeightsError, match="not a sktag architecture"):
        save_checkpoint(tmp_path / "x.pt", torch.nn.Linear(2, 2), config={}, meta=META)


def test_get_checkpoint_resolves_paths_and_rejects_unknown_names(model, tmp_path):
    path = tmp_path / "net.pt"
    save_checkpoint(path, model, config=CONFIG, meta=META)
    assert get_checkpoint(str(path)).meta == META
    with pytest.raises(WeightsError, match="not the name of shipped weights"):
        get_checkpoint("no-such-weights")
