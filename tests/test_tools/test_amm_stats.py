"""tools/analysis_tools/amm_stats.py: the gates it recovers and a run on a real image."""

import json
import os.path as osp
import sys

import pytest
import torch

from tests.conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import amm_stats  # noqa: E402


def test_gate_stats_recover_a_known_gate():
    torch.manual_seed(0)
    x = torch.randn(2, 20, 5, 6)
    strength = x.mean((2, 3))
    # damp the two strongest channels of each sample to 0.25, leave the rest at 1
    gate = torch.ones(2, 20)
    gate.scatter_(1, strength.topk(2, dim=1).indices, 0.25)
    out = amm_stats.gate_stats(x, x * gate[:, :, None, None], dims=(2, 3))
    assert out['mean'] == pytest.approx(float(gate.mean()), rel=1e-6)
    assert out['top10_ratio'] == pytest.approx(0.25 / float(gate.mean(1)[0]), rel=1e-6)
    # a spatial gate: constant over channels
    s = torch.rand(2, 1, 5, 6) + 0.5
    sp = amm_stats.gate_stats(x, x * s, dims=(1,))
    assert sp['mean'] == pytest.approx(float(s.mean()), rel=1e-6)
    assert sp['norm_ratio'] == pytest.approx(float((x * s).norm() / x.norm()), rel=1e-6)


def test_amm_stats_on_a_real_image(voc_mini_root, tmp_path):
    out = tmp_path / 'amm.json'
    cfg = osp.join(REPO, 'configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py')
    amm_stats.main(
        [
            cfg,
            '--out',
            str(out),
            '--num-images',
            '1',
            '--long-side',
            '128',
            '--cfg-options',
            'model.spotlight_checkpoint=None',
            f'train_dataloader.dataset.data_root={voc_mini_root}',
        ]
    )
    result = json.loads(out.read_text())
    assert result['state'] == 'initial (init_weights)' and result['num_images'] == 1
    names = list(result['amm'])
    assert any(n.endswith('channel_amm') for n in names)
    assert any(n.endswith('spatial_amm') for n in names)
    for row in result['amm'].values():
        assert row['mean'] > 0 and row['norm_ratio'] > 0
    assert 0 < result['cam_coverage']['spotlight'] <= 1
    assert len(result['feature_norm']['compensation']) >= 1
