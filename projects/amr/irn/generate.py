"""IRN's semantic segmentation labels of a dataset: random-walk masks and their mIoU.

One core function, :func:`make_sem_seg_masks`, shared by :class:`RandomWalkHook`
(``after_train``) and ``tools/make_sem_seg.py`` (from a checkpoint). It writes
``<out_dir>/<id>.png`` (uint8 class ids, 0 background) for every image of the dataset and
scores the masks of the evaluation ids. Rank ``r`` of ``W`` handles the images
``r, r + W, ...``; an existing mask is skipped (so a killed run resumes) and every file is
written atomically; the ranks then meet at a barrier and the evaluation is gathered over them.
"""

import os.path as osp
import time
from collections.abc import Sequence
from typing import Optional

import numpy as np
import torch
from mmengine.dist import barrier, get_dist_info, is_main_process
from mmengine.logging import MMLogger
from PIL import Image

from ..evaluation import CAMMetric
from ..utils.io import load_npy_dict, save_json, save_label_png
from .sem_seg import RandomWalkSettings, make_sem_seg_label


def edge_map_of(model: torch.nn.Module, img: np.ndarray) -> torch.Tensor:
    """IRN's boundary map of one BGR image (``LoadImageFromFile``) on the model's device."""
    device = next(model.parameters()).device
    tensor = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
    inputs = model.data_preprocessor(dict(inputs=[tensor]), False)['inputs']
    return model.edge_map(inputs.to(device))


def _write_masks(
    model: torch.nn.Module,
    dataset,
    cam_dir: str,
    out_dir: str,
    settings: RandomWalkSettings,
    log_interval: int,
    logger: MMLogger,
) -> tuple[int, int]:
    """The masks of this rank's images that are not on disk yet: (written, skipped)."""
    rank, world_size = get_dist_info()
    indices = list(range(rank, len(dataset), world_size))
    written = skipped = 0
    start = time.time()
    for n, i in enumerate(indices):
        img_id = dataset.get_data_info(i)['img_id']
        out_path = osp.join(out_dir, img_id + '.png')
        if osp.isfile(out_path):
            skipped += 1
            continue
        img = dataset[i]['img']
        cam = load_npy_dict(osp.join(cam_dir, img_id + '.npy'))
        edge = edge_map_of(model, img)
        mask = make_sem_seg_label(cam['cam'], cam['keys'], edge, img.shape[:2], settings)
        save_label_png(out_path, mask)
        written += 1
        if log_interval and (n + 1) % log_interval == 0:
            logger.info(
                f'random walk: {n + 1}/{len(indices)} images of rank {rank} '
                f'({(time.time() - start) / (n + 1):.2f} s/image)'
            )
    return written, skipped


def make_sem_seg_masks(
    model: torch.nn.Module,
    dataset,
    cam_dir: str,
    out_dir: str,
    settings: Optional[RandomWalkSettings] = None,
    eval_ids: Optional[Sequence[str]] = None,
    eval_seg_dir: Optional[str] = None,
    metrics_file: Optional[str] = None,
    log_interval: int = 20,
    logger: Optional[MMLogger] = None,
) -> dict:
    """Write ``<out_dir>/<id>.png`` for every image of ``dataset`` and score them.

    Args:
        model (nn.Module): A trained :class:`IRNet` (unwrapped), with its data preprocessor;
            put in eval mode here and restored afterwards.
        dataset: Images; ``dataset[i]`` gives ``img`` (BGR, ``LoadImageFromFile``) and
            ``get_data_info(i)`` the ``img_id``.
        cam_dir (str): Folder of the stage-2 ``<id>.npy`` (``keys``, stride-4 ``cam``).
        out_dir (str): Mask folder.
        settings (RandomWalkSettings, optional): The random walk's settings; the
            defaults when None.
        eval_ids (Sequence[str], optional): Ids to score (the VOC ``train`` split).
        eval_seg_dir (str, optional): Ground-truth folder of ``eval_ids``.
        metrics_file (str, optional): Where rank 0 writes the metrics JSON.
        log_interval (int): Progress log interval in images (0: none). Defaults to 20.
        logger (MMLogger, optional): Logger; the current one by default.

    Returns:
        dict: ``written`` and ``skipped`` counts of this rank and ``metrics`` (empty when not
        evaluated).
    """
    settings = settings or RandomWalkSettings()
    logger = logger or MMLogger.get_current_instance()
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            written, skipped = _write_masks(
                model, dataset, cam_dir, out_dir, settings, log_interval, logger
            )
    finally:
        model.train(was_training)
    logger.info(
        f'random walk: rank {get_dist_info()[0]} wrote {written} masks, skipped {skipped} '
        f'existing, under {out_dir}'
    )
    barrier()
    metrics = {}
    if eval_ids is not None and eval_seg_dir is not None:
        s = settings
        record = dict(bg_threshold=s.bg_threshold, beta=s.beta, exp_times=s.exp_times)
        record.update(radius=s.radius, cam_power=s.cam_power, cam_dir=cam_dir)
        metrics = evaluate_masks(out_dir, eval_ids, eval_seg_dir, metrics_file, record)
        if is_main_process():
            logger.info('random walk masks: ' + ', '.join(f'{k}: {v}' for k, v in metrics.items()))
    return dict(written=written, skipped=skipped, metrics=metrics)


def evaluate_masks(
    mask_dir: str,
    eval_ids: Sequence[str],
    seg_dir: str,
    metrics_file: Optional[str] = None,
    record: Optional[dict] = None,
) -> dict:
    """MIoU of the masks of ``eval_ids`` that exist, with :class:`CAMMetric`, over the ranks.

    Args:
        mask_dir (str): Mask folder (``<id>.png`` label maps).
        eval_ids (Sequence[str]): Ids to score.
        seg_dir (str): Ground-truth folder.
        metrics_file (str, optional): JSON written by rank 0.
        record (dict, optional): Settings recorded in the JSON with the numbers.

    Returns:
        dict: The metric's numbers (``mask/mIoU``, ...); empty when no mask exists.
    """
    rank, world_size = get_dist_info()
    ids = [
        i
        for i in eval_ids
        if osp.isfile(osp.join(mask_dir, i + '.png')) and osp.isfile(osp.join(seg_dir, i + '.png'))
    ]
    if not ids:
        return {}
    metric = CAMMetric(prefix='mask')
    for img_id in ids[rank::world_size]:
        pred = np.asarray(Image.open(osp.join(mask_dir, img_id + '.png')))
        metric.process(
            None, [dict(pred_label=pred, seg_map_path=osp.join(seg_dir, img_id + '.png'))]
        )
    metrics = metric.evaluate(len(ids))
    if metrics_file is not None and is_main_process():
        counts = dict(
            split_ids=len(eval_ids), num_images=len(ids), missing=len(eval_ids) - len(ids)
        )
        out = dict(metrics=metrics, **counts, mask_dir=mask_dir, gt_dir=seg_dir, **(record or {}))
        if metric.details is not None:
            out['per_class_iou'] = dict(
                zip(metric.details['class_names'], metric.details['iou'][0])
            )
        save_json(metrics_file, out)
    return metrics
