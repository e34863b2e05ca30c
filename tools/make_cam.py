r"""CAMs, seeds, IR labels, metrics and overlays from a checkpoint (what PseudoLabelHook does).

The settings come from the config's ``PseudoLabelHook`` entry in ``custom_hooks`` (when there is
one), then from the command line. Examples::

    python tools/make_cam.py configs/amr/cam_lite0_1xb8-6e_voc12mini-320x320.py \\
        work_dirs/cam_lite0/epoch_6.pth --out-dir work_dirs/cam_lite0/make_cam
    # only the 1,464 (voc-mini: 170) train ids, no IR labels, IRN's threshold
    python tools/make_cam.py CONFIG CKPT --out-dir OUT \\
        --ann-file ImageSets/Segmentation/train.txt --no-ir-label --bg-threshold 0.15
    # several processes (each writes its shard)
    torchrun --nproc_per_node 2 tools/make_cam.py CONFIG CKPT --out-dir OUT --launcher pytorch
"""

import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dist import get_dist_info  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402
from mmengine.runner import load_checkpoint  # noqa: E402

from projects.amr.cam.generate import generate_pseudo_labels  # noqa: E402
from projects.amr.cam.settings import PSEUDO_LABEL_KEYS, PseudoLabelSettings  # noqa: E402
from projects.amr.engine.hooks import build_cam_dataset, eval_sources  # noqa: E402
from projects.amr.utils.launch import init_tool_dist  # noqa: E402

# the PseudoLabelHook keys that are settings (the hook's others name its data and outputs)
HOOK_KEYS = PSEUDO_LABEL_KEYS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Make CAMs / seeds / IR labels from a checkpoint')
    parser.add_argument('config', help='config of the trained classifier')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out-dir', required=True, help='output root (cams/, seeds/, ...)')
    parser.add_argument(
        '--ann-file',
        help='id list to generate for, relative to data_root '
        "(default: the train dataloader's, i.e. train_aug)",
    )
    parser.add_argument(
        '--eval-ann-file',
        default=None,
        help='ids to evaluate (default ImageSets/Segmentation/train.txt)',
    )
    parser.add_argument(
        '--eval-seg-dir', default=None, help='ground-truth masks (default SegmentationClass)'
    )
    parser.add_argument('--bg-threshold', type=float, help='seed background threshold')
    parser.add_argument('--scales', type=float, nargs='+', help='inference scales')
    parser.add_argument(
        '--climbing',
        action='store_true',
        help='anti-adversarial climbing with the released defaults (27 iterations, step 0.08, '
        'lambda 7, mask 0.5 rebuilt every iteration)',
    )
    parser.add_argument('--no-climbing', action='store_true', help='switch climbing off')
    parser.add_argument(
        '--map-extractor',
        choices=['gradcam', 'cam'],
        help="class maps: 'gradcam' (released Grad-CAM) or 'cam' (ReLU(CAM))",
    )
    parser.add_argument(
        '--resize',
        choices=['pil', 'torch'],
        help="pyramid rescaling: 'pil' (released uint8 PIL bicubic) or 'torch'",
    )
    parser.add_argument(
        '--restriction-mask',
        choices=['per_iteration', 'cumulative'],
        help="climbing's restriction mask: 'per_iteration' (released AMR) or 'cumulative'",
    )
    parser.add_argument(
        '--sequential',
        action='store_true',
        help='climb one class after the other (default: all present classes in one batch)',
    )
    parser.add_argument(
        '--images-per-batch',
        type=int,
        help='same-size images whose CAMs / climbing run in one batch (equal maps; GPU speed-up)',
    )
    parser.add_argument('--seed-crf', action='store_true', help='also write CRF seeds')
    parser.add_argument('--no-ir-label', action='store_true', help='do not write IR labels')
    parser.add_argument('--fp16', action='store_true', help='store CAMs as float16')
    parser.add_argument('--num-vis', type=int, help='overlays to save')
    parser.add_argument('--device', default=None, help='cpu / cuda (default: cuda if present)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value',
    )
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher',
    )
    return parser.parse_args(argv)


def hook_settings(cfg: Config) -> dict:
    """Keyword arguments of the config's PseudoLabelHook entry, if any."""
    for hook in cfg.get('custom_hooks', None) or []:
        if str(hook.get('type', '')).split('.')[-1] == 'PseudoLabelHook':
            return {k: v for k, v in hook.items() if k != 'type' and k != 'priority'}
    return {}


def cli_settings(args: argparse.Namespace, hook: dict) -> PseudoLabelSettings:
    """The config's PseudoLabelHook settings with the command line's on top."""
    kwargs = {k: hook[k] for k in HOOK_KEYS if k in hook}
    if args.bg_threshold is not None:
        kwargs['bg_threshold'] = args.bg_threshold
    if args.scales:
        kwargs['scales'] = tuple(args.scales)
    if args.climbing:
        kwargs['climbing'] = dict(
            iters=27, step=0.08, lam=7.0, mask_thr=0.5, restriction_mask='per_iteration'
        )
    if args.no_climbing:
        kwargs['climbing'] = None
    if args.map_extractor:
        kwargs['map_extractor'] = args.map_extractor
    if args.resize:
        kwargs['resize'] = args.resize
    if (args.restriction_mask or args.sequential) and kwargs.get('climbing') is None:
        raise SystemExit('--restriction-mask / --sequential need climbing (config or --climbing)')
    if args.restriction_mask:
        kwargs['climbing'] = dict(kwargs['climbing'], restriction_mask=args.restriction_mask)
    if args.sequential:
        kwargs['climbing'] = dict(kwargs['climbing'], batched=False)
    if args.images_per_batch is not None:
        kwargs['images_per_batch'] = args.images_per_batch
    if args.seed_crf:
        kwargs['seed_crf'] = True
    if args.no_ir_label:
        kwargs['ir_label'] = None
    if args.fp16:
        kwargs['fp16'] = True
    if args.num_vis is not None:
        kwargs['num_vis'] = args.num_vis
    return PseudoLabelSettings.from_dict(kwargs)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_tool_dist(args.launcher)
    rank, _ = get_dist_info()
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    logger = MMLogger.get_instance('make_cam', log_level='INFO')

    hook = hook_settings(cfg)
    settings = cli_settings(args, hook)
    ds_cfg = hook.get('dataset') or cfg.train_dataloader.dataset
    if args.ann_file:
        ds_cfg = dict(ds_cfg, ann_file=args.ann_file)
    dataset = build_cam_dataset(cfg, ds_cfg)
    eval_ann = args.eval_ann_file or hook.get('eval_ann_file', 'ImageSets/Segmentation/train.txt')
    eval_seg = args.eval_seg_dir or hook.get('eval_seg_dir', 'SegmentationClass')
    eval_ids, seg_dir = eval_sources(dataset, eval_ann, eval_seg)

    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device == 'cuda' and args.launcher != 'none':
        device = f'cuda:{torch.cuda.current_device()}'
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu', logger=logger)
    model.to(device)
    logger.info(f'make_cam: {len(dataset)} images -> {args.out_dir} ({settings})')
    result = generate_pseudo_labels(
        model,
        dataset,
        args.out_dir,
        settings,
        eval_ids=eval_ids,
        eval_seg_dir=seg_dir,
        logger=logger,
    )
    if rank == 0:
        logger.info('make_cam: ' + json.dumps({k: v for k, v in result.items()}, default=str))
    return result


if __name__ == '__main__':
    main()
