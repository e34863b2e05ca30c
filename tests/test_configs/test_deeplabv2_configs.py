"""The DeepLabV2 configs: they build, their optimiser follows the recipe, and a Lite0 config
trains two iterations through the Runner on a tiny VOC-layout dataset with pseudo masks."""

import glob
import os
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmseg.registry import MODELS
from mmseg.utils import register_all_modules

import projects.amr  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO, 'configs', 'deeplabv2')
CONFIGS = sorted(glob.glob(osp.join(CONFIG_DIR, 'deeplabv2_*.py')))
LITE0_PSEUDO = osp.join(CONFIG_DIR, 'deeplabv2_lite0-d16_1xb4-300i_voc12mini-pseudo-321x321.py')

register_all_modules(init_default_scope=True)
pytestmark = pytest.mark.usefixtures('mmseg_scope')


def _offline(cfg: Config) -> Config:
    """No pretrained weights: no download, no time spent loading."""
    backbone = cfg.model.backbone
    if 'EfficientNetLite' in backbone.type:
        backbone.pretrained = False
    else:
        backbone.init_cfg = None
    return cfg


def test_config_set():
    names = {osp.basename(c) for c in CONFIGS}
    assert 'deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-321x321.py' in names
    assert 'deeplabv2_r101-d8_1xb10-20k_voc12aug-gt-321x321.py' in names
    assert len(names) == 5  # R101 pseudo / GT; Lite0 voc-mini pseudo / GT, voc-mini pool pseudo


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_and_follows_the_recipe(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmseg' and 'projects.amr' in cfg.custom_imports.imports
    assert cfg.model.type == 'CRFEncoderDecoder'
    assert cfg.model.test_cfg.crf == dict(
        enabled=False, iters=10, pos_w=3, pos_xy_std=1, bi_w=4, bi_xy_std=67, bi_rgb_std=3
    )
    head = cfg.model.decode_head
    assert head.type == 'DeepLabV2Head' and head.num_classes == 21
    assert head.loss_decode.avg_non_ignore is True
    assert cfg.crop_size == (321, 321)
    train_set, val_set = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
    pool = '_voc12pool-' in path  # the voc-mini pool's train_aug list
    assert train_set.ann_file == f'ImageSets/Segmentation/{"pool/" if pool else ""}train_aug.txt'
    seg_dir = train_set.data_prefix.seg_map_path
    if '-pseudo-' in path:
        assert osp.isabs(seg_dir) and seg_dir.endswith('masks')
    else:
        assert seg_dir == 'SegmentationClassAug'
    assert val_set.ann_file == 'ImageSets/Segmentation/val.txt'
    assert val_set.data_prefix.seg_map_path == 'SegmentationClass'
    assert cfg.val_evaluator.type == 'IoUMetric'
    assert 'tta_pipeline' in cfg and cfg.tta_model.type == 'SegTTAModel'
    sched = cfg.param_scheduler[0]
    assert sched.type == 'PolyLR' and sched.power == 0.9 and sched.eta_min == 0
    assert sched.end == cfg.train_cfg.max_iters
    if '_r101-' in path:
        assert cfg.train_cfg.max_iters == 20000 and cfg.train_dataloader.batch_size == 10
        assert cfg.model.backbone.depth == 101
        assert cfg.model.backbone.dilations == (1, 1, 2, 4)
        assert cfg.model.backbone.norm_cfg == dict(type='BN', requires_grad=False)

    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(_offline(cfg).model)
    model.init_weights()
    # every trainable parameter of the head is reached; frozen BN has no trainable parameter
    assert not any(
        p.requires_grad
        for n, p in model.backbone.named_parameters()
        if 'bn' in n and '_r101-' in path
    )
    model.eval()
    with torch.no_grad():
        out = model(torch.rand(1, 3, 33, 33), mode='tensor')
    stride = 8 if '_r101-' in path else 16
    assert out.shape == (1, 21, -(-33 // stride), -(-33 // stride))

    # optimiser: backbone x1 (decay), head weights x10 (decay), head biases x20 (no decay)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    base_lr, wd = cfg.optim_wrapper.optimizer.lr, cfg.optim_wrapper.optimizer.weight_decay
    groups = {id(p): g for g in wrapper.optimizer.param_groups for p in g['params']}
    for conv in model.decode_head.aspp:
        w, b = groups[id(conv.weight)], groups[id(conv.bias)]
        assert w['lr'] == pytest.approx(10 * base_lr) and w['weight_decay'] == pytest.approx(wd)
        assert b['lr'] == pytest.approx(20 * base_lr) and b['weight_decay'] == 0
    conv1 = next(p for p in model.backbone.parameters() if p.requires_grad)
    assert groups[id(conv1)]['lr'] == pytest.approx(base_lr)


def _tiny_voc(root: str, n_train: int = 4, n_val: int = 2) -> str:
    """Write a VOC2012-layout tree with random images, GT masks and pseudo masks."""
    rng = np.random.default_rng(0)
    voc = osp.join(root, 'VOCdevkit', 'VOC2012')
    ids = [f'2007_{i:06d}' for i in range(n_train + n_val)]
    for i in ids:
        h, w = rng.integers(40, 70, size=2)
        mmcv.imwrite(
            rng.integers(0, 255, (h, w, 3), dtype=np.uint8), osp.join(voc, 'JPEGImages', f'{i}.jpg')
        )
        mask = rng.integers(0, 21, (h, w), dtype=np.uint8)
        mmcv.imwrite(mask, osp.join(voc, 'SegmentationClass', f'{i}.png'))
        mmcv.imwrite(mask, osp.join(voc, 'SegmentationClassAug', f'{i}.png'))
        pseudo = mask.copy()
        pseudo[: h // 3] = 255  # pseudo masks leave uncertain pixels ignored
        mmcv.imwrite(pseudo, osp.join(root, 'masks', f'{i}.png'))
    lists = osp.join(voc, 'ImageSets', 'Segmentation')
    os.makedirs(lists, exist_ok=True)
    with open(osp.join(lists, 'train_aug.txt'), 'w') as f:
        f.write('\n'.join(ids[:n_train]) + '\n')
    with open(osp.join(lists, 'val.txt'), 'w') as f:
        f.write('\n'.join(ids[n_train:]) + '\n')
    return voc


def test_lite0_two_iterations_on_pseudo_masks(tmp_path, monkeypatch):
    _tiny_voc(str(tmp_path))
    # relative paths from tmp_path: long absolute paths make the config's yapf dump slow
    monkeypatch.chdir(tmp_path)
    cfg = _offline(Config.fromfile(LITE0_PSEUDO))
    cfg.work_dir = 'work'
    cfg.train_dataloader.batch_size = 2
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.data_root = 'VOCdevkit/VOC2012'
    cfg.train_dataloader.dataset.data_prefix.seg_map_path = '../../masks'
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.max_iters = 2
    cfg.train_cfg.val_interval = 2
    cfg.param_scheduler[0].end = 2
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 2
    # a small crop keeps the test fast; the recipe's 321 is checked above
    cfg.model.data_preprocessor.size = (48, 48)
    crop = next(t for t in cfg.train_dataloader.dataset.pipeline if t.type == 'RandomCrop')
    crop.crop_size = (48, 48)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    assert osp.isfile(osp.join(cfg.work_dir, 'iter_2.pth'))
    # the config's ChannelsLastHook converted the convolutions before training
    conv = runner.model.decode_head.aspp[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    metrics = runner.val_loop.run()
    assert 0 <= metrics['mIoU'] <= 100
    # the CRF switch at test time, on the same tiny val set
    runner.model.test_cfg.crf.update(enabled=True, iters=2)
    metrics = runner.test()
    assert 0 <= metrics['mIoU'] <= 100
