"""The released-AMR checkpoint converter on a synthetic state dict with the official layout."""

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from projects.amr.models.classifiers import convert_official_amr
from projects.amr.models.classifiers.amr_official_converter import (
    official_alias_target,
    official_to_target_key,
)
from tests.conftest import REPO, SHARED

KEY_FILE = osp.join(SHARED, 'reference', 'official-amr-state-dict-keys.txt')
CFG = osp.join(REPO, 'configs/amr/amr_r50_1xb16-8e_voc12aug-512x512.py')


def official_keys() -> list[tuple[str, tuple]]:
    if not osp.isfile(KEY_FILE):
        pytest.skip(f'{KEY_FILE} is absent (the ../shared folder beside the repository)')
    rows = []
    with open(KEY_FILE) as f:
        for line in f:
            if line.strip() and not line.startswith('#'):
                key, shape = line.split(' ', 1)
                rows.append((key, tuple(int(s) for s in shape.strip('()\n ').split(',') if s)))
    return rows


@pytest.fixture(scope='module')
def synthetic():
    """Random tensors under every official key; aliases share the primary tensor, as saved."""
    rows = official_keys()
    gen = torch.Generator().manual_seed(0)
    src = {}
    for key, shape in rows:
        if official_alias_target(key) is None:
            src[key] = (
                torch.randint(0, 100, shape, generator=gen)
                if 'num_batches' in key
                else torch.randn(shape, generator=gen)
            )
    for key, _ in rows:
        if official_alias_target(key) is not None:
            src[key] = src[official_alias_target(key)]
    init_default_scope('mmpretrain')
    model = MODELS.build(Config.fromfile(CFG).model)
    return rows, src, model


def test_alias_resolution():
    assert official_alias_target('stage1.0.weight') == 'resnet50.conv1.weight'
    assert official_alias_target('stage1.4.2.bn3.bias') == 'resnet50.layer1.2.bn3.bias'
    assert official_alias_target('stage2_3.0.5.conv1.weight') == 'resnet50_2.layer3.5.conv1.weight'
    assert official_alias_target('backbone.3.0.2.bn3.weight') == 'resnet50.layer4.2.bn3.weight'
    assert official_alias_target('backbone2.0.1.bias') == 'resnet50_2.bn1.bias'
    assert official_alias_target('newly_added.1.weight') == 'classifier2.weight'
    assert official_alias_target('resnet50.conv1.weight') is None
    assert (
        official_to_target_key('resnet50_2.layer1.0.amm.SpatialAMM.spatial.bn.running_var')
        == 'compensation_backbone.layer1.0.amm.spatial_amm.bn.running_var'
    )
    assert (
        official_to_target_key('resnet50_2.layer2.0.amm.ChannelAMM.mlp.3.bias')
        == 'compensation_backbone.layer2.0.amm.channel_amm.mlp.2.bias'
    )


def test_round_trip(synthetic):
    rows, src, model = synthetic
    template = model.state_dict()
    state, report = convert_official_amr(src, template)
    assert report['unused'] == []
    assert len(report['aliases']) == sum(official_alias_target(k) is not None for k, _ in rows)
    assert list(state) == list(template)
    model.load_state_dict(state, strict=True)
    loaded = model.state_dict()
    # every official tensor (primary or alias) ends up where it belongs, bit for bit
    for key, _ in rows:
        primary = official_alias_target(key) or key
        assert torch.equal(loaded[official_to_target_key(primary)], src[key]), key
    amm = model.compensation_backbone.layer3[4].amm
    assert torch.equal(
        amm.channel_amm.mlp[0].weight, src['resnet50_2.layer3.4.amm.ChannelAMM.mlp.1.weight']
    )
    assert torch.equal(model.spotlight_head.classifier.weight, src['newly_added.0.weight'])


def test_checks(synthetic):
    _, src, model = synthetic
    template = model.state_dict()
    broken = dict(src)
    broken['stage2_4.0.1.conv2.weight'] = broken['stage2_4.0.1.conv2.weight'] + 1
    with pytest.raises(ValueError, match='alias stage2_4.0.1.conv2.weight differs'):
        convert_official_amr(broken, template)
    missing = {
        k: v
        for k, v in src.items()
        if 'layer4.2.amm.SpatialAMM.spatial.conv' not in k
        and not k.startswith(
            (
                'stage2_4.0.2.amm.SpatialAMM.spatial.conv',
                'backbone2.3.0.2.amm.SpatialAMM.spatial.conv',
            )
        )
    }
    with pytest.raises(ValueError, match='not filled'):
        convert_official_amr(missing, template)
    wrong = dict(src, **{'resnet50.fc.weight': torch.zeros(1)})
    _, report = convert_official_amr(wrong, template)
    assert report['unused'] == ['resnet50.fc.weight']
    _, report = convert_official_amr(dict(src, extra=torch.zeros(1)), template)
    assert report['unused'] == ['extra']
    # only aliases present (no primary key): the alias fills the target
    only_alias = {k: v for k, v in src.items() if k != 'classifier2.weight'}
    state, _ = convert_official_amr(only_alias, template)
    assert torch.equal(state['compensation_head.classifier.weight'], src['newly_added.1.weight'])
    bad_shape = dict(
        src,
        **{
            'classifier.weight': torch.zeros(21, 2048, 1, 1),
            'newly_added.0.weight': torch.zeros(21, 2048, 1, 1),
        },
    )
    with pytest.raises(ValueError, match='shape'):
        convert_official_amr(bad_shape, template)


def test_cli(synthetic, tmp_path):
    import sys

    sys.path.insert(0, osp.join(REPO, 'tools', 'model_converters'))
    import amr_official_to_mmpretrain as tool

    _, src, model = synthetic
    path = str(tmp_path / 'released.pth')
    torch.save(src, path)  # shared storages: aliases cost no extra space
    dst = str(tmp_path / 'converted.pth')
    tool.main([path, dst, '--config', CFG])
    out = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(out['state_dict']) == set(model.state_dict())
    assert torch.equal(
        out['state_dict']['compensation_backbone.conv1.weight'], src['resnet50_2.conv1.weight']
    )
