"""The Lite0 AMR config through mmengine's Runner on the real voc-mini set: one iteration."""

import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from tests.conftest import REPO

AMR_CFG = osp.join(REPO, 'configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py')
CAM_CFG = osp.join(REPO, 'configs/amr/cam_lite0_1xb8-6e_voc12mini-320x320.py')


def tiny_spotlight_checkpoint(path: str) -> dict:
    """A randomly initialised stage-1 CAM classifier saved like a Runner checkpoint."""
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(CAM_CFG)
    cfg.model.backbone.pretrained = False
    torch.manual_seed(0)
    state = MODELS.build(cfg.model).state_dict()
    torch.save(dict(state_dict=state, meta=dict(epoch=6)), path)
    return state


def test_one_amr_iteration_on_voc_mini(voc_mini_root, tmp_path):
    ckpt = str(tmp_path / 'cam_epoch_6.pth')
    spotlight = tiny_spotlight_checkpoint(ckpt)
    cfg = Config.fromfile(AMR_CFG)
    cfg.work_dir = str(tmp_path / 'run')
    cfg.model.spotlight_checkpoint = ckpt
    pipe = cfg.train_dataloader.dataset.pipeline
    pipe[1].long_side_range = (64, 96)
    pipe[3].crop_size = 64
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(data_root=voc_mini_root, indices=2)
    cfg.val_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.val_dataloader.dataset.update(data_root=voc_mini_root, indices=2)
    cfg.val_dataloader.dataset.pipeline[1].long_side_range = (64, 64)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.default_hooks.checkpoint.update(interval=1)
    cfg.default_hooks.logger.interval = 1
    cfg.log_level = 'WARNING'

    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1 and runner.epoch == 1
    scalars = runner.message_hub.log_scalars
    for key in ('train/loss', 'train/loss_cls_s', 'train/loss_cls_c', 'train/loss_cps'):
        assert key in scalars and torch.isfinite(torch.tensor(scalars[key].current())), key
    assert 'val/multi-label/mAP' in scalars
    after = runner.model.state_dict()
    # faithful mode: the spotlight backbone is the checkpoint's, its classifier moved (L_cps)
    for key, value in spotlight.items():
        if key.startswith('backbone.'):
            assert torch.equal(after['spotlight_' + key], value), key
    assert not torch.equal(
        after['spotlight_head.classifier.weight'], spotlight['head.classifier.weight']
    )
    assert osp.isfile(osp.join(cfg.work_dir, 'epoch_1.pth'))
    # the optimiser: compensation backbone x10, classifiers x1, the voc-mini CPU-budget momentum
    groups = runner.optim_wrapper.optimizer.param_groups
    lrs = {g['lr'] for g in groups}
    assert max(lrs) / min(lrs) == 10.0
    assert cfg.cpu_budget_momentum == 0.9
    assert all(g['momentum'] == 0.9 and g['weight_decay'] == 1e-4 for g in groups)


def test_r50_configs_keep_the_released_momentum():
    # the CPU-budget switch lives in the Lite0 voc-mini configs only
    for name in ('amr_r50_1xb16-8e_voc12aug-512x512.py', 'cam_r50_1xb16-8e_voc12aug-512x512.py'):
        cfg = Config.fromfile(osp.join(REPO, 'configs/amr', name))
        assert cfg.optim_wrapper.optimizer.momentum == cfg.released_sgd_momentum == 1e-4, name
        assert 'cpu_budget_momentum' not in cfg, name
