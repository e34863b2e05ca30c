"""The AMM plug-in against a float64 reference of its equations (reference §2.3, §9.3-9.6)."""

import math

import pytest
import torch
import torch.nn.functional as F
from mmcv.cnn import build_plugin_layer
from mmengine.registry import DefaultScope
from torch.nn.modules.batchnorm import _BatchNorm

from projects.amr.models.backbones import EfficientNetLite
from projects.amr.models.plugins import AMM, BatchStatNorm2d, gaussian_gate


def reference_amm(x: torch.Tensor, amm: AMM) -> torch.Tensor:
    """The released equations written out in float64, independent of the module code."""
    x = x.double()
    p = {k: v.detach().double() for k, v in amm.named_parameters()}

    def gate(t):
        n = t.numel()
        mu = t.sum() / n
        sigma = torch.sqrt(((t - mu) ** 2).sum() / (n - 1))
        return torch.exp(-((t - mu) ** 2) / (2 * sigma**2)) / (math.sqrt(2 * math.pi) * sigma)

    # channel: GAP -> Linear -> ReLU -> Linear -> Gaussian pdf over all of z
    g = x.mean(dim=(2, 3))
    z = torch.relu(g @ p['channel_amm.mlp.0.weight'].T + p['channel_amm.mlp.0.bias'])
    z = z @ p['channel_amm.mlp.2.weight'].T + p['channel_amm.mlp.2.bias']
    xc = x * gate(z)[:, :, None, None]
    # spatial: [max, mean] over channels -> 7x7 conv -> BN with batch stats -> Gaussian pdf
    pooled = torch.cat([xc.max(dim=1, keepdim=True)[0], xc.mean(dim=1, keepdim=True)], 1)
    s = F.conv2d(pooled, p['spatial_amm.conv.weight'], padding=3)
    mean = s.mean()
    var = ((s - mean) ** 2).mean()  # BN normalises with the biased batch variance
    s = (s - mean) / torch.sqrt(var + 1e-5) * p['spatial_amm.bn.weight'] + p['spatial_amm.bn.bias']
    return xc * gate(s)


def random_amm(channels: int = 32, seed: int = 0) -> AMM:
    torch.manual_seed(seed)
    amm = AMM(channels)
    with torch.no_grad():
        amm.spatial_amm.bn.weight.fill_(1.7)
        amm.spatial_amm.bn.bias.fill_(-0.3)
        amm.spatial_amm.bn.running_mean.fill_(5.0)  # must never be used
        amm.spatial_amm.bn.running_var.fill_(9.0)
    return amm


def test_matches_float64_reference():
    amm = random_amm()
    x = torch.randn(3, 32, 9, 11)
    out = amm(x)
    ref = reference_amm(x, amm)
    assert out.shape == x.shape
    torch.testing.assert_close(out.double(), ref, rtol=1e-4, atol=1e-6)
    # the module itself in float64 matches to round-off
    torch.testing.assert_close(amm.double()(x.double()), ref, rtol=1e-10, atol=1e-12)


def test_gate_is_a_pdf_not_a_sigmoid():
    """No sigmoid, no max-normalisation: a narrow distribution gives gates above 1."""
    z = torch.randn(2, 32) * 0.01
    g = gaussian_gate(z)
    assert g.max() > 1.0
    mu, sigma = z.mean(), z.std(unbiased=True)
    torch.testing.assert_close(
        g, torch.exp(-((z - mu) ** 2) / (2 * sigma**2)) / (math.sqrt(2 * math.pi) * sigma)
    )


def test_statistics_are_detached():
    """Gradients do not flow through mu and sigma (only through the pdf argument)."""
    z = torch.randn(4, 8, dtype=torch.float64, requires_grad=True)
    gaussian_gate(z).sum().backward()
    zd = z.detach()
    mu, sigma = zd.mean(), zd.std()
    pdf = torch.exp(-((zd - mu) ** 2) / (2 * sigma**2)) / (math.sqrt(2 * math.pi) * sigma)
    torch.testing.assert_close(z.grad, -pdf * (zd - mu) / sigma**2)


def test_batch_coupling():
    amm = random_amm()
    x = torch.randn(2, 32, 8, 8)
    y = x.clone()
    y[1] += 3 * torch.randn_like(y[1])
    assert not torch.allclose(amm(x)[0], amm(y)[0])  # image 0 depends on image 1
    torch.testing.assert_close(
        amm(x[:1])[0].double(), reference_amm(x[:1], amm)[0], rtol=1e-4, atol=1e-6
    )


def test_eval_mode_still_uses_batch_statistics():
    amm = random_amm()
    x = torch.randn(2, 32, 8, 8)
    train_out = amm.train()(x)
    bn = amm.spatial_amm.bn
    assert int(bn.num_batches_tracked) == 1
    stats = bn.running_mean.clone(), bn.running_var.clone()
    eval_out = amm.eval()(x)
    torch.testing.assert_close(eval_out, train_out)
    torch.testing.assert_close(eval_out.double(), reference_amm(x, amm), rtol=1e-4, atol=1e-6)
    # eval does not update the (unused) running buffers; training does, with momentum 0.01
    assert torch.equal(bn.running_mean, stats[0]) and torch.equal(bn.running_var, stats[1])
    assert int(bn.num_batches_tracked) == 1
    assert not isinstance(bn, _BatchNorm) and bn.momentum == 0.01 and bn.eps == 1e-5
    assert set(bn.state_dict()) == {
        'weight',
        'bias',
        'running_mean',
        'running_var',
        'num_batches_tracked',
    }


def test_batch_stat_norm_state_dict_matches_batchnorm():
    bn = torch.nn.BatchNorm2d(1, eps=1e-5, momentum=0.01)
    ours = BatchStatNorm2d(1)
    ours.load_state_dict(bn.state_dict())
    x = torch.randn(4, 1, 5, 5)
    torch.testing.assert_close(ours.eval()(x), bn.train()(x))


def test_registered_for_plugin_builders():
    """build_plugin_layer finds it from the mmpretrain and mmseg scopes; the name is ``amm``."""
    for scope in ('mmpretrain', 'mmseg'):
        with DefaultScope.overwrite_default_scope(scope):
            name, layer = build_plugin_layer(dict(type='AMM', ratio=16), in_channels=64)
        assert name == 'amm' and isinstance(layer, AMM)
        assert layer.channel_amm.mlp[0].out_features == 4


def test_in_mmseg_resnet_after_conv3_untouched_by_norm_eval():
    from mmseg.models.backbones import ResNet

    torch.manual_seed(0)
    net = ResNet(
        depth=50,
        strides=(1, 2, 2, 1),
        out_indices=(3,),
        frozen_stages=1,
        norm_eval=True,
        plugins=[dict(cfg=dict(type='AMM'), position='after_conv3', stages=(True,) * 4)],
    )
    amms = {n: m for n, m in net.named_modules() if isinstance(m, AMM)}
    assert len(amms) == 16 and 'layer1.0.amm' in amms and 'layer4.2.amm' in amms
    net.train()  # norm_eval + frozen_stages switch modules to eval: the AMM must not care
    captured = {}
    block = net.layer2[0]
    # clone: the block adds the identity in place after the plug-in
    block.amm.register_forward_hook(lambda m, i, o: captured.update(x=i[0].clone(), y=o.clone()))
    bn3_out = {}
    block.bn3.register_forward_hook(lambda m, i, o: bn3_out.update(y=o.clone()))
    out = net(torch.randn(2, 3, 64, 64))
    assert out[0].shape == (2, 2048, 4, 4)
    assert torch.equal(captured['x'], bn3_out['y'])  # right after conv3 + bn3
    torch.testing.assert_close(
        captured['y'].double(), reference_amm(captured['x'], block.amm), rtol=1e-4, atol=1e-5
    )
    assert not net.layer1[0].amm.training  # frozen_stages set it to eval ...
    x = torch.randn(2, 256, 8, 8)  # ... and it still normalises with batch statistics
    torch.testing.assert_close(
        net.layer1[0].amm(x).double(), reference_amm(x, net.layer1[0].amm), rtol=1e-4, atol=1e-6
    )


def test_in_efficientnet_lite_blocks():
    net = EfficientNetLite(
        pretrained=False, plugins=[dict(cfg=dict(type='AMM'), stages=(False, True, True, True))]
    )
    names = [n for n, m in net.named_modules() if isinstance(m, AMM)]
    # residual blocks of stages 1-3 only: 4, 6, 7, 9, 10, 12, 13, 14
    assert names == [f'_blocks.{i}.amm' for i in (4, 6, 7, 9, 10, 12, 13, 14)]
    net.train()
    assert net(torch.randn(2, 3, 64, 64))[0].shape == (2, 1280, 4, 4)
    every = EfficientNetLite(
        pretrained=False,
        plugins_in_plain_blocks=True,
        plugins=[dict(cfg=dict(type='AMM'), stages=(False, True, True, True))],
    )
    assert sum(isinstance(m, AMM) for m in every.modules()) == 13


@pytest.mark.parametrize('plain_blocks', [False, True])
def test_lite0_features_with_amms(voc_mini_root, plain_blocks):
    """With ImageNet weights, AMMs in the residual blocks keep the final features alive;
    AMMs also in the blocks without a residual addition kill them (hence the default)."""
    import mmcv

    from projects.amr.datasets.voc_image_label import read_id_list

    img_id = read_id_list(f'{voc_mini_root}/ImageSets/Segmentation/train.txt')[0]
    img = mmcv.imread(f'{voc_mini_root}/JPEGImages/{img_id}.jpg', channel_order='rgb')
    x = torch.from_numpy(mmcv.imresize(img, (224, 224))).permute(2, 0, 1).float()[None]
    x = (x - torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)) / torch.tensor(
        [58.395, 57.12, 57.375]
    ).view(3, 1, 1)
    net = EfficientNetLite(
        plugins=[dict(cfg=dict(type='AMM'), stages=(True,) * 4)],
        plugins_in_plain_blocks=plain_blocks,
    )
    net.init_weights()
    net.eval()
    with torch.no_grad():
        feats = net(torch.cat([x, x.flip(-1)]))[0]
    alive = (feats > 0).float().mean().item()
    if plain_blocks:
        assert alive == 0.0
    else:
        assert alive > 0.01


@pytest.mark.parametrize('ratio', [4, 16])
def test_hidden_width(ratio):
    amm = AMM(64, ratio=ratio)
    assert amm.channel_amm.mlp[0].weight.shape == (64 // ratio, 64)
    assert amm.spatial_amm.conv.weight.shape == (1, 2, 7, 7)
    assert amm.spatial_amm.conv.bias is None


def test_group_size_equals_each_pair_alone():
    """Inside amm_group_size(2) a batch of 3 pairs gives each pair its pair-alone output."""
    from projects.amr.models.plugins import amm_group_size

    torch.manual_seed(0)
    model = torch.nn.Sequential(AMM(32, ratio=8), AMM(32, ratio=8)).eval()
    x = torch.randn(6, 32, 9, 11) * torch.tensor([1.0, 1.0, 3.0, 3.0, 0.5, 0.5]).view(6, 1, 1, 1)
    with torch.no_grad():
        alone = torch.cat([model(x[i : i + 2]) for i in (0, 2, 4)])
        mixed = model(x)
        with amm_group_size(model, 2) as n:
            grouped = model(x)
    assert n == 6  # 2 x (channel gate, spatial gate, its BN)
    torch.testing.assert_close(grouped, alone, rtol=1e-5, atol=1e-6)
    assert (mixed - alone).abs().max() > 1e-2  # ungrouped, the pairs interact
    assert all(m.group_size is None for m in model.modules() if hasattr(m, 'group_size'))
    torch.testing.assert_close(
        gaussian_gate(x, group_size=2)[2:4], gaussian_gate(x[2:4]), rtol=1e-5, atol=1e-7
    )
    with pytest.raises(ValueError, match='group_size=4 must be >= 1 and divide the batch size 6'):
        gaussian_gate(x, group_size=4)
    with pytest.raises(ValueError, match='group_size must be a positive int'):
        with amm_group_size(model, 0):
            pass
