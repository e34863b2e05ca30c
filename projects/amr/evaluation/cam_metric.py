"""Seed (CAM) mIoU with a background-threshold sweep, as a distributed-correct metric."""

from collections import OrderedDict
from collections.abc import Sequence
from typing import Optional

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmengine.registry import METRICS
from PIL import Image

from ..cam.seed import seed_label_sweep
from ..datasets.voc_image_label import VOCImageLabelDataset
from .confusion import iou_from_confusion


def seg_class_names(metainfo: Optional[dict] = None) -> tuple[str, ...]:
    """The classes of a segmentation mask from a dataset's metainfo: background first.

    Args:
        metainfo (dict, optional): A dataset's ``metainfo``; its ``classes`` are the
            foreground classes of the image-level labels (``'background'`` is put in front
            unless it is already the first). None: :class:`VOCImageLabelDataset`'s (VOC's 20).

    Returns:
        tuple[str, ...]: The mask classes, index = class id.
    """
    meta = VOCImageLabelDataset.METAINFO if metainfo is None else metainfo
    classes = tuple(meta.get('classes') or ())
    if not classes:
        raise ValueError(f'dataset metainfo without classes: {metainfo!r}')
    return classes if classes[0] == 'background' else ('background',) + classes


def default_thresholds() -> tuple[float, ...]:
    """The sweep 0.05, 0.10, ..., 0.95."""
    return tuple(round(0.05 * i, 2) for i in range(1, 20))


@METRICS.register_module()
class CAMMetric(BaseMetric):
    """mIoU of CAM seeds for every background threshold of a sweep, in one pass.

    Each sample is a dict with the ground truth (``gt_seg_map``, an (H, W) array, or
    ``seg_map_path``) and either CAMs (``keys``: 0-based foreground classes, and the
    max-normalised (K, H, W) maps under ``cam_key``, IRN's ``.npy`` format) or a ready label
    map ``pred_label`` (H, W) (e.g. seed / mask PNGs; then there is no sweep). For CAMs, the
    seed of threshold t is the argmax over [t, CAM_1, ..., CAM_K] mapped to class ids, for every
    t of the sweep at once; only the confusion rows of the ground-truth classes present in the
    image are kept per sample, so :meth:`BaseMetric.evaluate` can gather them across ranks
    (dropping the sampler's padding) at little cost.

    Reported (percent): ``mIoU`` at the configured ``bg_threshold`` (the number to quote),
    ``mFP`` / ``mFN`` there, and, separately labelled because choosing a threshold with the
    ground truth leaks pixel labels, ``best_mIoU_gt_selected`` and
    ``best_bg_threshold_gt_selected``. The full per-threshold, per-class table is kept in
    :attr:`details` on the main process and logged.

    The seeds are :func:`projects.amr.cam.seed.seed_label_sweep` of the CAMs, the rule the
    pseudo-label stage writes ``seeds/<id>.png`` with: the row at ``bg_threshold`` scores
    those files.

    Args:
        bg_threshold (float): The configured background threshold (AMR 0.20, IRN 0.15).
        thresholds (Sequence[float], optional): The sweep; defaults to 0.05..0.95 by 0.05.
            ``bg_threshold`` is added when missing.
        num_classes (int, optional): Classes including background; defaults to the number
            of ``class_names``.
        ignore_index (int): Ignored ground-truth value. Defaults to 255.
        cam_key (str): Sample key of the CAMs. Defaults to ``'high_res'``.
        class_names (Sequence[str], optional): Mask classes, background first (e.g.
            :func:`seg_class_names` of the dataset's metainfo). Defaults to the evaluator's
            ``dataset_meta`` when it is set, else to :class:`VOCImageLabelDataset`'s.
        collect_device (str): Device for gathering results across ranks. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to None.
    """

    default_prefix: Optional[str] = 'cam'

    def __init__(
        self,
        bg_threshold: float = 0.20,
        thresholds: Optional[Sequence[float]] = None,
        num_classes: Optional[int] = None,
        ignore_index: int = 255,
        cam_key: str = 'high_res',
        class_names: Optional[Sequence[str]] = None,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
        **kwargs,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, **kwargs)
        sweep = default_thresholds() if thresholds is None else tuple(thresholds)
        self.bg_threshold = float(bg_threshold)
        self.thresholds = tuple(
            sorted({round(float(t), 6) for t in sweep} | {round(self.bg_threshold, 6)})
        )
        if class_names is not None and num_classes is not None:
            if len(class_names) != num_classes:
                raise ValueError(f'{len(class_names)} class names for num_classes={num_classes}')
        self._class_names = None if class_names is None else tuple(class_names)
        self._num_classes = num_classes
        self.ignore_index = ignore_index
        self.cam_key = cam_key
        self.details: Optional[dict] = None

    @property
    def class_names(self) -> tuple[str, ...]:
        """Mask classes: as given, else from ``dataset_meta``, else the VOC dataset's."""
        if self._class_names is not None:
            return self._class_names
        meta = self.dataset_meta
        names = seg_class_names(meta if meta and meta.get('classes') else None)
        if self._num_classes is not None and len(names) != self._num_classes:
            return tuple(str(i) for i in range(self._num_classes))
        return names

    @property
    def num_classes(self) -> int:
        """Classes including background."""
        return self._num_classes or len(self.class_names)

    def _gt(self, sample: dict) -> np.ndarray:
        if sample.get('gt_seg_map') is not None:
            return np.asarray(sample['gt_seg_map'])
        path = sample.get('seg_map_path')
        if path is None:
            raise KeyError('a CAMMetric sample needs gt_seg_map or seg_map_path')
        return np.asarray(Image.open(path))

    def _sweep_counts(
        self, cams: np.ndarray, keys: np.ndarray, gt: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Confusion rows of the present gt classes for every threshold: (T, R, C)."""
        C, T = self.num_classes, len(self.thresholds)
        valid = gt != self.ignore_index
        g = gt[valid].astype(np.int64)
        if g.size and g.max() >= C:
            raise ValueError(f'ground-truth ids outside 0..{C - 1} and {self.ignore_index}')
        cams = cams.reshape(cams.shape[0], valid.size)[:, valid.reshape(-1)]
        pred = seed_label_sweep(cams, keys, self.thresholds)  # (T, P), the seed rule
        idx = (np.arange(T)[:, None] * C + g[None, :]) * C + pred
        conf = np.bincount(idx.reshape(-1), minlength=T * C * C).reshape(T, C, C)
        rows = np.unique(g)
        return rows, conf[:, rows]

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store the confusion rows of each sample.

        Args:
            data_batch: Unused (kept for the :class:`BaseMetric` interface).
            data_samples (Sequence[dict]): Samples as described in the class docstring.
        """
        for sample in data_samples:
            gt = self._gt(sample)
            if 'pred_label' in sample and sample['pred_label'] is not None:
                pred = np.asarray(sample['pred_label']).astype(np.int64)
                if pred.shape != gt.shape:
                    raise ValueError(f'prediction {pred.shape} != ground truth {gt.shape}')
                pred = np.where(pred == self.ignore_index, 0, pred)
                valid = gt != self.ignore_index
                g, p = gt[valid].astype(np.int64), pred[valid]
                C = self.num_classes
                conf = np.bincount(g * C + p, minlength=C * C).reshape(1, C, C)
                rows = np.unique(g)
                self.results.append(('label', rows, conf[:, rows]))
                continue
            cams = np.asarray(sample[self.cam_key])
            keys = np.asarray(sample['keys'], dtype=np.int64).reshape(-1)
            if cams.shape[0] != keys.size or cams.shape[1:] != gt.shape:
                raise ValueError(
                    f'CAMs {cams.shape} / keys {keys.size} do not match the ground truth {gt.shape}'
                )
            rows, conf = self._sweep_counts(cams, keys, gt)
            self.results.append(('sweep', rows, conf))

    def compute_metrics(self, results: list) -> dict:
        """Sum the confusion counts and compute the sweep table.

        Args:
            results (list): ``(kind, rows, counts)`` of every sample, from all ranks.

        Returns:
            dict: ``mIoU``, ``mFP``, ``mFN``, ``bg_threshold`` and, for CAMs,
            ``best_mIoU_gt_selected`` and ``best_bg_threshold_gt_selected``.
        """
        C = self.num_classes
        kinds = {r[0] for r in results}
        if len(kinds) > 1:
            raise ValueError('CAMMetric got both CAMs and label maps; evaluate them separately')
        kind = kinds.pop() if kinds else 'sweep'
        thresholds = self.thresholds if kind == 'sweep' else (None,)
        total = np.zeros((len(thresholds), C, C), dtype=np.int64)
        for _, rows, conf in results:
            total[:, rows] += conf
        table = [iou_from_confusion(c) for c in total]
        miou = np.array([t['miou'] for t in table])
        details = OrderedDict(
            kind=kind,
            num_images=len(results),
            class_names=list(self.class_names),
            thresholds=list(thresholds),
            miou=[_pct(v) for v in miou],
            iou=[[_pct(v) for v in t['iou']] for t in table],
            fp=[[_pct(v) for v in t['fp']] for t in table],
            fn=[[_pct(v) for v in t['fn']] for t in table],
            mfp=[_pct(t['mfp']) for t in table],
            mfn=[_pct(t['mfn']) for t in table],
        )
        i_cfg = thresholds.index(round(self.bg_threshold, 6)) if kind == 'sweep' else 0
        metrics = OrderedDict(
            mIoU=_pct(miou[i_cfg]), mFP=_pct(table[i_cfg]['mfp']), mFN=_pct(table[i_cfg]['mfn'])
        )
        if kind == 'sweep':
            metrics['bg_threshold'] = self.bg_threshold
            i_best = int(np.nanargmax(miou)) if np.any(~np.isnan(miou)) else i_cfg
            metrics['best_mIoU_gt_selected'] = _pct(miou[i_best])
            metrics['best_bg_threshold_gt_selected'] = thresholds[i_best]
        details['configured'] = dict(metrics)
        self.details = details
        print_log('\n' + format_table(details, i_cfg), logger=MMLogger.get_current_instance())
        return metrics


def _pct(v: float) -> float:
    """Percent, 2 decimals; NaN stays NaN."""
    return float('nan') if np.isnan(v) else round(float(v) * 100, 2)


def format_table(details: dict, index: int = 0) -> str:
    """A plain-text table: per-class IoU / FP / FN at one threshold, then the sweep.

    Args:
        details (dict): :attr:`CAMMetric.details`.
        index (int): Row of the sweep to detail. Defaults to 0.

    Returns:
        str: The table.
    """
    thr = details['thresholds'][index]
    head = 'label maps' if thr is None else f'background threshold {thr}'
    lines = [
        f'CAM metric over {details["num_images"]} images, {head}:',
        f'{"class":<14}{"IoU":>8}{"FP":>8}{"FN":>8}',
    ]
    for name, iou, fp, fn in zip(
        details['class_names'], details['iou'][index], details['fp'][index], details['fn'][index]
    ):
        lines.append(f'{name:<14}{iou:>8.2f}{fp:>8.2f}{fn:>8.2f}')
    lines.append(
        f'{"mean":<14}{details["miou"][index]:>8.2f}{details["mfp"][index]:>8.2f}'
        f'{details["mfn"][index]:>8.2f}'
    )
    if thr is not None:
        sweep = ' '.join(f'{t:.2f}:{m:.2f}' for t, m in zip(details['thresholds'], details['miou']))
        lines.append(
            f'sweep (threshold:mIoU; a best chosen here is selected with ground truth): {sweep}'
        )
    return '\n'.join(lines)
