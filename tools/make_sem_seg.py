"""Pseudo masks by IRN's random walk from a trained IRN checkpoint (what RandomWalkHook does).

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


def hook_arguments(cfg, config_path: str) -> dict:
    """The arguments of the config's ``RandomWalkHook`` entry, the hook's defaults filled in.

    ``settings`` holds the validated :class:`RandomWalkSettings`.

    Raises:
        ValueError: When the config has no such entry or the entry has an unknown key or a
            bad value.
    """
    import inspect

    from projects.amr.engine.hooks.random_walk_hook import RandomWalkHook
    from projects.amr.irn import RandomWalkSettings

    for hook in cfg.get('custom_hooks', None) or []:
        if str(hook.get('type', '')).split('.')[-1] == 'RandomWalkHook':
            kwargs = {k: v for k, v in hook.items() if k not in ('type', 'priority')}
            try:
                bound = inspect.signature(RandomWalkHook).bind(**kwargs)
                bound.apply_defaults()
                settings = RandomWalkSettings(**bound.arguments['settings'])
            except (TypeError, ValueError) as e:
                raise ValueError(f'{config_path}: RandomWalkHook entry: {e}') from None
            return dict(bound.arguments, settings=settings)
    raise ValueError(f'{config_path} has no RandomWalkHook in custom_hooks')


def main(argv=None) -> dict:
    import torch
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    import projects.amr  # noqa: F401
    from projects.amr.engine.hooks import build_cam_dataset, eval_sources
    from projects.amr.irn import make_sem_seg_masks
    from projects.amr.utils import resolve_work_dir
    from projects.amr.utils.launch import init_tool_dist

    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    resolve_work_dir(cfg, args.config, args.work_dir)
    hook = hook_arguments(cfg, args.config)
    init_tool_dist(args.launcher)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    from mmpretrain.registry import MODELS

    logger = MMLogger.get_instance('make_sem_seg', log_level='INFO')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu', logger=logger)
    model.to(device)
    dataset = build_cam_dataset(cfg, hook['dataset'])
    eval_ids, seg_dir = eval_sources(dataset, hook['eval_ann_file'], hook['eval_seg_dir'])
    if eval_ids is None and hook['eval_ann_file']:
        logger.warning('make_sem_seg: evaluation list or masks not found; not evaluating')
    out_dir = osp.join(cfg.work_dir, hook['out_dir'])
    logger.info(f'make_sem_seg: masks for {len(dataset)} images under {out_dir}')
    return make_sem_seg_masks(
        model,
        dataset,
        hook['cam_dir'],
        out_dir,
        hook['settings'],
        eval_ids=eval_ids,
        eval_seg_dir=seg_dir,
        metrics_file=osp.join(cfg.work_dir, hook['metrics_file']),
        log_interval=hook['log_interval'],
        logger=logger,
    )


if __name__ == '__main__':
    main()
