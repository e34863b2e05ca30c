"""tools/analysis_tools/branch_seeds.py: per-branch and fused seeds of an AMR checkpoint."""

import json
import os.path as osp
import sys

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from projects.amr.cam.inference import infer_cams, load_image
from projects.amr.utils.io import load_npy_dict
from tests.conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import branch_seeds  # noqa: E402

CFG = osp.join(REPO, 'configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py')


def test_branch_seeds_equal_fused_inference(voc_mini_root, tmp_path):
    ids = ['2007_000063', '2007_000392']
    ann = tmp_path / 'ids.txt'
    ann.write_text('\n'.join(ids) + '\n')
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(CFG)
    cfg.model.backbone.pretrained = False
    cfg.model.spotlight_checkpoint = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'amr.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)

    out = str(tmp_path / 'out')
    opts = [
        'model.backbone.pretrained=False',
        f'train_dataloader.dataset.data_root={voc_mini_root}',
    ]
    result = branch_seeds.main(
        [CFG, ckpt, '--out-dir', out, '--scales', '0.5', '--eval-ann-file', str(ann)]
        + ['--cfg-options', *opts]
    )
    assert result['num_ids'] == 2
    for name in ('spotlight', 'compensation', 'fused'):
        assert 0 <= result[name]['mIoU'] <= 100
    saved = json.load(open(osp.join(out, 'branch_seeds.json')))
    assert saved['fused']['mIoU'] == result['fused']['mIoU']

    # the fused maps are what infer_cams gives for the whole model with 0.5/0.5 weights
    model.eval()
    info = {i: osp.join(voc_mini_root, 'JPEGImages', i + '.jpg') for i in ids}
    for img_id in ids:
        fused = load_npy_dict(osp.join(out, 'fused', img_id + '.npy'))
        ref = infer_cams(
            model, load_image(info[img_id]), fused['keys'], scales=(0.5,), branch_weights=(0.5, 0.5)
        )
        np.testing.assert_allclose(fused['high_res'], ref['high_res'], atol=1e-5)
        np.testing.assert_allclose(fused['cam'], ref['cam'], atol=1e-5)
        spot = load_npy_dict(osp.join(out, 'spotlight', img_id + '.npy'))
        only = infer_cams(
            model, load_image(info[img_id]), fused['keys'], scales=(0.5,), branch_weights=(1, 0)
        )
        np.testing.assert_allclose(spot['high_res'], only['high_res'], atol=1e-5)
