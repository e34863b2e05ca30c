"""PASCAL VOC with image-level labels, the supervision of image-level WSSS."""

import os.path as osp
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Optional

import numpy as np
from mmengine.logging import print_log
from mmpretrain.datasets import MultiLabelDataset
from mmpretrain.registry import DATASETS
from PIL import Image

VOC_CLASSES = (
    'aeroplane',
    'bicycle',
    'bird',
    'boat',
    'bottle',
    'bus',
    'car',
    'cat',
    'chair',
    'cow',
    'diningtable',
    'dog',
    'horse',
    'motorbike',
    'person',
    'pottedplant',
    'sheep',
    'sofa',
    'train',
    'tvmonitor',
)

LABEL_SOURCES = ('npy', 'mask', 'xml')


def irn_key(img_id: str) -> int:
    """Key of ``img_id`` in IRN's ``cls_labels.npy`` (``'2007_000032'`` -> ``2007000032``)."""
    return int(img_id.replace('_', ''))


def read_id_list(path: str) -> list[str]:
    """Read an id list (one id per line; blank lines ignored).

    Raises:
        FileNotFoundError: naming ``path`` when it does not exist.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'id list not found: {path}')
    with open(path) as f:
        return [line.split()[0] for line in f if line.strip()]


def load_irn_cls_labels(path: str) -> dict[int, np.ndarray]:
    """Load IRN's ``cls_labels.npy`` (a pickled dict: int id -> float32[20] multi-hot).

    Raises:
        FileNotFoundError: naming ``path`` when it does not exist.
        ValueError: naming ``path`` when the file is not such a dict.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'image-level label file not found: {path}')
    try:
        labels = np.load(path, allow_pickle=True).item()
    except Exception as e:  # noqa: BLE001 - report any decoding problem with the file name
        raise ValueError(f'{path}: not a pickled dict of multi-hot labels ({e})') from e
    if not isinstance(labels, dict):
        raise ValueError(f'{path}: expected a dict of id -> multi-hot vector, got {type(labels)}')
    return labels


def labels_from_mask(path: str, num_classes: int = 20) -> np.ndarray:
    """Foreground class indices (0-based, background dropped) present in a VOC mask.

    Raises:
        FileNotFoundError: naming ``path`` when it does not exist.
        ValueError: naming ``path`` and the values when it holds ids outside 0..num_classes
            and 255.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'segmentation mask not found: {path}')
    mask = np.asarray(Image.open(path))
    if mask.ndim != 2:
        raise ValueError(
            f'{path}: expected a single-channel (index or palette) PNG, got shape {mask.shape}'
        )
    ids = np.unique(mask)
    bad = ids[(ids > num_classes) & (ids != 255)]
    if bad.size:
        raise ValueError(f'{path}: class ids {bad.tolist()} outside 0..{num_classes} and 255')
    ids = ids[(ids != 0) & (ids != 255)]
    return (ids - 1).astype(np.int64)


def labels_from_xml(path: str, classes: Sequence[str] = VOC_CLASSES) -> np.ndarray:
    """Class indices of every object in a VOC XML annotation, difficult ones included.

    This is what IRN's ``make_cls_labels.py`` (and so AMR's ``cls_labels.npy``) does;
    mmpretrain's ``VOC`` dataset instead moves all-difficult classes out of ``gt_label``.

    Raises:
        FileNotFoundError: naming ``path`` when it does not exist.
        ValueError: naming ``path`` when it is not valid XML.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'XML annotation not found: {path}')
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise ValueError(f'{path}: invalid XML ({e})') from e
    names = {obj.findtext('name', '').strip() for obj in root.iter('object')}
    return np.array(sorted(classes.index(n) for n in names if n in classes), dtype=np.int64)


@DATASETS.register_module()
class VOCImageLabelDataset(MultiLabelDataset):
    """VOC-layout images with image-level (multi-hot) labels.

    Each sample carries ``img_path``, ``img_id``, ``gt_label`` (0-based foreground class
    indices; there is no background class) and ``seg_map_path`` (the ground-truth mask when
    one exists, else ``None``) so that CAM/mask evaluation can use the same dataset.

    Args:
        data_root (str): The ``VOC2012`` folder.
        ann_file (str): Id list, relative to ``data_root``
            (e.g. ``'ImageSets/Segmentation/train_aug.txt'``).
        label_source (str): Where image-level labels come from: ``'npy'`` (IRN's
            ``cls_labels.npy``, what AMR uses), ``'mask'`` (ids present in the mask minus 0
            and 255), or ``'xml'`` (VOC XML annotations, difficult objects included).
        label_file (str): The ``cls_labels.npy`` for ``label_source='npy'``, relative to
            ``data_root`` unless absolute. A relative path is joined to ``data_root`` as
            written and its ``..`` resolved lexically (``os.path.normpath``), never by the
            operating system from a linked folder's target: with
            ``data_root='data/VOCdevkit/VOC2012'`` and ``'../../extras/x.npy'`` the file is
            ``data/extras/x.npy`` even when ``data/VOCdevkit`` is a symbolic link.
        data_prefix (dict): Folders relative to ``data_root``: ``img_path``,
            ``seg_map_path`` (masks, also the label source for ``'mask'``) and ``ann_path``
            (XML annotations).
        on_error (str): What to do with a sample whose image is missing, whose label is
            missing, or which has no foreground label: ``'raise'`` (an error naming the file)
            or ``'skip'`` (a logged, counted skip; see :attr:`skipped`).
        img_suffix (str): Image file suffix. Defaults to ``'.jpg'``.
        seg_map_suffix (str): Mask file suffix. Defaults to ``'.png'``.
        **kwargs: Passed to :class:`mmpretrain.datasets.MultiLabelDataset`.
    """

    METAINFO = {'classes': VOC_CLASSES}

    def __init__(
        self,
        data_root: str,
        ann_file: str,
        label_source: str = 'npy',
        label_file: str = 'cls_labels.npy',
        data_prefix: Optional[dict] = None,
        on_error: str = 'raise',
        img_suffix: str = '.jpg',
        seg_map_suffix: str = '.png',
        **kwargs,
    ) -> None:
        if label_source not in LABEL_SOURCES:
            raise ValueError(f'label_source must be one of {LABEL_SOURCES}, got {label_source!r}')
        if on_error not in ('raise', 'skip'):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        prefix = dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass', ann_path='Annotations'
        )
        prefix.update(data_prefix or {})
        self.label_source = label_source
        self.label_file = label_file
        self.on_error = on_error
        self.img_suffix = img_suffix
        self.seg_map_suffix = seg_map_suffix
        self.skipped: dict[str, str] = {}
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=prefix, **kwargs)

    @property
    def label_path(self) -> str:
        """The image-level label file, ``label_file`` resolved against ``data_root``."""
        return self._abs(self.label_file)

    def _abs(self, path: str) -> str:
        # normpath: `..` resolved against data_root as written (not from a link's target)
        return path if osp.isabs(path) else osp.normpath(osp.join(self.data_root, path))

    def _problem(self, img_id: str, message: str) -> None:
        if self.on_error == 'raise':
            raise ValueError(
                f'{message} (id {img_id} in {self.ann_file}; '
                "set on_error='skip' to skip such samples)"
            )
        self.skipped[img_id] = message

    def load_data_list(self) -> list[dict]:
        """Read the id list and attach labels, image and mask paths."""
        ids = read_id_list(self.ann_file)
        img_dir = self.data_prefix['img_path']
        seg_dir = self.data_prefix.get('seg_map_path')
        ann_dir = self.data_prefix.get('ann_path')
        npy = load_irn_cls_labels(self.label_path) if self.label_source == 'npy' else None
        self.skipped = {}
        data_list = []
        for img_id in ids:
            img_path = osp.join(img_dir, img_id + self.img_suffix)
            seg_path = osp.join(seg_dir, img_id + self.seg_map_suffix) if seg_dir else None
            has_seg = seg_path is not None and osp.isfile(seg_path)
            if not osp.isfile(img_path):
                self._problem(img_id, f'image not found: {img_path}')
                continue
            try:
                if npy is not None:
                    if irn_key(img_id) not in npy:
                        raise ValueError(f'id {img_id} has no entry in {self.label_path}')
                    label = np.flatnonzero(np.asarray(npy[irn_key(img_id)]) > 0.5)
                elif self.label_source == 'mask':
                    label = labels_from_mask(
                        seg_path or f'<no seg_map_path>/{img_id}', len(self.metainfo['classes'])
                    )
                else:
                    label = labels_from_xml(
                        osp.join(ann_dir, img_id + '.xml'), self.metainfo['classes']
                    )
            except (FileNotFoundError, ValueError) as e:
                self._problem(img_id, str(e))
                continue
            if label.size == 0:
                self._problem(img_id, f'no foreground label for {img_id} ({self.label_source})')
                continue
            data_list.append(
                dict(
                    img_path=img_path,
                    img_id=img_id,
                    gt_label=label.astype(np.int64),
                    seg_map_path=seg_path if has_seg else None,
                )
            )
        if self.skipped:
            print_log(
                f'{type(self).__name__}: skipped {len(self.skipped)} of {len(ids)} ids of '
                f'{self.ann_file}; first: {next(iter(self.skipped.values()))}',
                logger='current',
                level=30,
            )
        return data_list

    @property
    def img_ids(self) -> list[str]:
        """Ids of the samples kept, in dataset order."""
        return [self.get_data_info(i)['img_id'] for i in range(len(self))]


__all__ = [
    'VOCImageLabelDataset',
    'VOC_CLASSES',
    'irn_key',
    'read_id_list',
    'load_irn_cls_labels',
    'labels_from_mask',
    'labels_from_xml',
]
