"""Pseudo masks by IRN's random walk after IRN training, and their mIoU."""

import copy
import os.path as osp
import time
from collections.abc import Sequence
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import barrier, get_dist_info, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from PIL import Image

from ...evaluation.cam_metric import CAMMetric
from ...models.irn.random_walk import random_walk
from ...utils.io import load_npy_dict, save_json, save_label_png


def mask_from_cams(
    cams: np.ndarray,
    keys: np.ndarray,
    edge: torch.Tensor,
    img_shape: tuple[int, int],
    beta: float = 10.0,
    exp_times: int = 8,
    radius: int = 5,
    cam_power: float = 1.5,
    bg_threshold: float = 0.25,
    method: str = 'auto',
) -> np.ndarray:
    """IRN's ``make_sem_seg_labels`` for one image.

    Stride-4 CAMs ``** cam_power`` -> random walk on the boundary map -> x4 bilinear
    upsampling, cropped to the image -> divided by the global max -> a constant background
    plane ``bg_threshold`` -> argmax -> class ids (0 background, ``k + 1`` class ``k``). The
    method leaves no pixel unlabelled, so the mask holds no 255.

    Args:
        cams (np.ndarray): (K, h, w) max-normalised stride-4 CAMs of the classes in ``keys``.
        keys (np.ndarray): (K,) 0-based foreground classes.
        edge (Tensor): (h', w') boundary map of the image (cropped / resized to (h, w)).
        img_shape (tuple[int, int]): Image size (H, W).
        beta (float): Affinity power. Defaults to 10.
        exp_times (int): Random walk of ``2 ** exp_times`` steps. Defaults to 8.
        radius (int): Pair radius. Defaults to 5.
        cam_power (float): CAM exponent before the walk (AMR/AdvCAM 1.5, IRN 1.0).
        bg_threshold (float): Background score. Defaults to 0.25.
        method (str): Random-walk method, see :func:`random_walk`.

    Returns:
        np.ndarray: (H, W) uint8 mask.
    """
    H, W = img_shape
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    if keys.size == 0:
        return np.zeros((H, W), np.uint8)
    x = torch.as_tensor(np.asarray(cams, dtype=np.float32), device=edge.device)
    h, w = x.shape[-2:]
    if edge.shape[-2] >= h and edge.shape[-1] >= w:
        edge = edge[:h, :w]
    else:
        edge = F.interpolate(edge[None, None], size=(h, w), mode='bilinear', align_corners=False)[
            0, 0
        ]
    rw = random_walk(
        x.clamp(min=0).pow(cam_power),
        edge,
        radius=radius,
        beta=beta,
        exp_times=exp_times,
        method=method,
    )
    up = F.interpolate(rw[None], scale_factor=4, mode='bilinear', align_corners=False)[0]
    up = up[:, :H, :W]
    up = up / up.max().clamp(min=1e-12)
    scores = torch.cat([up.new_full((1, H, W), bg_threshold), up], dim=0)
    lut = np.concatenate([[0], keys + 1]).astype(np.uint8)
    return lut[scores.argmax(dim=0).cpu().numpy()]


def make_sem_seg_masks(
    model: torch.nn.Module,
    dataset,
    cam_dir: str,
    out_dir: str,
    eval_ids: Optional[Sequence[str]] = None,
    eval_seg_dir: Optional[str] = None,
    metrics_file: Optional[str] = None,
    beta: float = 10.0,
    exp_times: int = 8,
    radius: int = 5,
    cam_power: float = 1.5,
    bg_threshold: float = 0.25,
    method: str = 'auto',
    log_interval: int = 20,
    logger: Optional[MMLogger] = None,
) -> dict:
    """Write ``<out_dir>/<id>.png`` for every image of ``dataset`` and score them.

    The core of :class:`RandomWalkHook` and ``tools/make_sem_seg.py``. Rank ``r`` of ``W``
    handles the images ``r, r + W, ...``; an existing mask is skipped (idempotent, so a killed
    run resumes), every file is written atomically. After a barrier, the masks of
    ``eval_ids`` are scored against ``eval_seg_dir`` with :class:`CAMMetric` (gathered over
    the ranks) and rank 0 writes ``metrics_file``.

    Args:
        model (nn.Module): A trained :class:`IRNet` (unwrapped), with its data preprocessor.
        dataset: Images; ``dataset[i]`` gives ``img`` (BGR, ``LoadImageFromFile``) and
            ``img_id``.
        cam_dir (str): Folder of the stage-2 ``<id>.npy`` (``keys``, stride-4 ``cam``).
        out_dir (str): Mask folder.
        eval_ids (Sequence[str], optional): Ids to score (the VOC ``train`` split).
        eval_seg_dir (str, optional): Ground-truth folder of ``eval_ids``.
        metrics_file (str, optional): Where rank 0 writes the metrics JSON.
        beta (float): Affinity power. Defaults to 10.
        exp_times (int): Random walk of ``2 ** exp_times`` steps. Defaults to 8.
        radius (int): Pair radius. Defaults to 5.
        cam_power (float): CAM exponent before the walk. Defaults to 1.5.
        bg_threshold (float): Background score. Defaults to 0.25.
        method (str): Random-walk method, see :func:`random_walk`. Defaults to ``'auto'``.
        log_interval (int): Progress log interval in images. Defaults to 20.
        logger (MMLogger, optional): Logger; the current one by default.

    Returns:
        dict: ``written`` and ``skipped`` counts of this rank and ``metrics`` (rank 0;
        empty when not evaluated).
    """
    logger = logger or MMLogger.get_current_instance()
    rank, world_size = get_dist_info()
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    written = skipped = 0
    start = time.time()
    indices = list(range(rank, len(dataset), world_size))
    try:
        with torch.no_grad():
            for n, i in enumerate(indices):
                img_id = dataset.get_data_info(i)['img_id']
                out_path = osp.join(out_dir, img_id + '.png')
                if osp.isfile(out_path):
                    skipped += 1
                    continue
                data = dataset[i]
                img = data['img']
                cam = load_npy_dict(osp.join(cam_dir, img_id + '.npy'))
                tensor = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
                inputs = model.data_preprocessor(dict(inputs=[tensor]), False)['inputs']
                edge = model.edge_map(inputs.to(device))
                mask = mask_from_cams(
                    cam['cam'],
                    cam['keys'],
                    edge,
                    img.shape[:2],
                    beta=beta,
                    exp_times=exp_times,
                    radius=radius,
                    cam_power=cam_power,
                    bg_threshold=bg_threshold,
                    method=method,
                )
                save_label_png(out_path, mask)
                written += 1
                if log_interval and (n + 1) % log_interval == 0:
                    logger.info(
                        f'random walk: {n + 1}/{len(indices)} images of rank {rank} '
                        f'({(time.time() - start) / (n + 1):.2f} s/image)'
                    )
    finally:
        model.train(was_training)
    logger.info(
        f'random walk: rank {rank} wrote {written} masks, skipped {skipped} existing, '
        f'under {out_dir}'
    )
    barrier()
    metrics = {}
    if eval_ids is not None and eval_seg_dir is not None:
        metrics = evaluate_masks(
            out_dir,
            eval_ids,
            eval_seg_dir,
            metrics_file,
            bg_threshold,
            extra=dict(
                beta=beta, exp_times=exp_times, radius=radius, cam_power=cam_power, cam_dir=cam_dir
            ),
        )
        if is_main_process():
            logger.info('random walk masks: ' + ', '.join(f'{k}: {v}' for k, v in metrics.items()))
    return dict(written=written, skipped=skipped, metrics=metrics)


def evaluate_masks(
    mask_dir: str,
    eval_ids: Sequence[str],
    seg_dir: str,
    metrics_file: Optional[str] = None,
    bg_threshold: float = 0.25,
    extra: Optional[dict] = None,
) -> dict:
    """MIoU of the masks of ``eval_ids`` that exist, with :class:`CAMMetric`, over the ranks.

    Args:
        mask_dir (str): Mask folder.
        eval_ids (Sequence[str]): Ids to score.
        seg_dir (str): Ground-truth folder.
        metrics_file (str, optional): JSON written by rank 0.
        bg_threshold (float): Recorded with the numbers.
        extra (dict, optional): More settings recorded in the JSON.

    Returns:
        dict: The metric's numbers (rank 0; other ranks get the same after the broadcast).
    """
    rank, world_size = get_dist_info()
    ids = [
        i
        for i in eval_ids
        if osp.isfile(osp.join(mask_dir, i + '.png')) and osp.isfile(osp.join(seg_dir, i + '.png'))
    ]
    metric = CAMMetric(bg_threshold=bg_threshold, prefix='mask')
    for img_id in ids[rank::world_size]:
        pred = np.asarray(Image.open(osp.join(mask_dir, img_id + '.png')))
        metric.process(
            None, [dict(pred_label=pred, seg_map_path=osp.join(seg_dir, img_id + '.png'))]
        )
    if not ids:
        return {}
    metrics = metric.evaluate(len(ids))
    if metrics_file is not None and is_main_process():
        record = dict(
            metrics=metrics,
            split_ids=len(eval_ids),
            num_images=len(ids),
            missing=len(eval_ids) - len(ids),
            mask_dir=mask_dir,
            gt_dir=seg_dir,
            bg_threshold=bg_threshold,
            **(extra or {}),
        )
        if metric.details is not None:
            record['per_class_iou'] = dict(
                zip(metric.details['class_names'], metric.details['iou'][0])
            )
        save_json(metrics_file, record)
    return metrics


@HOOKS.register_module()
class RandomWalkHook(Hook):
    """After IRN training, write the random-walk pseudo masks and score them.

    Runs :func:`make_sem_seg_masks` with the trained model over the train dataloader's
    dataset (``train_aug``) unless ``dataset`` is given: ``<work_dir>/<out_dir>/<id>.png``,
    then the mask mIoU on the VOC ``train`` ids -> ``<work_dir>/mask_metrics.json``. Sharded
    over ranks; existing masks are skipped, so ``--resume`` of a finished run only fills in
    what is missing. ``tools/make_sem_seg.py`` does the same from a checkpoint.

    Args:
        cam_dir (str): Folder of the stage-2 CAMs (``<amr work_dir>/cams``).
        dataset (dict, optional): Dataset config; defaults to the train dataloader's.
        out_dir (str): Mask folder, relative to the work_dir. Defaults to ``'masks'``.
        metrics_file (str): Metrics JSON, relative to the work_dir.
        eval_ann_file (str, optional): Evaluation id list relative to the dataset's
            ``data_root``. Defaults to ``'ImageSets/Segmentation/train.txt'``.
        eval_seg_dir (str, optional): Ground truth relative to ``data_root``. Defaults to
            ``'SegmentationClass'``.
        beta (float): Affinity power. Defaults to 10.
        exp_times (int): ``2 ** exp_times`` walk steps. Defaults to 8.
        radius (int): Pair radius of the walk. Defaults to 5.
        cam_power (float): CAM exponent (AMR 1.5). Defaults to 1.5.
        bg_threshold (float): Background score. Defaults to 0.25.
        method (str): ``'auto'``, ``'dense'`` or ``'sparse'`` (see :func:`random_walk`).
        log_interval (int): Progress log interval. Defaults to 20.
    """

    priority = 'LOW'

    def __init__(
        self,
        cam_dir: str,
        dataset: Optional[dict] = None,
        out_dir: str = 'masks',
        metrics_file: str = 'mask_metrics.json',
        eval_ann_file: Optional[str] = 'ImageSets/Segmentation/train.txt',
        eval_seg_dir: Optional[str] = 'SegmentationClass',
        beta: float = 10.0,
        exp_times: int = 8,
        radius: int = 5,
        cam_power: float = 1.5,
        bg_threshold: float = 0.25,
        method: str = 'auto',
        log_interval: int = 20,
    ) -> None:
        self.cam_dir = cam_dir
        self.dataset = dataset
        self.out_dir = out_dir
        self.metrics_file = metrics_file
        self.eval_ann_file = eval_ann_file
        self.eval_seg_dir = eval_seg_dir
        self.kwargs = dict(
            beta=beta,
            exp_times=exp_times,
            radius=radius,
            cam_power=cam_power,
            bg_threshold=bg_threshold,
            method=method,
            log_interval=log_interval,
        )
        self.last_result: Optional[dict] = None

    def after_train(self, runner) -> None:
        """Generate and evaluate the masks with the trained model."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self.last_result = run_random_walk(model, runner.cfg, runner.work_dir, self, runner.logger)


def run_random_walk(
    model: torch.nn.Module,
    cfg,
    work_dir: str,
    hook: RandomWalkHook,
    logger: Optional[MMLogger] = None,
) -> dict:
    """Resolve the hook's settings against a config and run :func:`make_sem_seg_masks`."""
    from mmpretrain.registry import DATASETS

    from .pseudo_label_hook import eval_sources

    ds_cfg = copy.deepcopy(
        hook.dataset if hook.dataset is not None else cfg.train_dataloader.dataset
    )
    ds_cfg['pipeline'] = [dict(type='LoadImageFromFile')]
    dataset = DATASETS.build(ds_cfg)
    eval_ids, seg_dir = eval_sources(dataset, hook.eval_ann_file, hook.eval_seg_dir)
    logger = logger or MMLogger.get_current_instance()
    if eval_ids is None and hook.eval_ann_file:
        logger.warning('RandomWalkHook: evaluation list or masks not found; not evaluating')
    out_dir = osp.join(work_dir, hook.out_dir)
    logger.info(f'RandomWalkHook: masks for {len(dataset)} images under {out_dir}')
    return make_sem_seg_masks(
        model,
        dataset,
        hook.cam_dir,
        out_dir,
        eval_ids=eval_ids,
        eval_seg_dir=seg_dir,
        metrics_file=osp.join(work_dir, hook.metrics_file),
        logger=logger,
        **hook.kwargs,
    )
