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

The stage is three parts: the writer (:class:`PseudoLabelWriter`, :func:`write_pseudo_labels`),
the evaluator (:func:`evaluate_pseudo_labels`, :func:`write_cam_metrics`) and the visualiser
(:func:`visualise_cams`); :func:`generate_pseudo_labels` runs them with one
:class:`PseudoLabelSettings`. A process reads each image once (the writer keeps the few the
visualiser needs).
"""

import os.path as osp
import time
from collections.abc import Iterator, Sequence
from typing import Optional

import cv2
import numpy as np
import torch.nn as nn
from mmengine.dist import barrier, get_dist_info
from mmengine.logging import MMLogger, print_log

from ..evaluation.cam_metric import CAMMetric, seg_class_names
from ..utils.io import atomic_write, json_safe, load_npy_dict, save_json, save_label_png, save_npy
from .crf import make_ir_label, make_seed_label
from .inference import infer_cams_batch, load_image
from .settings import PseudoLabelSettings

OUTPUTS = ('cams', 'seeds', 'seeds_crf', 'ir_labels')


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


def output_paths(out_dir: str, img_id: str, settings: PseudoLabelSettings) -> dict:
    """Output name -> file of one image (``seeds_crf`` / ``ir_labels`` only when asked)."""
    wanted = ['cams', 'seeds']
    if settings.seed_crf:
        wanted.append('seeds_crf')
    if settings.ir_label is not None:
        wanted.append('ir_labels')
    ext = dict(cams='.npy')
    return {k: osp.join(out_dir, k, img_id + ext.get(k, '.png')) for k in wanted}


class PseudoLabelWriter:
    """Writes the CAMs, seeds and IR labels of the samples it is given.

    Images without CAMs wait in a per-size bucket until ``images_per_batch`` of one size are
    there (at most ``4 * images_per_batch`` wait in all; the largest bucket goes first beyond
    that), then their CAMs are computed together (:func:`infer_cams_batch`) and each image's
    files are written atomically. Images whose CAMs exist get only their missing labels.
    Every image is read once; those in ``keep`` stay in :attr:`kept` (the visualiser's).

    Args:
        model (nn.Module): The CAM model, in eval mode.
        dataset: The dataset (its pipeline reads the images).
        out_dir (str): Output root.
        settings (PseudoLabelSettings): The settings.
        keep (Sequence[str]): Ids whose BGR images are kept in memory.
    """

    def __init__(
        self,
        model: nn.Module,
        dataset,
        out_dir: str,
        settings: PseudoLabelSettings,
        keep: Sequence[str] = (),
    ) -> None:
        self.model = model
        self.dataset = dataset
        self.out_dir = out_dir
        self.settings = settings
        self.keep = set(keep)
        self.kept: dict = {}
        self.buckets: dict = {}
        self.computed = 0
        self.infer_time = 0.0

    def add(self, sample: dict) -> None:
        """Write what is missing of one sample (or queue it for a CAM batch)."""
        paths = output_paths(self.out_dir, sample['img_id'], self.settings)
        missing = [k for k, v in paths.items() if not osp.isfile(v)]
        if missing and osp.isfile(paths['cams']):
            self._labels(sample, None, load_npy_dict(paths['cams']), missing)
        elif missing:
            img = self._read(sample)
            bucket = self.buckets.setdefault(img.shape[:2], [])
            bucket.append((sample, img, missing))
            per_batch = self.settings.cam.images_per_batch
            if len(bucket) >= per_batch:
                self._flush(self.buckets.pop(img.shape[:2]))
            elif sum(len(b) for b in self.buckets.values()) > 4 * per_batch:
                largest = max(self.buckets, key=lambda k: len(self.buckets[k]))
                self._flush(self.buckets.pop(largest))

    def close(self) -> None:
        """Compute and write the images still waiting."""
        for size in sorted(self.buckets):
            self._flush(self.buckets[size])
        self.buckets = {}

    def _read(self, sample: dict) -> np.ndarray:
        img = _load_bgr(self.dataset, sample['index'], sample['img_path'])
        if sample['img_id'] in self.keep:
            self.kept[sample['img_id']] = img
        return img

    def _flush(self, bucket: list) -> None:
        """CAMs of a bucket of (sample, image, missing) of one size, then their labels."""
        t = time.time()
        cam_dicts = infer_cams_batch(
            self.model,
            [b[1] for b in bucket],
            [b[0]['keys'] for b in bucket],
            settings=self.settings.cam,
        )
        self.infer_time += time.time() - t
        self.computed += len(bucket)
        for (sample, img, missing), cam_dict in zip(bucket, cam_dicts):
            save_npy(output_paths(self.out_dir, sample['img_id'], self.settings)['cams'], cam_dict)
            self._labels(sample, img, cam_dict, missing)

    def _labels(self, sample: dict, img: Optional[np.ndarray], cam_dict: dict, missing) -> None:
        """Seeds, CRF seeds and IR labels of one image from its CAMs."""
        paths = output_paths(self.out_dir, sample['img_id'], self.settings)
        bg = self.settings.bg_threshold
        if 'seeds' in missing:
            save_label_png(paths['seeds'], make_seed_label(cam_dict, bg))
        if ('seeds_crf' in missing or 'ir_labels' in missing) and img is None:
            img = self._read(sample)
        rgb = None if img is None else np.ascontiguousarray(img[..., ::-1])
        if 'seeds_crf' in missing:
            save_label_png(paths['seeds_crf'], make_seed_label(cam_dict, bg, rgb, crf=True))
        if 'ir_labels' in missing:
            save_label_png(
                paths['ir_labels'], make_ir_label(rgb, cam_dict, **self.settings.ir_label)
            )


def write_pseudo_labels(
    model: nn.Module,
    dataset,
    samples: Sequence[dict],
    out_dir: str,
    settings: PseudoLabelSettings,
    logger: MMLogger,
    keep: Sequence[str] = (),
) -> PseudoLabelWriter:
    """Write this rank's share (``rank::world_size``) of ``samples``; the closed writer.

    The model is put in eval mode and restored afterwards; progress is logged every
    ``settings.log_interval`` images.
    """
    rank, world_size = get_dist_info()
    writer = PseudoLabelWriter(model, dataset, out_dir, settings, keep)
    mine = samples[rank::world_size]
    was_training = model.training
    model.eval()
    t0 = time.time()
    try:
        for n, sample in enumerate(mine, 1):
            writer.add(sample)
            every = settings.log_interval
            if every and (n % every == 0 or n == len(mine)):
                el = time.time() - t0
                print_log(
                    f'pseudo labels [rank {rank}] {n}/{len(mine)} images, '
                    f'{writer.computed} computed, {el:.0f}s elapsed, '
                    f'eta {el / n * (len(mine) - n):.0f}s',
                    logger=logger,
                )
        writer.close()
    finally:
        model.train(was_training)
    return writer


def generate_pseudo_labels(
    model: nn.Module,
    dataset,
    out_dir: str,
    settings: Optional[PseudoLabelSettings] = None,
    eval_ids: Optional[Sequence[str]] = None,
    eval_seg_dir: Optional[str] = None,
    visualizer=None,
    logger: Optional[MMLogger] = None,
    **fields,
) -> dict:
    """Write CAMs, seeds and IR labels for ``dataset``, then evaluate and visualise.

    Args:
        model (nn.Module): Has ``cams()`` and a ``data_preprocessor`` (see
            :func:`infer_cams`); put in eval mode here and restored afterwards.
        dataset: A dataset whose ``get_data_info(i)`` gives ``img_path``, ``img_id`` and
            ``gt_label`` (0-based foreground classes), e.g. :class:`VOCImageLabelDataset`
            over ``train_aug``; its pipeline, when it yields ``img`` (LoadImageFromFile),
            reads the images; its ``metainfo['classes']`` names the classes of the metric.
        out_dir (str): Output root.
        settings (PseudoLabelSettings, optional): The CAM and label settings; None is the
            defaults.
        eval_ids (Sequence[str], optional): Ids to evaluate (VOC ``train``); they must be in
            ``dataset``. None or no ``eval_seg_dir`` skips the evaluation.
        eval_seg_dir (str, optional): Folder of ground-truth masks ``<id>.png``.
        visualizer (optional): An mmengine ``Visualizer``; overlays go to its backends too.
        logger (MMLogger, optional): Defaults to the current logger.
        **fields: Flat settings (:meth:`PseudoLabelSettings.from_dict` keys) replacing those
            of ``settings``.

    Returns:
        dict: ``metrics`` (CAMMetric results, empty without evaluation), ``seed_crf_metrics``,
        ``num_images``, ``num_computed`` (this rank), ``sec_per_image`` (this rank's CAM
        inference, NaN when everything was skipped).
    """
    settings = PseudoLabelSettings.of(settings, **fields)
    logger = logger or MMLogger.get_current_instance()
    rank, _ = get_dist_info()
    samples = _samples(dataset)
    ids = _evaluation_ids(samples, eval_ids, logger)
    vis_ids = (ids or [s['img_id'] for s in samples])[: settings.num_vis]
    writer = write_pseudo_labels(
        model, dataset, samples, out_dir, settings, logger, keep=vis_ids if rank == 0 else ()
    )
    barrier()
    result = dict(
        num_images=len(samples),
        num_computed=writer.computed,
        sec_per_image=writer.infer_time / writer.computed if writer.computed else float('nan'),
        metrics={},
        seed_crf_metrics={},
    )
    if ids and eval_seg_dir:
        class_names = seg_class_names(getattr(dataset, 'metainfo', None))
        evaluated = evaluate_pseudo_labels(out_dir, ids, eval_seg_dir, settings, class_names)
        details = evaluated.pop('details')
        result.update(evaluated)
        if rank == 0:
            write_cam_metrics(out_dir, ids, eval_seg_dir, settings, result, details)
    if rank == 0 and vis_ids:
        by_id = {s['img_id']: s for s in samples}
        images = {i: writer.kept.get(i) for i in vis_ids}
        for img_id in vis_ids:
            if images[img_id] is None:
                s = by_id[img_id]
                images[img_id] = _load_bgr(dataset, s['index'], s['img_path'])
        visualise_cams(out_dir, images, visualizer)
    barrier()
    return result


def _evaluation_ids(
    samples: Sequence[dict], eval_ids: Optional[Sequence[str]], logger: MMLogger
) -> list:
    """The evaluation ids that are in the dataset (a warning names how many are not)."""
    known = {s['img_id'] for s in samples}
    ids = [i for i in (eval_ids or []) if i in known]
    if eval_ids and len(ids) < len(eval_ids):
        print_log(
            f'{len(eval_ids) - len(ids)} evaluation ids are not in the dataset; '
            'they are not evaluated',
            logger=logger,
            level=30,
        )
    return ids


def write_cam_metrics(
    out_dir: str,
    ids: Sequence[str],
    seg_dir: str,
    settings: PseudoLabelSettings,
    result: dict,
    details: Optional[dict],
) -> None:
    """``<out_dir>/cam_metrics.json``: the metrics, their details and the settings."""
    cam = settings.cam
    save_json(
        osp.join(out_dir, 'cam_metrics.json'),
        json_safe(
            dict(
                split_ids=len(ids),
                seg_dir=seg_dir,
                bg_threshold=settings.bg_threshold,
                scales=list(cam.scales),
                climbing=None if cam.climbing is None else cam.to_dict()['climbing'],
                map_extractor=cam.map_extractor,
                resize=cam.resize,
                branch_weights=cam.branch_weights,
                metrics=result['metrics'],
                details=details,
                seed_crf_metrics=result['seed_crf_metrics'],
                note='best_* values choose the background threshold with the ground truth; '
                'quote mIoU at the configured bg_threshold',
            )
        ),
    )


def visualise_cams(out_dir: str, images: dict, visualizer=None) -> None:
    """``<out_dir>/cam_vis/<id>.jpg`` overlays of the CAMs of ``images`` (id -> BGR image).

    Args:
        out_dir (str): Output root holding ``cams/<id>.npy``.
        images (dict): Id -> BGR uint8 image.
        visualizer (optional): An mmengine ``Visualizer``; the overlays go to its backends.
    """
    for img_id, bgr in images.items():
        cam_dict = load_npy_dict(osp.join(out_dir, 'cams', img_id + '.npy'))
        ov = overlay_cam(np.ascontiguousarray(bgr[..., ::-1]), cam_dict)
        path = osp.join(out_dir, 'cam_vis', img_id + '.jpg')
        atomic_write(path, lambda tmp, im=ov: cv2.imwrite(tmp, im[..., ::-1]), '.jpg')
        if visualizer is not None:
            visualizer.add_image(f'cam_{img_id}', ov)


def _cam_samples(cam_dir: str, ids: Sequence[str], seg_dir: str) -> Iterator[dict]:
    """CAMMetric samples of ``ids`` from ``<cam_dir>/<id>.npy``, one at a time."""
    for img_id in ids:
        cam = load_npy_dict(osp.join(cam_dir, img_id + '.npy'))
        gt = osp.join(seg_dir, img_id + '.png')
        yield dict(keys=cam['keys'], high_res=cam['high_res'], seg_map_path=gt)


def _label_samples(label_dir: str, ids: Sequence[str], seg_dir: str) -> Iterator[dict]:
    """CAMMetric samples of ``ids`` from the label PNGs ``<label_dir>/<id>.png``."""
    from PIL import Image

    for img_id in ids:
        path = osp.join(label_dir, img_id + '.png')
        if not osp.isfile(path):
            raise FileNotFoundError(f'prediction not found: {path}')
        gt = osp.join(seg_dir, img_id + '.png')
        yield dict(pred_label=np.asarray(Image.open(path)), seg_map_path=gt)


def _run_metric(metric: CAMMetric, samples_of, ids: Sequence[str]) -> dict:
    """Process this rank's ids (``samples_of(ids) -> samples``) and evaluate all of them."""
    rank, world_size = get_dist_info()
    for sample in samples_of(ids[rank::world_size]):
        metric.process(None, [sample])
    metrics = metric.evaluate(len(ids))
    return {k.split('/', 1)[-1]: v for k, v in metrics.items()}


def evaluate_pseudo_labels(
    out_dir: str,
    ids: Sequence[str],
    seg_dir: str,
    settings: Optional[PseudoLabelSettings] = None,
    class_names: Optional[Sequence[str]] = None,
) -> dict:
    """CAMMetric over ``out_dir/cams`` (and ``seeds_crf`` PNGs) for ``ids``, sharded by rank.

    The sweep's row at ``settings.bg_threshold`` scores exactly the ``seeds/<id>.png`` the
    writer wrote (the same seed rule, :mod:`.seed`).

    Args:
        out_dir (str): Output root of :func:`generate_pseudo_labels`.
        ids (Sequence[str]): Ids to evaluate.
        seg_dir (str): Ground-truth masks ``<id>.png``.
        settings (PseudoLabelSettings, optional): ``bg_threshold``, ``thresholds`` and
            ``seed_crf``; None is the defaults.
        class_names (Sequence[str], optional): Mask classes, background first (the
            dataset's, :func:`seg_class_names`); None is VOC's 21.

    Returns:
        dict: ``metrics``, ``details`` (main process; None elsewhere), ``seed_crf_metrics``.
    """
    settings = settings or PseudoLabelSettings()
    _, world_size = get_dist_info()
    names = dict(class_names=class_names or seg_class_names(None))
    metric = CAMMetric(
        bg_threshold=settings.bg_threshold,
        thresholds=settings.thresholds,
        collect_dir=osp.join(out_dir, '.collect_cam') if world_size > 1 else None,
        **names,
    )
    cam_dir = osp.join(out_dir, 'cams')
    out = dict(
        metrics=_run_metric(metric, lambda part: _cam_samples(cam_dir, part, seg_dir), ids),
        details=metric.details,
        seed_crf_metrics={},
    )
    if settings.seed_crf:
        crf_metric = CAMMetric(
            bg_threshold=settings.bg_threshold,
            prefix='seed_crf',
            collect_dir=osp.join(out_dir, '.collect_crf') if world_size > 1 else None,
            **names,
        )
        crf_dir = osp.join(out_dir, 'seeds_crf')
        out['seed_crf_metrics'] = _run_metric(
            crf_metric, lambda part: _label_samples(crf_dir, part, seg_dir), ids
        )
    return out


def evaluate_folder(
    pred_dir: str,
    ids: Sequence[str],
    seg_dir: str,
    bg_threshold: float = 0.20,
    thresholds: Optional[Sequence[float]] = None,
    class_names: Optional[Sequence[str]] = None,
) -> tuple[dict, dict]:
    """Score a folder of CAM ``.npy`` files (with the sweep) or of label PNGs.

    ``<pred_dir>/<id>.npy`` is used when present for the first id, else ``<id>.png``.

    Args:
        pred_dir (str): Folder of predictions.
        ids (Sequence[str]): Ids to evaluate.
        seg_dir (str): Ground-truth masks ``<id>.png``.
        bg_threshold (float): Configured background threshold (CAMs only).
        thresholds (Sequence[float], optional): Sweep (CAMs only).
        class_names (Sequence[str], optional): Mask classes, background first; None is
            VOC's 21 (:func:`seg_class_names`).

    Returns:
        tuple[dict, dict]: The metrics and :attr:`CAMMetric.details`.
    """
    if not ids:
        raise ValueError('no ids to evaluate')
    metric = CAMMetric(
        bg_threshold=bg_threshold,
        thresholds=thresholds,
        class_names=class_names or seg_class_names(None),
    )
    if osp.isfile(osp.join(pred_dir, ids[0] + '.npy')):
        samples = _cam_samples(pred_dir, ids, seg_dir)
    else:
        samples = _label_samples(pred_dir, ids, seg_dir)
    for sample in samples:
        metric.process(None, [sample])
    metrics = metric.evaluate(len(ids))
    return {k.split('/', 1)[-1]: v for k, v in metrics.items()}, metric.details
