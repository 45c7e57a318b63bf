"""CUDA paths, where torch sees a GPU: every shipped network's features on the GPU against the CPU's.

On a GPU machine the rest of the suite runs there too (``device="auto"``): the
training tests train and predict on CUDA.
"""

import numpy as np
import pytest
import torch

from sktag.features import FEATURES_BY_ARCHITECTURE
from sktag.weights import SHIPPED_WEIGHTS, get_checkpoint

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("weights", list(SHIPPED_WEIGHTS))
def test_shipped_networks_give_the_cpu_features_on_cuda(weights, fixtures_dir):
    """Within the error of the TF32 convolutions that PyTorch runs for fp32 on CUDA by default."""
    paths = sorted(str(p) for p in (fixtures_dir / "philharmonia").glob("*.mp3"))
    features = FEATURES_BY_ARCHITECTURE[get_checkpoint(weights).architecture]
    cpu = features(weights, device="cpu").fit_transform(paths)
    gpu = features(weights, device="cuda").fit(paths)
    assert next(gpu.model_.parameters()).device.type == "cuda"
    got = gpu.transform(paths)
    error = (np.linalg.norm(got - cpu, axis=1) / np.linalg.norm(cpu, axis=1)).max()
    print(f"{weights}: largest relative L2 error of a clip's features against the CPU: {error:.2e}")
    assert got.shape == cpu.shape and error < 2e-3
