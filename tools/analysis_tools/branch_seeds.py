r"""Seed mIoU of each AMR branch and of their fusion, from one inference per branch.

For every evaluation id (VOC ``train``) the spotlight and the compensation branch are run
separately (each branch only, so one AMR inference costs what ``tools/make_cam.py`` costs); the
per-branch maps are max-normalised as in :func:`infer_cams` and fused with ``branch_weights``
(0.5/0.5 as released). Writes ``<out-dir>/{spotlight,compensation,fused}/<id>.npy`` and
``<out-dir>/branch_seeds.json`` (CAMMetric of the three, background threshold as configured,
the sweep's best labelled as selected with the ground truth). Example::

    python tools/analysis_tools/branch_seeds.py \\
        configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py work_dirs/amr_lite0/epoch_6.pth \\
        --out-dir work_dirs/amr_lite0/branch_seeds \\
        --scales 1.0 0.5 1.5 2.0
"""

import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402
from mmengine.runner import load_checkpoint  # noqa: E402

from projects.amr.cam.generate import evaluate_folder  # noqa: E402
from projects.amr.cam.inference import infer_cams, load_image  # noqa: E402
from projects.amr.cam.settings import CAMSettings  # noqa: E402
from projects.amr.engine.hooks import build_cam_dataset, eval_sources  # noqa: E402
from projects.amr.evaluation import seg_class_names  # noqa: E402
from projects.amr.utils.io import json_safe, load_npy_dict, save_json, save_npy  # noqa: E402

BRANCHES = ('spotlight', 'compensation')


class OneBranch(nn.Module):
    """A view of a two-branch model whose ``cams()`` runs one branch only."""

    def __init__(self, model: nn.Module, branch: int) -> None:
        super().__init__()
        self.model = model
        self.branch = branch
        self.data_preprocessor = model.data_preprocessor

    def cams(self, inputs: torch.Tensor) -> tuple[torch.Tensor]:
        return (self.model.branch_cam(inputs, self.branch),)


def fuse(maps: list[dict], weights: tuple[float, ...]) -> dict:
    """Weighted sum of per-branch (already max-normalised) ``cam`` / ``high_res`` maps."""
    out = dict(keys=maps[0]['keys'])
    for key in ('cam', 'high_res'):
        out[key] = sum(w * m[key].astype(np.float32) for w, m in zip(weights, maps))
    return out


def write_branch_maps(
    model: nn.Module,
    dataset,
    ids: list,
    out_dir: str,
    settings: CAMSettings,
    logger: MMLogger,
) -> None:
    """``<out_dir>/{spotlight,compensation,fused}/<id>.npy`` of ``ids`` (existing ones kept).

    Each branch runs alone (:class:`OneBranch`) with ``settings``; the fused maps weigh the
    per-branch (max-normalised) maps with ``settings.branch_weights``. Each image is read once.
    """
    views = [OneBranch(model, b) for b in range(2)]
    one_branch = CAMSettings.of(settings, branch_weights=None)  # each view has one branch
    index = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        index[info['img_id']] = info
    t0 = time.time()
    for n, img_id in enumerate(ids, 1):
        paths = {k: osp.join(out_dir, k, img_id + '.npy') for k in (*BRANCHES, 'fused')}
        if all(osp.isfile(p) for p in paths.values()):
            continue
        info = index[img_id]
        keys = np.asarray(info['gt_label'], dtype=np.int64).reshape(-1)
        img = load_image(info['img_path'])
        maps = []
        for name, view in zip(BRANCHES, views):
            if osp.isfile(paths[name]):
                maps.append(load_npy_dict(paths[name]))
                continue
            m = infer_cams(view, img, keys, one_branch)
            save_npy(paths[name], m)
            maps.append(m)
        save_npy(paths['fused'], fuse(maps, settings.branch_weights))
        if n % 20 == 0 or n == len(ids):
            logger.info(f'branch seeds {n}/{len(ids)}, {time.time() - t0:.0f}s')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--scales', type=float, nargs='+', default=[1.0, 0.5, 1.5, 2.0])
    parser.add_argument('--branch-weights', type=float, nargs=2, default=[0.5, 0.5])
    parser.add_argument('--bg-threshold', type=float, default=0.20)
    parser.add_argument('--eval-ann-file', default='ImageSets/Segmentation/train.txt')
    parser.add_argument('--eval-seg-dir', default='SegmentationClass')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    logger = MMLogger.get_instance('branch_seeds', log_level='INFO')
    model = MODELS.build(cfg.model)
    if getattr(model, 'num_branches', 1) != 2 or not hasattr(model, 'branch_cam'):
        raise TypeError(f'{args.config}: the model has no two branches with branch_cam()')
    if hasattr(model, 'spotlight_checkpoint'):
        model.spotlight_checkpoint = None  # everything comes from the checkpoint below
    load_checkpoint(model, args.checkpoint, map_location='cpu', logger=logger)
    model.eval()

    ds_cfg = dict(cfg.train_dataloader.dataset, ann_file=args.eval_ann_file)
    dataset = build_cam_dataset(cfg, ds_cfg)
    ids, seg_dir = eval_sources(dataset, args.eval_ann_file, args.eval_seg_dir)
    if not ids:
        raise ValueError(f'no evaluation ids from {args.eval_ann_file}')
    settings = CAMSettings(scales=args.scales, branch_weights=args.branch_weights)
    write_branch_maps(model, dataset, ids, args.out_dir, settings, logger)

    result = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        scales=args.scales,
        branch_weights=args.branch_weights,
        bg_threshold=args.bg_threshold,
        num_ids=len(ids),
        note='best_* choose the background threshold with the ground truth',
    )
    for name in (*BRANCHES, 'fused'):
        metrics, _ = evaluate_folder(
            osp.join(args.out_dir, name),
            ids,
            seg_dir,
            bg_threshold=args.bg_threshold,
            class_names=seg_class_names(dataset.metainfo),
        )
        result[name] = metrics
        logger.info(f'{name}: ' + ', '.join(f'{k} {v}' for k, v in metrics.items()))
    save_json(osp.join(args.out_dir, 'branch_seeds.json'), json_safe(result))
    return result


if __name__ == '__main__':
    main()
