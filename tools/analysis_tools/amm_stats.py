r"""What the AMMs do to the compensation features on real images, and how the branches differ.

For an AMR model (a trained checkpoint, or its initial state: the spotlight checkpoint and the
compensation branch as ``init_weights`` leaves them) and a few real images, each run as the
CAM stage runs them (the image and its flip in one batch), this measures:

* per AMM, the channel gate and the spatial gate it applied. Both AMMs multiply their input
  by a gate, so the gate is recovered exactly from input x and output y as
  ``sum(x * y) / sum(x * x)`` (per channel over space, per pixel over channels). Reported:
  the gate's mean, its coefficient of variation, ``top10_ratio`` = mean gate of the 10 % of
  channels (pixels) with the strongest input response over the mean gate of all (< 1: the
  AMM damps the strongest responses, the paper's intent; > 1: it amplifies them) and the
  output/input norm ratio;
* per branch, the mean per-pixel L2 norm of every backbone output;
* per branch, the CAM coverage of each present class (fraction of pixels above 0.5 of the
  class's max after ReLU) and the IoU of the two branches' covered regions.

Usage::

    python tools/analysis_tools/amm_stats.py configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py \
        --checkpoint work_dirs/amr/epoch_6.pth --out work_dirs/amr/amm_stats.json
    # before training: no --checkpoint, the spotlight from the config or
    # --cfg-options model.spotlight_checkpoint=PATH
"""

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402
from mmengine.runner import load_checkpoint  # noqa: E402

from projects.amr.cam.inference import load_image, normalisation_of  # noqa: E402
from projects.amr.engine.hooks import build_cam_dataset  # noqa: E402
from projects.amr.models.plugins.amm import ChannelAMM, SpatialAMM  # noqa: E402
from projects.amr.utils.io import json_safe, save_json  # noqa: E402


def gate_stats(x: torch.Tensor, y: torch.Tensor, dims: tuple[int, ...]) -> dict:
    """Statistics of the multiplicative gate that maps ``x`` to ``y``.

    Args:
        x (Tensor): AMM input (N, C, H, W).
        y (Tensor): AMM output, ``x`` times a gate constant along ``dims``.
        dims (tuple[int]): The dimensions the gate is constant over: ``(2, 3)`` for the
            channel gate (one value per sample and channel), ``(1,)`` for the spatial gate.

    Returns:
        dict: ``mean``, ``cv``, ``top10_ratio`` and ``norm_ratio`` (see the module docstring).
    """
    x, y = x.double(), y.double()
    gate = (x * y).sum(dims) / (x * x).sum(dims).clamp_min(1e-30)
    strength = x.mean(dims)
    g, s = gate.flatten(1), strength.flatten(1)  # per sample: channels or pixels
    k = max(1, int(round(0.1 * g.shape[1])))
    top = s.topk(k, dim=1).indices
    top_mean = g.gather(1, top).mean(1)
    return dict(
        mean=float(g.mean()),
        cv=float((g.std(1) / g.mean(1).abs().clamp_min(1e-30)).mean()),
        top10_ratio=float((top_mean / g.mean(1)).mean()),
        norm_ratio=float(y.norm() / x.norm().clamp_min(1e-30)),
    )


def coverage(cam: torch.Tensor) -> torch.Tensor:
    """Per class, the mask of pixels above 0.5 of the class's max after ReLU: (K, h, w)."""
    cam = F.relu(cam)
    peak = cam.flatten(1).amax(1).clamp_min(1e-5)[:, None, None]
    return cam / peak > 0.5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='trained AMR checkpoint; omitted: initial state')
    parser.add_argument('--out', required=True, help='JSON output path')
    parser.add_argument('--ann-file', default='ImageSets/Segmentation/train.txt')
    parser.add_argument('--num-images', type=int, default=16)
    parser.add_argument('--long-side', type=int, default=320, help='images resized to this')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    logger = MMLogger.get_instance('amm_stats', log_level='INFO')
    model = MODELS.build(cfg.model)
    if not hasattr(model, 'compensation_backbone'):
        raise TypeError(f'{args.config}: not an AMR model (no compensation_backbone)')
    if args.checkpoint:
        model.spotlight_checkpoint = None
        load_checkpoint(model, args.checkpoint, map_location='cpu', logger=logger)
    else:
        model.init_weights()
    model.eval()

    amms = [
        (name, m)
        for name, m in model.compensation_backbone.named_modules()
        if isinstance(m, (ChannelAMM, SpatialAMM))
    ]
    if not amms:
        raise ValueError(f'{args.config}: the compensation backbone has no AMM')
    records: dict[str, list[dict]] = {name: [] for name, _ in amms}

    def hook(name, dims):
        def fn(module, inputs, output):
            records[name].append(gate_stats(inputs[0], output, dims))

        return fn

    handles = [
        m.register_forward_hook(hook(name, (2, 3) if isinstance(m, ChannelAMM) else (1,)))
        for name, m in amms
    ]

    dataset = build_cam_dataset(cfg, dict(cfg.train_dataloader.dataset, ann_file=args.ann_file))
    mean, std, to_rgb = normalisation_of(model)
    feats: dict[str, list[list[float]]] = {'spotlight': [], 'compensation': []}
    cover: dict[str, list[float]] = {'spotlight': [], 'compensation': [], 'iou': []}
    n = min(args.num_images, len(dataset))
    with torch.no_grad():
        for i in range(n):
            info = dataset.get_data_info(i)
            bgr = load_image(info['img_path'])
            rgb = np.ascontiguousarray(bgr[..., ::-1] if to_rgb else bgr)
            img = torch.from_numpy(rgb).permute(2, 0, 1).float()
            h, w = img.shape[1:]
            s = args.long_side / max(h, w)
            img = F.interpolate(
                img[None], size=(round(h * s), round(w * s)), mode='bilinear', align_corners=False
            )
            x = (img - mean) / std
            x = torch.cat([x, x.flip(-1)])
            keys = torch.as_tensor(np.asarray(info['gt_label']).reshape(-1), dtype=torch.long)
            masks = {}
            for branch in ('spotlight', 'compensation'):
                outs = model.extract_feat(x, branch)
                feats[branch].append([float(o.norm(dim=1).mean()) for o in outs])
                head = model.spotlight_head if branch == 'spotlight' else model.compensation_head
                cam = head.cam(outs)[:, keys]
                cam = F.relu(cam[0]) + F.relu(cam[1]).flip(-1)
                masks[branch] = coverage(cam)
                cover[branch] += masks[branch].flatten(1).float().mean(1).tolist()
            inter = (masks['spotlight'] & masks['compensation']).flatten(1).sum(1)
            union = (masks['spotlight'] | masks['compensation']).flatten(1).sum(1)
            cover['iou'] += (inter / union.clamp_min(1)).tolist()
    for handle in handles:
        handle.remove()

    def avg(rows: list[dict]) -> dict:
        return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}

    result = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        state='trained checkpoint' if args.checkpoint else 'initial (init_weights)',
        num_images=n,
        long_side=args.long_side,
        amm={name: avg(rows) for name, rows in records.items()},
        feature_norm={b: np.mean(v, axis=0).tolist() for b, v in feats.items()},
        cam_coverage={k: float(np.mean(v)) for k, v in cover.items()},
    )
    chan = [v for k, v in result['amm'].items() if k.endswith('channel_amm')]
    spat = [v for k, v in result['amm'].items() if k.endswith('spatial_amm')]
    result['amm_summary'] = dict(
        channel={k: float(np.mean([r[k] for r in chan])) for k in chan[0]} if chan else None,
        spatial={k: float(np.mean([r[k] for r in spat])) for k in spat[0]} if spat else None,
    )
    save_json(args.out, json_safe(result))
    logger.info(
        f'AMM summary {result["amm_summary"]}; coverage {result["cam_coverage"]}; '
        f'feature norms {result["feature_norm"]}'
    )
    return result


if __name__ == '__main__':
    main()
