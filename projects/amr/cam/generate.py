"""Pseudo-label generation: CAMs, seeds, IR labels, evaluation and overlays of a dataset.

One core function, :func:`generate_pseudo_labels`, shared by :class:`PseudoLabelHook`
(``after_train``) and ``tools/make_cam.py`` (from a checkpoint). Layout under ``out_dir``::

    cams/<id>.npy        {'keys', 'cam', 'high_res'} (IRN's format)
    seeds/<id>.png       uint8 class ids at ``bg_threshold`` (0 bg)
    seeds_crf/<id>.png   the same, dense-CRF refined (only with ``seed_crf=True``)
    ir_labels/<id>.png   IRN's IR labels (0 bg, k + 1 fg, 255 unsure)
    cam_metrics.json     CAMMetric on the evaluation ids (``train``) against the GT masks
    cam_vis/<id>.jpg     heat-map overlays of a few evaluation images

Every rank handles the ids ``rank::world_size`` (as ``DefaultSampler`` without padding),
writes its own files atomically and skips images whose outputs are all present, so a killed
run resumes where it stopped and a finished one is not redone; ranks then meet at a barrier.
"""

import os.path as osp
import time
from collections.abc import Sequence
from typing import Optional

import cv2
import numpy as np
import torch.nn as nn
from mmengine.dist import barrier, get_dist_info
from mmengine.logging import MMLogger, print_log

from ..evaluation.cam_metric import CAMMetric
from ..utils.io import atomic_write, json_safe, load_npy_dict, save_json, save_label_png, save_npy
from .crf import make_ir_label, make_seed_label
from .inference import DEFAULT_SCALES, check_climbing, infer_cams_batch, load_image
from .map_extractors import MAP_EXTRACTORS, RESIZES, check_choice


def _samples(dataset) -> list[dict]:
    """(img_id, img_path, keys) of every dataset sample, without running its pipeline."""
    out = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        img_id = info.get('img_id') or osp.splitext(osp.basename(info['img_path']))[0]
        out.append(
            dict(
                index=i,
                img_id=img_id,
                img_path=info['img_path'],
                keys=np.asarray(info['gt_label'], dtype=np.int64).reshape(-1),
            )
        )
    return out


def _load_bgr(dataset, index: int, img_path: str) -> np.ndarray:
    """The BGR image through the dataset's pipeline when it yields ``img``, else mmcv's read."""
    img = None
    if dataset is not None and getattr(dataset, 'pipeline', None) is not None:
        try:
            res = dataset[index]
        except Exception:  # noqa: BLE001 - fall back to a plain read
            res = None
        if isinstance(res, dict) and isinstance(res.get('img'), np.ndarray):
            img = res['img']
    if img is None:
        img = load_image(img_path)
    return img


def overlay_cam(img_rgb: np.ndarray, cam_dict: dict, alpha: float = 0.5) -> np.ndarray:
    """Image with the max-over-classes CAM as a JET heat map (RGB uint8)."""
    hr = np.asarray(cam_dict['high_res'], dtype=np.float32)
    heat = hr.max(axis=0) if hr.shape[0] else np.zeros(img_rgb.shape[:2], np.float32)
    heat = (np.clip(heat, 0, 1) * 255).astype(np.uint8)
    color = cv2.applyColorMap(heat, cv2.COLORMAP_JET)[..., ::-1]
    return (img_rgb * (1 - alpha) + color * alpha).astype(np.uint8)


def generate_pseudo_labels(
    model: nn.Module,
    dataset,
    out_dir: str,
    scales: Sequence[float] = DEFAULT_SCALES,
    branch_weights: Optional[Sequence[float]] = None,
    climbing: Optional[dict] = None,
    output_stride: int = 16,
    fp16: bool = False,
    bg_threshold: float = 0.20,
    thresholds: Optional[Sequence[float]] = None,
    seed_crf: bool = False,
    ir_label: Optional[dict] = dict(fg_thr=0.60, bg_thr=0.33, crf=True),
    eval_ids: Optional[Sequence[str]] = None,
    eval_seg_dir: Optional[str] = None,
    num_vis: int = 4,
    visualizer=None,
    log_interval: int = 20,
    logger: Optional[MMLogger] = None,
    map_extractor: str = 'cam',
    resize: str = 'torch',
    images_per_batch: int = 1,
) -> dict:
    """Write CAMs, seeds and IR labels for ``dataset``, then evaluate and visualise.

    Args:
        model (nn.Module): Has ``cams()`` and a ``data_preprocessor`` (see
            :func:`infer_cams`); put in eval mode here and restored afterwards.
        dataset: A dataset whose ``get_data_info(i)`` gives ``img_path``, ``img_id`` and
            ``gt_label`` (0-based foreground classes), e.g. :class:`VOCImageLabelDataset`
            over ``train_aug``; its pipeline, when it yields ``img`` (LoadImageFromFile),
            reads the images.
        out_dir (str): Output root.
        scales (Sequence[float]): Inference scales; see :func:`infer_cams`.
        branch_weights (Sequence[float], optional): Branch fusion weights (equal by default).
        climbing (dict, optional): Anti-adversarial climbing settings (see
            :func:`infer_cams`: ``restriction_mask``, ``batched``, ``chunk_size``, ...); None
            is off.
        output_stride (int): The model's CAM stride. Defaults to 16.
        fp16 (bool): Store CAMs as float16. Defaults to False.
        bg_threshold (float): Background score of the seeds and the reported mIoU.
        thresholds (Sequence[float], optional): Sweep of :class:`CAMMetric`.
        seed_crf (bool): Also write CRF-refined seeds (``seeds_crf/``) and evaluate them.
        ir_label (dict, optional): Kwargs of :func:`make_ir_label`; None for no IR labels.
        eval_ids (Sequence[str], optional): Ids to evaluate (VOC ``train``); they must be in
            ``dataset``. None or no ``eval_seg_dir`` skips the evaluation.
        eval_seg_dir (str, optional): Folder of ground-truth masks ``<id>.png``.
        num_vis (int): Overlays to save (first evaluation ids, or first dataset ids).
        visualizer (optional): An mmengine ``Visualizer``; overlays go to its backends too.
        log_interval (int): Log progress every this many images.
        logger (MMLogger, optional): Defaults to the current logger.
        map_extractor (str): ``'gradcam'`` (released Grad-CAM maps) or ``'cam'`` (ReLU(CAM));
            see :func:`infer_cams`. Defaults to ``'cam'``.
        resize (str): ``'pil'`` (released uint8 PIL bicubic pyramid) or ``'torch'``; see
            :func:`infer_cams`. Defaults to ``'torch'``.
        images_per_batch (int): Images of the same size whose CAMs are computed together
            (:func:`infer_cams_batch`; with climbing all their (image, class) items climb in
            one batch, ``climbing.chunk_size`` at a time). The maps equal one image at a time
            up to float rounding; the gain is on a GPU, where 1-2 classes per image fill it
            poorly. Images wait in a per-size bucket until it is full (at most
            ``4 * images_per_batch`` wait in all; the largest bucket goes first beyond that);
            each is still written as its own files. Defaults to 1 (one image at a time).

    Returns:
        dict: ``metrics`` (CAMMetric results, empty without evaluation), ``seed_crf_metrics``,
        ``num_images``, ``num_computed`` (this rank), ``sec_per_image`` (this rank's CAM
        inference, NaN when everything was skipped).
    """
    logger = logger or MMLogger.get_current_instance()
    check_choice('map_extractor', map_extractor, MAP_EXTRACTORS)
    check_choice('resize', resize, RESIZES)
    if climbing is not None:
        check_climbing(climbing)
    rank, world_size = get_dist_info()
    samples = _samples(dataset)
    by_id = {s['img_id']: s for s in samples}
    dirs = {k: osp.join(out_dir, k) for k in ('cams', 'seeds', 'seeds_crf', 'ir_labels')}

    def paths(img_id: str) -> dict:
        p = dict(
            cams=osp.join(dirs['cams'], img_id + '.npy'),
            seeds=osp.join(dirs['seeds'], img_id + '.png'),
        )
        if seed_crf:
            p['seeds_crf'] = osp.join(dirs['seeds_crf'], img_id + '.png')
        if ir_label is not None:
            p['ir_labels'] = osp.join(dirs['ir_labels'], img_id + '.png')
        return p

    if not isinstance(images_per_batch, int) or images_per_batch < 1:
        raise ValueError(f'images_per_batch must be a positive int, got {images_per_batch!r}')
    infer_kwargs = dict(
        scales=scales,
        branch_weights=branch_weights,
        climbing=climbing,
        output_stride=output_stride,
        fp16=fp16,
        map_extractor=map_extractor,
        resize=resize,
    )
    state = dict(computed=0, infer_time=0.0)

    def finish(s: dict, img: Optional[np.ndarray], cam_dict: dict, missing: list) -> None:
        """Seeds, CRF seeds and IR labels of one image from its CAMs."""
        p = paths(s['img_id'])
        if 'seeds' in missing:
            save_label_png(p['seeds'], make_seed_label(cam_dict, bg_threshold))
        if ('seeds_crf' in missing or 'ir_labels' in missing) and img is None:
            img = _load_bgr(dataset, s['index'], s['img_path'])
        rgb = None if img is None else np.ascontiguousarray(img[..., ::-1])
        if 'seeds_crf' in missing:
            save_label_png(p['seeds_crf'], make_seed_label(cam_dict, bg_threshold, rgb, crf=True))
        if 'ir_labels' in missing:
            save_label_png(p['ir_labels'], make_ir_label(rgb, cam_dict, **ir_label))

    def flush(bucket: list) -> None:
        """CAMs of a bucket of (sample, image, missing) of one size, then their labels."""
        t = time.time()
        cam_dicts = infer_cams_batch(
            model, [b[1] for b in bucket], [b[0]['keys'] for b in bucket], **infer_kwargs
        )
        state['infer_time'] += time.time() - t
        state['computed'] += len(bucket)
        for (s, img, missing), cam_dict in zip(bucket, cam_dicts):
            save_npy(paths(s['img_id'])['cams'], cam_dict)
            finish(s, img, cam_dict, missing)

    was_training = model.training
    model.eval()
    mine = samples[rank::world_size]
    buckets: dict = {}
    t0 = time.time()
    try:
        for n, s in enumerate(mine, 1):
            p = paths(s['img_id'])
            missing = [k for k, v in p.items() if not osp.isfile(v)]
            if missing and osp.isfile(p['cams']):
                finish(s, None, load_npy_dict(p['cams']), missing)
            elif missing:
                img = _load_bgr(dataset, s['index'], s['img_path'])
                bucket = buckets.setdefault(img.shape[:2], [])
                bucket.append((s, img, missing))
                if len(bucket) >= images_per_batch:
                    flush(buckets.pop(img.shape[:2]))
                elif sum(len(b) for b in buckets.values()) > 4 * images_per_batch:
                    flush(buckets.pop(max(buckets, key=lambda k: len(buckets[k]))))
            if log_interval and (n % log_interval == 0 or n == len(mine)):
                el = time.time() - t0
                print_log(
                    f'pseudo labels [rank {rank}] {n}/{len(mine)} images, '
                    f'{state["computed"]} computed, {el:.0f}s elapsed, '
                    f'eta {el / n * (len(mine) - n):.0f}s',
                    logger=logger,
                )
        for size in sorted(buckets):
            flush(buckets[size])
    finally:
        model.train(was_training)
    barrier()

    result = dict(
        num_images=len(samples),
        num_computed=state['computed'],
        sec_per_image=(
            state['infer_time'] / state['computed'] if state['computed'] else float('nan')
        ),
        metrics={},
        seed_crf_metrics={},
    )
    ids = [i for i in (eval_ids or []) if i in by_id]
    if eval_ids and len(ids) < len(eval_ids):
        print_log(
            f'{len(eval_ids) - len(ids)} evaluation ids are not in the dataset; '
            'they are not evaluated',
            logger=logger,
            level=30,
        )
    if ids and eval_seg_dir:
        result.update(
            evaluate_pseudo_labels(
                out_dir, ids, eval_seg_dir, bg_threshold, thresholds, seed_crf, logger
            )
        )
        if rank == 0:
            save_json(
                osp.join(out_dir, 'cam_metrics.json'),
                json_safe(
                    dict(
                        split_ids=len(ids),
                        seg_dir=eval_seg_dir,
                        bg_threshold=bg_threshold,
                        scales=list(scales),
                        climbing=climbing,
                        map_extractor=map_extractor,
                        resize=resize,
                        branch_weights=branch_weights,
                        metrics=result['metrics'],
                        details=result.pop('details', None),
                        seed_crf_metrics=result['seed_crf_metrics'],
                        note='best_* values choose the background threshold with the ground truth; '
                        'quote mIoU at the configured bg_threshold',
                    )
                ),
            )
    if rank == 0 and num_vis:
        vis_ids = (ids or [s['img_id'] for s in samples])[:num_vis]
        for img_id in vis_ids:
            s = by_id[img_id]
            bgr = _load_bgr(dataset, s['index'], s['img_path'])
            ov = overlay_cam(
                np.ascontiguousarray(bgr[..., ::-1]), load_npy_dict(paths(img_id)['cams'])
            )
            path = osp.join(out_dir, 'cam_vis', img_id + '.jpg')
            atomic_write(path, lambda tmp, im=ov: cv2.imwrite(tmp, im[..., ::-1]), '.jpg')
            if visualizer is not None:
                visualizer.add_image(f'cam_{img_id}', ov)
    barrier()
    result.pop('details', None)
    return result


def evaluate_pseudo_labels(
    out_dir: str,
    ids: Sequence[str],
    seg_dir: str,
    bg_threshold: float = 0.20,
    thresholds: Optional[Sequence[float]] = None,
    seed_crf: bool = False,
    logger: Optional[MMLogger] = None,
) -> dict:
    """CAMMetric over ``out_dir/cams`` (and ``seeds_crf`` PNGs) for ``ids``, sharded by rank.

    Returns:
        dict: ``metrics``, ``details`` (main process; None elsewhere), ``seed_crf_metrics``.
    """
    rank, world_size = get_dist_info()
    metric = CAMMetric(
        bg_threshold=bg_threshold,
        thresholds=thresholds,
        collect_dir=osp.join(out_dir, '.collect_cam') if world_size > 1 else None,
    )
    for img_id in ids[rank::world_size]:
        cam = load_npy_dict(osp.join(out_dir, 'cams', img_id + '.npy'))
        metric.process(
            None,
            [
                dict(
                    keys=cam['keys'],
                    high_res=cam['high_res'],
                    seg_map_path=osp.join(seg_dir, img_id + '.png'),
                )
            ],
        )
    metrics = metric.evaluate(len(ids))
    out = dict(
        metrics={k.split('/', 1)[-1]: v for k, v in metrics.items()},
        details=metric.details,
        seed_crf_metrics={},
    )
    if seed_crf:
        from PIL import Image

        crf_metric = CAMMetric(
            bg_threshold=bg_threshold,
            prefix='seed_crf',
            collect_dir=osp.join(out_dir, '.collect_crf') if world_size > 1 else None,
        )
        for img_id in ids[rank::world_size]:
            pred = np.asarray(Image.open(osp.join(out_dir, 'seeds_crf', img_id + '.png')))
            crf_metric.process(
                None, [dict(pred_label=pred, seg_map_path=osp.join(seg_dir, img_id + '.png'))]
            )
        out['seed_crf_metrics'] = {
            k.split('/', 1)[-1]: v for k, v in crf_metric.evaluate(len(ids)).items()
        }
    return out


def evaluate_folder(
    pred_dir: str,
    ids: Sequence[str],
    seg_dir: str,
    bg_threshold: float = 0.20,
    thresholds: Optional[Sequence[float]] = None,
) -> tuple[dict, dict]:
    """Score a folder of CAM ``.npy`` files (with the sweep) or of label PNGs.

    ``<pred_dir>/<id>.npy`` is used when present for the first id, else ``<id>.png``.

    Args:
        pred_dir (str): Folder of predictions.
        ids (Sequence[str]): Ids to evaluate.
        seg_dir (str): Ground-truth masks ``<id>.png``.
        bg_threshold (float): Configured background threshold (CAMs only).
        thresholds (Sequence[float], optional): Sweep (CAMs only).

    Returns:
        tuple[dict, dict]: The metrics and :attr:`CAMMetric.details`.
    """
    from PIL import Image

    if not ids:
        raise ValueError('no ids to evaluate')
    use_npy = osp.isfile(osp.join(pred_dir, ids[0] + '.npy'))
    metric = CAMMetric(bg_threshold=bg_threshold, thresholds=thresholds)
    for img_id in ids:
        gt = osp.join(seg_dir, img_id + '.png')
        if use_npy:
            cam = load_npy_dict(osp.join(pred_dir, img_id + '.npy'))
            sample = dict(keys=cam['keys'], high_res=cam['high_res'], seg_map_path=gt)
        else:
            path = osp.join(pred_dir, img_id + '.png')
            if not osp.isfile(path):
                raise FileNotFoundError(f'prediction not found: {path}')
            sample = dict(pred_label=np.asarray(Image.open(path)), seg_map_path=gt)
        metric.process(None, [sample])
    metrics = metric.evaluate(len(ids))
    return {k.split('/', 1)[-1]: v for k, v in metrics.items()}, metric.details
