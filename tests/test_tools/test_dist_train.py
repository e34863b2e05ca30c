"""tools/dist_train.sh with 2 CPU processes (gloo) on the demo data."""

import glob
import os
import os.path as osp
import socket
import subprocess
import sys

import torch

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_two_cpu_processes(demo_root, tmp_path):
    work_dir = tmp_path / 'ddp'
    opts = [
        f'train_dataloader.dataset.data_root={demo_root}',
        'train_dataloader.dataset.indices=4',
        'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        f'val_dataloader.dataset.data_root={demo_root}',
        'val_dataloader.dataset.indices=2',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.logger.interval=1',
    ]
    env = dict(os.environ, PORT=str(free_port()), PYTHON=sys.executable)
    proc = subprocess.run(
        [
            'bash',
            osp.join(REPO, 'tools/dist_train.sh'),
            osp.join(REPO, 'configs/amr/cam_lite0_1xb8-4e_demo-256x256.py'),
            '2',
            '--work-dir',
            str(work_dir),
            '--cfg-options',
            *opts,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = open(glob.glob(str(work_dir / '*' / '*.log'))[0]).read()
    assert 'Distributed training: True' in log and 'Distributed launcher: pytorch' in log
    assert 'multi-label/mAP' in log
    ckpt = torch.load(work_dir / 'epoch_1.pth', map_location='cpu')
    # 4 images / (2 ranks x batch 2) = 1 iteration per epoch (one process would need 2)
    assert ckpt['meta']['iter'] == 1


def test_make_cam_two_cpu_processes(demo_root, tmp_path):
    """tools/make_cam.py under torchrun with 2 CPU processes: gloo (mmengine's init_dist
    would call torch.cuda.set_device), each rank writes its shard, rank 0 evaluates."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    import projects.amr  # noqa: F401

    cfg_path = osp.join(REPO, 'configs/amr/cam_lite0_1xb8-4e_demo-256x256.py')
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    ckpt = tmp_path / 'model.pth'
    torch.save({'state_dict': MODELS.build(Config.fromfile(cfg_path).model).state_dict()}, ckpt)
    out = tmp_path / 'cams_out'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [
            sys.executable,
            '-m',
            'torch.distributed.run',
            '--nproc_per_node',
            '2',
            '--master_port',
            str(free_port()),
            osp.join(REPO, 'tools/make_cam.py'),
            cfg_path,
            str(ckpt),
            '--out-dir',
            str(out),
            '--launcher',
            'pytorch',
            '--scales',
            '1.0',
            '--no-ir-label',
            '--num-vis',
            '0',
            '--cfg-options',
            f'train_dataloader.dataset.data_root={demo_root}',
            'train_dataloader.dataset.indices=4',
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert len(os.listdir(out / 'cams')) == 4 and len(os.listdir(out / 'seeds')) == 4
