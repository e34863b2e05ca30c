"""Runner set-up shared by ``tools/train.py``, ``tools/test.py`` and the pipeline."""

import os
import os.path as osp
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def setup_distributed(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` for ``launcher``; on machines without CUDA, make DDP run on gloo.

    mmengine 0.10.7's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and so fails on
    CPU-only machines, and its DDP wrapper passes ``device_ids=[LOCAL_RANK]``. Without CUDA we
    therefore create the gloo process group ourselves (the Runner then skips ``init_dist``) and
    wrap the model with ``device_ids=None``. SyncBN cannot run on CPU; configs use BN.
    """
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    _init_gloo(launcher)
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel'))
    wrapper.update(device_ids=None, broadcast_buffers=False)
    cfg.model_wrapper_cfg = wrapper


def _init_gloo(launcher: str) -> None:
    """The gloo process group of a CPU-only machine (``launcher`` must be ``'pytorch'``)."""
    if launcher != 'pytorch':
        raise RuntimeError(
            f'launcher {launcher!r} needs CUDA; on CPU use --launcher pytorch '
            '(tools/dist_train.sh), which runs on gloo'
        )
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')


def init_tool_dist(launcher: str) -> None:
    """Process group of a runner-less tool (``make_cam``, ``make_sem_seg``) under ``launcher``.

    With CUDA: mmengine's ``init_dist`` (NCCL). Without: gloo, created here, because
    ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and fails on CPU-only machines
    (see :func:`setup_distributed`). ``'none'`` does nothing.
    """
    if launcher == 'none':
        return
    if torch.cuda.is_available():
        from mmengine.dist import init_dist

        init_dist(launcher, backend='nccl')
    else:
        _init_gloo(launcher)


def resolve_work_dir(cfg: Config, config_path: str, work_dir: Optional[str]) -> None:
    """CLI ``--work-dir`` > ``work_dir`` in the config > ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def set_local_rank_env(local_rank: int) -> None:
    """Export ``LOCAL_RANK`` for launchers that pass ``--local-rank`` (torch.distributed.launch)."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(local_rank)


def enable_amp(cfg: Config) -> None:
    """Switch the optimiser wrapper to mixed precision (dynamic loss scale), as mmseg does."""
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
        raise ValueError(f'--amp needs an OptimWrapper, got {optim_wrapper}')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
