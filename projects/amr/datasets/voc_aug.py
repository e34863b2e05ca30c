"""Prepare PASCAL VOC 2012 + SBD the way every WSSS code base expects it.

Writes, inside ``VOC2012``: ``SegmentationClassAug/<id>.png`` (VOC ground truth for the VOC
segmentation ids, SBD's ``cls`` masks for the rest), ``ImageSets/Segmentation/train_aug.txt``
(VOC train + SBD train + SBD val, minus VOC val: 10,582 ids with the full sets) and
``cls_labels.npy`` (IRN's format: int id -> float32[20] multi-hot, from the VOC XML annotations,
difficult objects included, for train_aug + val).
"""

import os.path as osp
from collections.abc import Iterable
from typing import Optional

import numpy as np
from mmengine.logging import print_log
from PIL import Image

from ..utils.io import save_label_png, save_npy
from .voc_image_label import VOC_CLASSES, irn_key, labels_from_xml, read_id_list

FULL_TRAIN_AUG = 10582


def read_sbd_mask(path: str) -> np.ndarray:
    """Read SBD's ``cls/<id>.mat`` (``GTcls.Segmentation``) as a uint8 class-id map.

    Raises:
        FileNotFoundError: naming ``path``.
        ValueError: naming ``path`` when the file lacks ``GTcls.Segmentation``.
    """
    from scipy.io import loadmat

    if not osp.isfile(path):
        raise FileNotFoundError(f'SBD mask not found: {path}')
    try:
        seg = loadmat(path, mat_dtype=True, squeeze_me=True, struct_as_record=False)
        seg = seg['GTcls'].Segmentation
    except (KeyError, AttributeError, ValueError) as e:
        raise ValueError(f'{path}: not an SBD GTcls file ({e})') from e
    return np.asarray(seg, dtype=np.uint8)


def read_voc_mask(path: str) -> np.ndarray:
    """Read a VOC ``SegmentationClass`` PNG (palette indices) as uint8 class ids."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'VOC mask not found: {path}')
    return np.asarray(Image.open(path), dtype=np.uint8)


def _write_list(path: str, ids: Iterable[str]) -> None:
    from ..utils.io import atomic_write

    def _w(tmp: str) -> None:
        with open(tmp, 'w') as f:
            f.writelines(f'{i}\n' for i in ids)

    atomic_write(path, _w, '.txt')


def convert_voc_aug(
    voc_root: str, sbd_root: Optional[str], overwrite: bool = False, check_full: bool = True
) -> dict:
    """Write ``SegmentationClassAug``, ``train_aug.txt`` and ``cls_labels.npy``.

    Args:
        voc_root (str): The ``VOC2012`` folder (JPEGImages, SegmentationClass, Annotations,
            ImageSets/Segmentation/{train,val}.txt).
        sbd_root (str, optional): SBD's ``benchmark_RELEASE/dataset`` folder (``cls/``,
            ``train.txt``, ``val.txt``). ``None`` builds train_aug from VOC alone.
        overwrite (bool): Rewrite existing masks. Defaults to False (idempotent re-runs).
        check_full (bool): Require 10,582 train_aug ids when the VOC train list has the full
            1,464 ids and SBD is given.

    Returns:
        dict: Counts of what was written.
    """
    seg_dir = osp.join(voc_root, 'ImageSets', 'Segmentation')
    voc_train = read_id_list(osp.join(seg_dir, 'train.txt'))
    voc_val = read_id_list(osp.join(seg_dir, 'val.txt'))
    voc_seg_ids = set(voc_train) | set(voc_val)
    sbd_ids: list[str] = []
    if sbd_root is not None:
        sbd_ids = read_id_list(osp.join(sbd_root, 'train.txt')) + read_id_list(
            osp.join(sbd_root, 'val.txt')
        )
    val_set = set(voc_val)
    train_aug = sorted((set(voc_train) | set(sbd_ids)) - val_set)
    if (
        check_full
        and sbd_root is not None
        and len(voc_train) == 1464
        and len(train_aug) != FULL_TRAIN_AUG
    ):
        raise ValueError(
            f'train_aug has {len(train_aug)} ids, expected {FULL_TRAIN_AUG}: '
            f'check {seg_dir} and {sbd_root}'
        )
    out_dir = osp.join(voc_root, 'SegmentationClassAug')
    written = skipped = 0
    for img_id in sorted(voc_seg_ids | set(sbd_ids)):
        dst = osp.join(out_dir, img_id + '.png')
        if osp.exists(dst) and not overwrite:
            skipped += 1
            continue
        if img_id in voc_seg_ids:
            mask = read_voc_mask(osp.join(voc_root, 'SegmentationClass', img_id + '.png'))
        else:
            mask = read_sbd_mask(osp.join(sbd_root, 'cls', img_id + '.mat'))
        bad = np.setdiff1d(np.unique(mask), np.r_[np.arange(21), 255])
        if bad.size:
            raise ValueError(f'{img_id}: mask values {bad.tolist()} outside 0..20 and 255')
        save_label_png(dst, mask)
        written += 1
    _write_list(osp.join(seg_dir, 'train_aug.txt'), train_aug)
    labels = {}
    ann_dir = osp.join(voc_root, 'Annotations')
    for img_id in train_aug + sorted(val_set):
        onehot = np.zeros(len(VOC_CLASSES), np.float32)
        onehot[labels_from_xml(osp.join(ann_dir, img_id + '.xml'))] = 1
        labels[irn_key(img_id)] = onehot
    save_npy(osp.join(voc_root, 'cls_labels.npy'), labels)
    stats = dict(
        train_aug=len(train_aug), masks_written=written, masks_kept=skipped, labels=len(labels)
    )
    print_log(f'voc_aug: {stats}', logger='current')
    return stats
