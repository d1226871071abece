"""makemore/layers.py against torch's own modules and the lecture's formulas."""
import pytest
import torch
import torch.nn.functional as F

from makemore.layers import BatchNorm1d, Embedding, FlattenConsecutive, Linear, Sequential, Tanh


def test_batchnorm_matches_torch_in_train_and_eval():
    g = torch.Generator().manual_seed(0)
    ours, theirs = BatchNorm1d(7), torch.nn.BatchNorm1d(7)
    n = 32
    for _ in range(5):
        x = torch.randn((n, 7), generator=g) * 3 + 1
        out = ours(x)
        # torch normalizes with the biased variance; the lecture's layer with the unbiased one.
        # They agree once gamma and eps absorb the factor (n-1)/n.
        expected = F.batch_norm(x, None, None, weight=torch.ones(7) * ((n - 1) / n) ** 0.5,
                                bias=torch.zeros(7), training=True, eps=1e-5 * (n - 1) / n)
        theirs(x)
        assert torch.allclose(out, expected, atol=1e-5)
    # running statistics: momentum 0.1 and the unbiased variance, like torch
    assert torch.allclose(ours.running_mean, theirs.running_mean, atol=1e-6)
    assert torch.allclose(ours.running_var, theirs.running_var, atol=1e-5)
    ours.eval(), theirs.eval()
    x = torch.randn((5, 7), generator=g)
    assert torch.allclose(ours(x), theirs(x), atol=1e-5)


def test_batchnorm_3d_reduces_over_batch_and_time():
    x = torch.randn(4, 6, 5)
    ours = BatchNorm1d(5)
    out = ours(x)
    assert torch.allclose(out.mean((0, 1)), torch.zeros(5), atol=1e-5)
    assert ours.running_mean.shape == (5,)
    buggy = BatchNorm1d(5, dim0_only=True)
    buggy(x)
    assert buggy.running_mean.shape == (6, 5)  # part 5's bug: statistics per position


def test_batchnorm_std_form_is_part_3s_formula():
    x = torch.randn(32, 4)
    bn = BatchNorm1d(4, momentum=0.001, track_std=True)
    out = bn(x)
    expected = (x - x.mean(0, keepdim=True)) / x.std(0, keepdim=True)
    assert torch.allclose(out, expected)
    assert torch.allclose(bn.running_var, 0.999 * torch.ones(4) + 0.001 * x.std(0))


def test_linear_is_lecture_init_and_keeps_its_output():
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    lin = Linear.kaiming(30, 100, bias=False, generator=g1)
    assert torch.equal(lin.weight.data, torch.randn((30, 100), generator=g2) / 30**0.5)
    x = torch.randn(8, 30)
    out = lin(x)
    assert lin.out is out and torch.allclose(out, x @ lin.weight)


def test_wavenet_building_blocks_shapes():
    net = Sequential([Embedding(27, 24), FlattenConsecutive(2), Linear.kaiming(48, 128), Tanh(),
                      FlattenConsecutive(2), Linear.kaiming(256, 128), Tanh(),
                      FlattenConsecutive(2), Linear.kaiming(256, 128)])
    out = net(torch.randint(0, 27, (4, 8)))
    shapes = [tuple(layer.out.shape) for layer in net.layers]
    assert shapes == [(4, 8, 24), (4, 4, 48), (4, 4, 128), (4, 4, 128), (4, 2, 256), (4, 2, 128),
                      (4, 2, 128), (4, 256), (4, 128)]
    assert out.shape == (4, 128)


@pytest.mark.parametrize("kind", ["tanh", "sigmoid", "relu", "leaky_relu", "elu"])
def test_nonlinearities_mark_saturation(kind):
    from makemore.layers import NONLINEARITIES
    layer = NONLINEARITIES[kind]()
    x = torch.tensor([-50.0, 0.3, 50.0])
    t = layer(x)
    sat = layer.saturated(t)
    assert not sat[1]  # a moderate input is in the responsive range
    assert sat.any()  # every one of them has a flat region
