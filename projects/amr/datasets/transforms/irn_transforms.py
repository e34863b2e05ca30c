"""Transforms of IRN's training set: IR label loading, random rescale, label downsampling."""

from collections.abc import Sequence

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS
from mmpretrain.structures import DataSample
from PIL import Image


@TRANSFORMS.register_module()
class LoadIRLabel(BaseTransform):
    """Load the IR label PNG of ``ir_label_path`` as ``gt_seg_map`` (uint8, 255 = unsure)."""

    def transform(self, results: dict) -> dict:
        """Read the label."""
        label = np.asarray(Image.open(results['ir_label_path']))
        if label.ndim != 2:
            raise ValueError(f'{results["ir_label_path"]}: an IR label must be single-channel')
        if label.shape != results['img'].shape[:2]:
            raise ValueError(
                f'{results["ir_label_path"]}: shape {label.shape} != image '
                f'{results["img"].shape[:2]}'
            )
        results['gt_seg_map'] = label.astype(np.uint8)
        return results


@TRANSFORMS.register_module()
class RandomRescale(BaseTransform):
    """Rescale by a uniform random factor (IRN's ``random_scale``: 0.5-1.5).

    The image is resized bicubically (PIL, as released), ``gt_seg_map`` with nearest
    neighbour.

    Args:
        ratio_range (Sequence[float]): Range of the factor. Defaults to (0.5, 1.5).
        interpolation (str): Image interpolation. Defaults to ``'bicubic'``.
        backend (str): Image resize backend. Defaults to ``'pillow'``.
    """

    def __init__(
        self,
        ratio_range: Sequence[float] = (0.5, 1.5),
        interpolation: str = 'bicubic',
        backend: str = 'pillow',
    ) -> None:
        self.ratio_range = (float(ratio_range[0]), float(ratio_range[1]))
        self.interpolation = interpolation
        self.backend = backend

    def transform(self, results: dict) -> dict:
        """Resize ``img`` and ``gt_seg_map``."""
        scale = np.random.uniform(*self.ratio_range)
        h, w = results['img'].shape[:2]
        size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
        results['img'] = mmcv.imresize(
            results['img'], size, interpolation=self.interpolation, backend=self.backend
        )
        if results.get('gt_seg_map') is not None:
            results['gt_seg_map'] = mmcv.imresize(
                results['gt_seg_map'], size, interpolation='nearest', backend='pillow'
            )
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(ratio_range={self.ratio_range})'


def downsample_nearest(label: np.ndarray, scale: float) -> np.ndarray:
    """Nearest-neighbour downsampling with PIL's sampling positions (pixel centres).

    Args:
        label (np.ndarray): (H, W) label map.
        scale (float): Factor, e.g. 0.25.

    Returns:
        np.ndarray: (round(H * scale), round(W * scale)).
    """
    h, w = label.shape
    oh, ow = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    ys = np.minimum(((np.arange(oh) + 0.5) * h / oh).astype(np.int64), h - 1)
    xs = np.minimum(((np.arange(ow) + 0.5) * w / ow).astype(np.int64), w - 1)
    return label[ys[:, None], xs[None, :]]


@TRANSFORMS.register_module()
class PackIRInputs(BaseTransform):
    """Pack the image and its IR label downsampled to the stride-4 grid (nearest, x0.25).

    Output: ``inputs`` (3, H, W) tensor and ``data_samples``, a :class:`DataSample` with
    ``ir_label`` (H/4, W/4) uint8 tensor and the meta keys.

    Args:
        label_scale (float): Downsampling factor of the label. Defaults to 0.25.
        meta_keys (Sequence[str]): Keys copied into the metainfo.
    """

    def __init__(
        self,
        label_scale: float = 0.25,
        meta_keys: Sequence[str] = ('img_id', 'img_path', 'ori_shape', 'img_shape'),
    ) -> None:
        self.label_scale = label_scale
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack one sample."""
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = DataSample()
        if results.get('gt_seg_map') is not None:
            label = downsample_nearest(results['gt_seg_map'], self.label_scale)
            sample.set_field(
                torch.from_numpy(np.ascontiguousarray(label)), 'ir_label', field_type='data'
            )
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(label_scale={self.label_scale})'
