"""Pseudo masks by IRN's random walk from a trained IRN checkpoint (RandomWalkHook's core).

    python tools/make_sem_seg.py configs/irn/irn_lite0_1xb8-3e_voc12mini-320x320.py \
        work_dirs/irn_lite0_1xb8-3e_voc12mini-320x320/epoch_3.pth

Writes ``<work_dir>/masks/<id>.png`` and ``<work_dir>/mask_metrics.json`` with the settings of
the config's ``RandomWalkHook``; existing masks are skipped. Multi-process:
``torchrun --nproc_per_node N tools/make_sem_seg.py ... --launcher pytorch`` (gloo on CPU).
"""

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Random-walk pseudo masks from an IRN checkpoint')
    parser.add_argument('config', help='IRN config file')
    parser.add_argument('checkpoint', help='trained IRN checkpoint')
    parser.add_argument('--work-dir', help="output root (default: the config's work_dir)")
    parser.add_argument('--device', default=None, help='cpu / cuda (default: cuda if any)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value',
    )
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    import torch
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    import projects.amr  # noqa: F401
    from projects.amr.engine.hooks.random_walk_hook import RandomWalkHook, run_random_walk
    from projects.amr.utils import resolve_work_dir
    from projects.amr.utils.launch import init_tool_dist

    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    resolve_work_dir(cfg, args.config, args.work_dir)
    init_tool_dist(args.launcher)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    from mmpretrain.registry import MODELS

    logger = MMLogger.get_instance('make_sem_seg', log_level='INFO')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu', logger=logger)
    model.to(device)
    hooks = [h for h in cfg.get('custom_hooks', []) if h.get('type') == 'RandomWalkHook']
    if not hooks:
        raise ValueError(f'{args.config} has no RandomWalkHook in custom_hooks')
    hook_cfg = dict(hooks[0])
    hook_cfg.pop('type')
    hook_cfg.pop('priority', None)
    result = run_random_walk(model, cfg, cfg.work_dir, RandomWalkHook(**hook_cfg), logger)
    return result


if __name__ == '__main__':
    main()
