"""The SampleCNN family against the papers' tables (arXiv:1703.01789, arXiv:1710.10451)."""

import math

import pytest
import torch
from torch import nn

from sktag.nn import (
    BLOCKS,
    ResBlock,
    SampleCNN,
    SEBlock,
    SqueezeExcitation,
    default_widths,
    fold_batchnorm,
    make_block,
)

BLOCK_TYPES = ["basic", "se", "res1", "res2", "rese1", "rese2"]
# Table 1 of arXiv:1703.01789 (3^9 model): stem 128, then the nine blocks.
PAPER_WIDTHS_3_9 = [128, 128, 128, 256, 256, 256, 256, 256, 256, 512]
PAPER_LENGTHS_3_9 = [19683, 6561, 2187, 729, 243, 81, 27, 9, 3, 1]


@pytest.fixture(scope="module")
def segment():
    return torch.randn(2, 59049, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("block", BLOCK_TYPES)
@pytest.mark.parametrize("multi_level", [False, True])
def test_3_9_lengths_and_widths(block, multi_level, segment):
    segment = segment[:1]  # one is enough for the shapes: 12 full-size networks run here
    net = SampleCNN(3, 9, block=block, multi_level=multi_level).eval()
    assert net.input_length == 59049
    with torch.inference_mode():
        acts = net.forward_intermediates(segment)
    names = ["stem"] + [f"block{i}" for i in range(1, 10)] + ["fc"]
    assert net.layer_names == names
    assert [a.shape[-1] for a in acts[:-1]] == PAPER_LENGTHS_3_9
    assert [a.shape[1] for a in acts[:-1]] == PAPER_WIDTHS_3_9
    assert [info["num_chs"] for info in net.feature_info[:-1]] == PAPER_WIDTHS_3_9
    assert [info["reduction"] for info in net.feature_info[:-1]] == [3 ** (i + 1) for i in range(10)]
    fc_width = 1024 if multi_level else 512
    assert acts[-1].shape == (1, fc_width, 1)
    assert net.fc[0].in_features == (256 + 256 + 512 if multi_level else 512)
    assert net(segment).shape == (1, 50)


def test_parameter_counts_match_the_papers_scale():
    count = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    assert count(SampleCNN()) == pytest.approx(1.9e6, rel=0.03)
    # The amplifying SE (alpha=16) makes ReSE-2 multi-level about 26.9 M parameters.
    assert count(SampleCNN(block="rese2", multi_level=True)) == pytest.approx(26.9e6, rel=0.01)


def test_se_amplifies():
    se = SqueezeExcitation(64, alpha=16)
    assert se.excite[0].out_features == 16 * 64
    x = torch.randn(3, 64, 10)
    scale = se.excite(x.mean(-1))
    torch.testing.assert_close(se(x), x * scale.unsqueeze(-1))
    assert ((scale > 0) & (scale < 1)).all()


def test_se_block_scales_after_pooling():
    block = SEBlock(4, 8, 3).eval()
    x = torch.randn(2, 4, 27)
    pooled = block.basic(x)
    assert pooled.shape == (2, 8, 9)
    torch.testing.assert_close(block(x), block.se(pooled))


@pytest.mark.parametrize(
    "block,n_convs,se", [("res1", 1, False), ("res2", 2, False), ("rese1", 1, True), ("rese2", 2, True)]
)
def test_residual_blocks_structure(block, n_convs, se):
    b = make_block(block, 128, 256, 3)
    assert isinstance(b, ResBlock)
    convs = [m for m in b.residual if isinstance(m, nn.Conv1d)]
    assert len(convs) == n_convs
    assert any(isinstance(m, SqueezeExcitation) for m in b.residual) == se
    assert any(isinstance(m, nn.Dropout) and m.p == 0.2 for m in b.residual) == (n_convs == 2)
    assert isinstance(b.shortcut[0], nn.Conv1d) and b.shortcut[0].kernel_size == (1,)
    assert isinstance(make_block(block, 256, 256, 3).shortcut, nn.Identity)


@pytest.mark.parametrize("m,n", [(2, 15), (3, 9), (4, 7), (5, 6), (3, 8), (3, 10)])
def test_mn_configurations_reduce_to_one_frame(m, n):
    net = SampleCNN(m, n).eval()
    assert net.input_length == m ** (n + 1)
    with torch.inference_mode():
        acts = net.forward_intermediates(
            torch.randn(1, net.input_length), indices=[f"block{i}" for i in range(1, n + 1)]
        )
    assert [a.shape[-1] for a in acts] == [m ** (n - i) for i in range(1, n + 1)]
    assert [a.shape[1] for a in acts] == list(default_widths(n))


def test_default_widths_follow_the_paper():
    assert list(default_widths(9)) == PAPER_WIDTHS_3_9[1:]
    for n in range(3, 17):
        widths = default_widths(n)
        assert len(widths) == n and widths[0] == 128 and widths[-1] == 512


def test_forward_intermediates_indices(segment):
    net = SampleCNN(3, 9).eval()
    with torch.inference_mode():
        every = net.forward_intermediates(segment)
        last3 = net.forward_intermediates(segment, 3)
        negative = net.forward_intermediates(segment, [-4, -3, -2])
        named = net.forward_intermediates(segment, ["block7", "block8", "block9"])
        logits, full = net.forward_intermediates(segment, ["block2"], intermediates_only=False)
    assert len(every) == 11
    for a, b in zip(last3, every[-3:]):
        torch.testing.assert_close(a, b)
    for a, b, c in zip(negative, named, every[7:10]):
        torch.testing.assert_close(a, c)
        torch.testing.assert_close(b, c)
    torch.testing.assert_close(full[0], every[2])
    torch.testing.assert_close(logits, net(segment))
    with pytest.raises(ValueError, match="unknown layer 'block10'"):
        net.forward_intermediates(segment, ["block10"])
    with pytest.raises(ValueError, match="out of range"):
        net.forward_intermediates(segment, [11])
    with pytest.raises(ValueError, match="last 1..11"):
        net.forward_intermediates(segment, 12)


def test_multi_level_head_uses_global_max_of_last_three_blocks(segment):
    net = SampleCNN(3, 9, multi_level=True).eval()
    with torch.inference_mode():
        b7, b8, b9, fc = net.forward_intermediates(segment, ["block7", "block8", "block9", "fc"])
        expected = net.fc(torch.cat([b7.amax(-1), b8.amax(-1), b9.amax(-1)], dim=1))
    torch.testing.assert_close(fc.squeeze(-1), expected)


def test_bad_input_shapes_raise_clearly():
    net = SampleCNN(3, 4)
    with pytest.raises(ValueError, match="needs at least 243"):
        net(torch.randn(2, 100))
    with pytest.raises(ValueError, match="expected input of shape"):
        net(torch.randn(2, 2, 243))
    with pytest.raises(ValueError, match="unknown block type"):
        SampleCNN(block="dense")
    with pytest.raises(ValueError, match="widths must have n=4"):
        SampleCNN(3, 4, widths=[8, 8])


def test_he_uniform_init():
    net = SampleCNN(3, 9)
    conv = net.blocks[3][0]
    bound = math.sqrt(6 / (conv.in_channels * conv.kernel_size[0]))
    assert conv.weight.abs().max() <= bound
    assert conv.weight.abs().max() > 0.9 * bound
    assert torch.count_nonzero(conv.bias) == 0


def test_eval_outputs_do_not_depend_on_batch_composition(segment):
    net = SampleCNN(3, 6).eval()
    x = torch.randn(5, net.input_length)
    with torch.inference_mode():
        together = net.forward_intermediates(x, ["block6"])[0]
        alone = net.forward_intermediates(x[2:3], ["block6"])[0]
    torch.testing.assert_close(together[2:3], alone, rtol=1e-5, atol=1e-5)


def test_block_registry_is_complete():
    assert sorted(BLOCKS) == sorted(BLOCK_TYPES)


@pytest.mark.parametrize("block", BLOCK_TYPES)
def test_fold_batchnorm_keeps_outputs(block):
    torch.manual_seed(0)
    net = SampleCNN(3, 5, block=block, multi_level=True)
    for bn in (m for m in net.modules() if isinstance(m, nn.BatchNorm1d)):
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.2, 0.2)
    net.eval()
    folded = fold_batchnorm(net)
    assert not any(isinstance(m, nn.BatchNorm1d) for m in folded.modules())
    assert any(isinstance(m, nn.BatchNorm1d) for m in net.modules())  # the original is untouched
    x = torch.randn(4, net.input_length)
    with torch.inference_mode():
        for a, b in zip(net.forward_intermediates(x), folded.forward_intermediates(x)):
            torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4 * a.abs().max().item())
        torch.testing.assert_close(folded(x), net(x), rtol=1e-4, atol=1e-4)


def test_clip_head_maps_flattened_clip_statistics_to_logits():
    net = SampleCNN(3, 4, widths=[8, 8, 16, 16], stem_width=8, n_classes=5, clip_head=["block1", "block4"]).eval()
    assert net.clip_head_layers == ("block1", "block4") and net.clip_head.in_features == 2 * (8 + 16)
    stats = torch.randn(3, 2, 24)
    torch.testing.assert_close(net.clip_logits(stats), stats.flatten(1) @ net.clip_head.weight.T + net.clip_head.bias)
    with pytest.raises(RuntimeError, match="no clip-level head"):
        SampleCNN(3, 4).clip_logits(stats)
    with pytest.raises(ValueError, match="clip_head names \\['fc'\\]"):
        SampleCNN(3, 4, clip_head=["fc"])
