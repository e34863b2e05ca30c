"""The CAM classifier through mmengine's Runner: one iteration, save + resume, mAP metric."""

import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

from projects.amr.models.backbones import lite0_weights_path
from tests.conftest import REPO

CFG = osp.join(REPO, 'configs/amr/cam_lite0_1xb8-4e_demo-256x256.py')


def tiny_cfg(data_root: str, work_dir: str, max_epochs: int = 1) -> Config:
    """The demo config shrunk to 4 images of 96 px, batch 2 (2 iterations per epoch)."""
    cfg = Config.fromfile(CFG)
    cfg.work_dir = work_dir
    pipe = cfg.train_dataloader.dataset.pipeline
    pipe[1].long_side_range = (80, 112)
    pipe[3].crop_size = 96
    pipe[4].hole_size = 24
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(data_root=data_root, indices=4)
    cfg.val_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.val_dataloader.dataset.update(data_root=data_root, indices=4)
    cfg.val_dataloader.dataset.pipeline[1].long_side_range = (96, 96)
    cfg.test_dataloader = cfg.val_dataloader
    # the schedule has no `end`: mmengine's runner sets it to max_epochs
    cfg.train_cfg.update(max_epochs=max_epochs, val_interval=1)
    cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=3)
    cfg.default_hooks.logger.interval = 1
    cfg.log_level = 'WARNING'
    return cfg


def test_train_one_epoch_and_validate(demo_root, tmp_path):
    cfg = tiny_cfg(demo_root, str(tmp_path / 'run'))
    runner = Runner.from_cfg(cfg)
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    runner.train()
    assert runner.iter == 2 and runner.epoch == 1
    after = runner.model.state_dict()
    assert not torch.equal(before['head.classifier.weight'], after['head.classifier.weight'])
    # the ImageNet weights were loaded; the frozen stem and the fixed BN statistics kept them
    imagenet = torch.load(lite0_weights_path(), map_location='cpu', weights_only=True)
    assert torch.equal(imagenet['_conv_stem.weight'], after['backbone._conv_stem.weight'])
    assert torch.equal(
        imagenet['_blocks.5._bn1.running_mean'], after['backbone._blocks.5._bn1.running_mean']
    )
    assert not torch.equal(
        imagenet['_blocks.5._bn1.weight'], after['backbone._blocks.5._bn1.weight']
    )
    scalars = runner.message_hub.log_scalars
    assert 0.0 <= scalars['val/multi-label/mAP'].current() <= 100.0
    assert 0.0 <= scalars['val/multi-label/mAP_present'].current() <= 100.0
    assert scalars['val/multi-label/num_present'].current() >= 1
    assert osp.isfile(osp.join(cfg.work_dir, 'epoch_1.pth'))


class _Interrupt(RuntimeError):
    pass


@HOOKS.register_module(force=True)
class _RecordLrAndInterrupt(Hook):
    """Test hook: records the lr of every iteration, can kill the run after an epoch."""

    priority = 'LOWEST'  # after CheckpointHook has saved the epoch
    lrs: list = []

    def __init__(self, stop_after_epoch: int = -1) -> None:
        self.stop_after_epoch = stop_after_epoch

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.lrs.append(runner.optim_wrapper.get_lr()['lr'][0])

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.stop_after_epoch:  # the counter moves after this hook
            raise _Interrupt('simulated kill')


def test_interrupted_run_resumes_where_it_stopped(demo_root, tmp_path):
    ref = tiny_cfg(demo_root, str(tmp_path / 'ref'), max_epochs=2)
    ref.custom_hooks = [dict(type='_RecordLrAndInterrupt')]
    _RecordLrAndInterrupt.lrs = []
    Runner.from_cfg(ref).train()
    ref_lrs = list(_RecordLrAndInterrupt.lrs)
    assert len(ref_lrs) == 4 and ref_lrs[0] > ref_lrs[1] > ref_lrs[2] > 0
    # poly 0.9 over exactly the run's 4 iterations (the scheduler's `end` follows max_epochs)
    np.testing.assert_allclose(
        np.array(ref_lrs) / ref_lrs[0], [(1 - t / 3) ** 0.9 for t in range(4)], atol=1e-7
    )

    work_dir = str(tmp_path / 'run')
    cfg = tiny_cfg(demo_root, work_dir, max_epochs=2)
    cfg.custom_hooks = [dict(type='_RecordLrAndInterrupt', stop_after_epoch=1)]
    _RecordLrAndInterrupt.lrs = []
    with pytest.raises(_Interrupt):
        Runner.from_cfg(cfg).train()
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    assert not osp.exists(osp.join(work_dir, 'epoch_2.pth'))

    cfg = tiny_cfg(demo_root, work_dir, max_epochs=2)
    cfg.custom_hooks = [dict(type='_RecordLrAndInterrupt')]
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 2 and runner.iter == 4
    # the schedule continued from iteration 2 instead of restarting
    np.testing.assert_allclose(_RecordLrAndInterrupt.lrs, ref_lrs, rtol=1e-6)
    ckpt = torch.load(osp.join(work_dir, 'epoch_2.pth'), map_location='cpu')
    assert ckpt['meta']['epoch'] == 2 and ckpt['meta']['iter'] == 4
