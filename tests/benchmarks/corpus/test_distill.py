"""The pieces of issue 26's multi-teacher distillation (benchmarks/corpus/distill.py).

Its held-out scores: tests/benchmarks/corpus/test_heldout.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from benchmarks.corpus.distill import (
    PATCH_SAMPLES,
    crop_targets,
    frozen_front,
    nt_xent,
    student,
    track_partners,
    train_mode,
)
from sktag.nn.samplecnn import SampleCNN
from sktag.weights import load_checkpoint, save_checkpoint


def test_crop_targets_weigh_the_patches_a_crop_overlaps():
    patches = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]], dtype=np.float32)
    # a crop inside the first patch takes it alone
    np.testing.assert_allclose(crop_targets(patches, 10, 100), patches[0])
    # a crop over the last quarter of patch 0 and three quarters of patch 1
    quarter = PATCH_SAMPLES // 4
    mixed = crop_targets(patches, PATCH_SAMPLES - quarter, 4 * quarter)
    np.testing.assert_allclose(mixed, 0.25 * patches[0] + 0.75 * patches[1], atol=1e-6)
    assert mixed.dtype == np.float32
    # a crop in the tail after the last patch takes the last patch
    np.testing.assert_allclose(crop_targets(patches, 3 * PATCH_SAMPLES + 5, 100), patches[2])


def test_nt_xent_is_low_for_matching_pairs_and_high_for_shuffled_ones():
    torch.manual_seed(0)
    a = torch.randn(8, 16)
    matched = nt_xent(a, a + 0.01 * torch.randn(8, 16))
    shuffled = nt_xent(a, a[torch.randperm(8)] + 0.01 * torch.randn(8, 16))
    assert matched < 0.1 < np.log(15) - 1 < shuffled


def test_frozen_front_keeps_the_stem_and_blocks_up_to_the_layer_unchanged():
    torch.manual_seed(0)
    model = SampleCNN(m=3, n=4, widths=[8, 8, 16, 16], stem_width=8, n_classes=4)
    assert frozen_front(model, None) == []
    frozen = frozen_front(model, "block2")
    assert frozen == [model.stem, model.blocks[0], model.blocks[1]]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=0.1)
    train_mode(model, frozen)
    assert model.training and not any(m.training for f in frozen for m in f.modules())
    model(torch.randn(4, 1, model.input_length)).pow(2).mean().backward()
    optimizer.step()
    after = model.state_dict()
    for name, value in before.items():
        changed = not torch.equal(value, after[name])
        if name.startswith(("stem.", "blocks.0.", "blocks.1.")):
            assert not changed, name  # weights and batch-norm statistics alike
        elif name.endswith(".weight") and name.startswith("blocks.3."):
            assert changed, name


def test_track_partners_are_the_other_clips_of_the_same_track_of_the_same_corpus():
    clips = pd.DataFrame(
        {
            "corpus": ["a", "a", "a", "b", "b"],
            "track_id": ["t1", "t1", "t2", "t1", "t1"],
        }
    )
    partners = track_partners(clips)
    assert [list(p) for p in partners] == [[1], [0], [], [4], [3]]


def test_student_keeps_the_start_or_puts_a_new_multi_level_head_on_its_blocks(tmp_path):
    torch.manual_seed(0)
    config = {"m": 3, "n": 4, "widths": [8, 8, 16, 16], "stem_width": 8, "n_classes": 4}
    path = tmp_path / "start.pt"
    save_checkpoint(path, SampleCNN(**config).eval(), config=config, meta={"sample_rate": 16000.0}, half=False)
    start = load_checkpoint(path)
    same, same_config = student(start)
    assert same_config == config
    for name, value in start.build().state_dict().items():
        assert torch.equal(same.state_dict()[name], value), name
    multi, multi_config = student(start, multi_level=True)
    assert multi_config == {**config, "multi_level": True} and multi.multi_level
    assert multi.fc[0].in_features == 8 + 16 + 16  # the global max of the last three blocks
    for name, value in start.build().state_dict().items():
        if name.startswith(("stem.", "blocks.")):
            assert torch.equal(multi.state_dict()[name], value), name
    random, _ = student(start, from_scratch=True)
    assert not torch.equal(random.stem[0].weight, start.build().stem[0].weight)
