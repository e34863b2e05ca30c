"""Confusion matrices and IoU shared by every WSSS evaluation.

All stages (CAM seeds, IR labels, random-walk masks) are scored the same way: a confusion
matrix accumulated over the whole set (ground truth rows, prediction columns, 255 ignored),
class IoU = TP / (TP + FP + FN), mIoU = nanmean over the classes (a class absent from both the
ground truth and the predictions is NaN and does not count), as chainercv's
``calc_semantic_segmentation_confusion`` does in IRN/AMR's ``eval_cam.py``.
"""

import numpy as np


def confusion_matrix(
    pred: np.ndarray, gt: np.ndarray, num_classes: int = 21, ignore_index: int = 255
) -> np.ndarray:
    """Confusion counts of one prediction against its ground truth.

    Args:
        pred (np.ndarray): Predicted class ids, any integer dtype, same shape as ``gt``.
            Predictions equal to ``ignore_index`` (e.g. unsure pixels of a pseudo mask) are
            counted as background (class 0), as IRN's ``eval_sem_seg.py`` does.
        gt (np.ndarray): Ground-truth class ids; ``ignore_index`` pixels are skipped.
        num_classes (int): Number of classes, background included. Defaults to 21.
        ignore_index (int): Ignored ground-truth value. Defaults to 255.

    Returns:
        np.ndarray: int64 (num_classes, num_classes); entry [i, j] counts pixels of
        ground-truth class i predicted as j.

    Raises:
        ValueError: when the shapes differ or a value is outside ``0..num_classes-1``.
    """
    pred = np.asarray(pred).astype(np.int64)
    gt = np.asarray(gt).astype(np.int64)
    if pred.shape != gt.shape:
        raise ValueError(f'prediction shape {pred.shape} != ground-truth shape {gt.shape}')
    pred = np.where(pred == ignore_index, 0, pred)
    valid = gt != ignore_index
    pred, gt = pred[valid], gt[valid]
    if pred.size and (pred.min() < 0 or pred.max() >= num_classes):
        raise ValueError(
            f'predicted class ids outside 0..{num_classes - 1}: '
            f'{np.unique(pred[(pred < 0) | (pred >= num_classes)]).tolist()}'
        )
    if gt.size and (gt.min() < 0 or gt.max() >= num_classes):
        raise ValueError(
            f'ground-truth class ids outside 0..{num_classes - 1} and '
            f'{ignore_index}: '
            f'{np.unique(gt[(gt < 0) | (gt >= num_classes)]).tolist()}'
        )
    return np.bincount(gt * num_classes + pred, minlength=num_classes**2).reshape(
        num_classes, num_classes
    )


def iou_from_confusion(conf: np.ndarray) -> dict:
    """Per-class IoU, mIoU and the false-positive / false-negative ratios.

    Args:
        conf (np.ndarray): (C, C) confusion counts, ground truth rows, prediction columns.

    Returns:
        dict: ``iou`` (C,) float array, NaN where a class is in neither ground truth nor
        prediction; ``miou`` the nanmean of ``iou``; ``fp`` (C,) false positives / union;
        ``fn`` (C,) false negatives / union (IRN-style error ratios, 1 - IoU = fp + fn);
        ``mfp`` and ``mfn`` their nanmeans; ``acc`` overall pixel accuracy.
    """
    conf = np.asarray(conf, dtype=np.float64)
    tp = np.diag(conf)
    gt_count = conf.sum(axis=1)
    pred_count = conf.sum(axis=0)
    union = gt_count + pred_count - tp
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = np.where(union > 0, tp / union, np.nan)
        fp = np.where(union > 0, (pred_count - tp) / union, np.nan)
        fn = np.where(union > 0, (gt_count - tp) / union, np.nan)
    total = conf.sum()

    def _nanmean(x: np.ndarray) -> float:
        return float(np.nanmean(x)) if np.any(~np.isnan(x)) else float('nan')

    return dict(
        iou=iou,
        miou=_nanmean(iou),
        fp=fp,
        fn=fn,
        mfp=_nanmean(fp),
        mfn=_nanmean(fn),
        acc=float(tp.sum() / total) if total else float('nan'),
    )
