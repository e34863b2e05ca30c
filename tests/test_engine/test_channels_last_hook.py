"""ChannelsLastHook: layout changed, parameters kept, outputs unchanged, switchable."""

from types import SimpleNamespace

import torch
from torch import nn

from projects.amr.engine.hooks import ChannelsLastHook


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=4),
        nn.Conv2d(8, 5, 1),
    ).eval()


def test_converts_once_and_keeps_outputs_and_parameters():
    net = _net()
    x = torch.randn(2, 3, 17, 23)
    with torch.no_grad():
        expected = net(x)
    params = list(net.parameters())
    optimizer = torch.optim.SGD(params, lr=0.1)
    hook = ChannelsLastHook()
    runner = SimpleNamespace(model=net)
    hook.before_train(runner)
    assert net[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert not net[0].weight.is_contiguous()
    # the same Parameter objects: the optimiser built earlier still updates the model
    assert all(p is q for p, q in zip(params, net.parameters()))
    assert optimizer.param_groups[0]['params'][0] is net[0].weight
    with torch.no_grad():
        got = net(x)
    assert got.shape == expected.shape
    assert torch.allclose(got, expected, atol=1e-5)
    hook.before_val(runner)  # idempotent
    assert net[3].weight.is_contiguous(memory_format=torch.channels_last)


def test_disabled_keeps_layout():
    net = _net()
    ChannelsLastHook(enabled=False).before_test(SimpleNamespace(model=net))
    assert net[0].weight.is_contiguous()
