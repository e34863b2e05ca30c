"""The training transforms of IRN-style WSSS classifiers (reference/amr-method.md §4.1).

The released code normalises the image *before* cropping and cutting out, so its zero
canvas and zero holes are the mean colour once normalised. OpenMMLab normalises later, in
the data preprocessor; these transforms therefore fill with ``pad_val`` = the normalisation
mean (as float32), which the preprocessor maps to exactly zero. The result is the same tensor.
"""

from collections.abc import Sequence
from typing import Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

# ImageNet mean in the BGR order of images loaded by ``LoadImageFromFile``.
IMAGENET_MEAN_BGR = (103.53, 116.28, 123.675)


@TRANSFORMS.register_module()
class RandomLongSideResize(BaseTransform):
    """Resize so that the long side is a uniform random integer in ``long_side_range``.

    Required keys: ``img``. Optional: ``gt_seg_map`` (resized with nearest neighbour).
    Modified keys: ``img``, ``img_shape``, ``gt_seg_map``. Added: ``scale_factor``.

    Args:
        long_side_range (tuple[int, int]): Inclusive range of the long side, e.g.
            ``(320, 640)``; ``(512, 512)`` makes the resize deterministic.
        interpolation (str): Image interpolation. Defaults to ``'bicubic'`` (as released).
        backend (str): ``'pillow'`` (as released, PIL bicubic) or ``'cv2'``.
    """

    def __init__(
        self,
        long_side_range: Sequence[int] = (320, 640),
        interpolation: str = 'bicubic',
        backend: str = 'pillow',
    ) -> None:
        lo, hi = long_side_range
        if not 0 < lo <= hi:
            raise ValueError(f'long_side_range must be 0 < lo <= hi, got {long_side_range}')
        self.long_side_range = (int(lo), int(hi))
        self.interpolation = interpolation
        self.backend = backend

    def transform(self, results: dict) -> dict:
        """Resize ``img`` (and ``gt_seg_map``)."""
        img = results['img']
        h, w = img.shape[:2]
        long_side = np.random.randint(self.long_side_range[0], self.long_side_range[1] + 1)
        scale = long_side / max(h, w)
        size = (int(round(w * scale)), int(round(h * scale)))
        results['img'] = mmcv.imresize(
            img, size, interpolation=self.interpolation, backend=self.backend
        )
        if results.get('gt_seg_map') is not None:
            results['gt_seg_map'] = mmcv.imresize(
                results['gt_seg_map'], size, interpolation='nearest', backend='cv2'
            )
        results['img_shape'] = results['img'].shape[:2]
        results['scale_factor'] = (size[0] / w, size[1] / h)
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(long_side_range={self.long_side_range}, '
            f'interpolation={self.interpolation!r}, backend={self.backend!r})'
        )


@TRANSFORMS.register_module()
class RandomCropPad(BaseTransform):
    """Random ``crop_size`` square crop; a smaller image lands at a random offset in a canvas.

    Along each axis independently: if the image is larger than the crop, a random window is
    cut; otherwise the whole image is placed at a random offset in a ``crop_size`` canvas
    filled with ``pad_val`` (mask: ``seg_pad_val``). This is IRN's ``random_crop``.

    Required keys: ``img``. Optional: ``gt_seg_map``. Modified: ``img`` (becomes float32),
    ``img_shape``, ``gt_seg_map``.

    Args:
        crop_size (int): Output side. Defaults to 512.
        pad_val (float | Sequence[float]): Canvas colour, the normalisation mean by default so
            that the canvas is zero after normalisation, as released.
        seg_pad_val (int): Canvas value of the mask. Defaults to 255 (ignore).
    """

    def __init__(
        self,
        crop_size: int = 512,
        pad_val: Union[float, Sequence[float]] = IMAGENET_MEAN_BGR,
        seg_pad_val: int = 255,
    ) -> None:
        self.crop_size = int(crop_size)
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val

    def _windows(self, size: int) -> tuple[int, int, int]:
        """Return (canvas offset, source offset, length) along one axis."""
        c = self.crop_size
        if size > c:
            return 0, np.random.randint(size - c + 1), c
        return np.random.randint(c - size + 1), 0, size

    def transform(self, results: dict) -> dict:
        """Crop or place ``img`` (and ``gt_seg_map``) in the canvas."""
        img = results['img']
        h, w = img.shape[:2]
        ct, it, ch = self._windows(h)
        cl, il, cw = self._windows(w)
        channels = img.shape[2] if img.ndim == 3 else 1
        canvas = np.empty((self.crop_size, self.crop_size, channels), np.float32)
        canvas[...] = np.asarray(self.pad_val, np.float32)
        canvas[ct : ct + ch, cl : cl + cw] = img.reshape(h, w, channels)[it : it + ch, il : il + cw]
        results['img'] = canvas if img.ndim == 3 else canvas[..., 0]
        if results.get('gt_seg_map') is not None:
            seg = results['gt_seg_map']
            seg_canvas = np.full((self.crop_size, self.crop_size), self.seg_pad_val, seg.dtype)
            seg_canvas[ct : ct + ch, cl : cl + cw] = seg[it : it + ch, il : il + cw]
            results['gt_seg_map'] = seg_canvas
        results['img_shape'] = (self.crop_size, self.crop_size)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(crop_size={self.crop_size}, pad_val={self.pad_val})'


@TRANSFORMS.register_module()
class MultiHoleCutout(BaseTransform):
    """Cutout with several square holes (AMR's spotlight pre-training: 3 holes of 128 px).

    Each hole is centred at a uniformly random pixel and clipped at the border; it is filled
    with ``pad_val`` (the normalisation mean, i.e. zero after normalisation, as released).
    The mask is left untouched (cutout is a classification-only augmentation).

    Args:
        num_holes (int): Holes per image. Defaults to 3.
        hole_size (int): Side of each hole. Defaults to 128.
        pad_val (float | Sequence[float]): Fill colour. Defaults to the ImageNet mean (BGR).
    """

    def __init__(
        self,
        num_holes: int = 3,
        hole_size: int = 128,
        pad_val: Union[float, Sequence[float]] = IMAGENET_MEAN_BGR,
    ) -> None:
        self.num_holes = int(num_holes)
        self.hole_size = int(hole_size)
        self.pad_val = pad_val

    def transform(self, results: dict) -> dict:
        """Cut the holes out of ``img`` (converted to float32)."""
        img = results['img'].astype(np.float32, copy=True)
        h, w = img.shape[:2]
        half = self.hole_size // 2
        for _ in range(self.num_holes):
            y, x = np.random.randint(h), np.random.randint(w)
            y1, y2 = max(0, y - half), min(h, y + self.hole_size - half)
            x1, x2 = max(0, x - half), min(w, x + self.hole_size - half)
            img[y1:y2, x1:x2] = np.asarray(self.pad_val, np.float32)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_holes={self.num_holes}, hole_size={self.hole_size})'
