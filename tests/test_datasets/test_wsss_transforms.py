"""The WSSS training transforms: long-side resize, crop into a canvas, cutout."""

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmpretrain.registry import TRANSFORMS

from projects.amr.datasets.transforms import (
    IMAGENET_MEAN_BGR,
    MultiHoleCutout,
    RandomCropPad,
    RandomLongSideResize,
)


def coord_image(h, w):
    """An image whose pixels encode their own coordinates, and a matching mask."""
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([yy % 256, xx % 256, (yy * w + xx) % 251], -1).astype(np.uint8)
    seg = ((yy * 7 + xx) % 21).astype(np.uint8)
    return img, seg


def test_registered_in_mmpretrain_scope():
    init_default_scope('mmpretrain')
    for name in ('RandomLongSideResize', 'RandomCropPad', 'MultiHoleCutout'):
        assert TRANSFORMS.get(name) is not None


@pytest.mark.parametrize('hw', [(375, 500), (500, 333), (100, 90)])
def test_long_side_resize(hw):
    np.random.seed(0)
    t = RandomLongSideResize((320, 640))
    img, seg = coord_image(*hw)
    sides = set()
    for _ in range(20):
        out = t(dict(img=img, gt_seg_map=seg))
        h, w = out['img'].shape[:2]
        assert 320 <= max(h, w) <= 640
        assert abs(h / w - hw[0] / hw[1]) < 0.02
        assert out['gt_seg_map'].shape == (h, w)
        assert set(np.unique(out['gt_seg_map'])) <= set(np.unique(seg))  # nearest, no new ids
        sides.add(max(h, w))
    assert len(sides) > 5


def test_fixed_long_side():
    out = RandomLongSideResize((512, 512))(dict(img=np.zeros((375, 500, 3), np.uint8)))
    assert out['img'].shape == (384, 512, 3)


@pytest.mark.parametrize('hw', [(600, 700), (200, 300), (600, 100)])
def test_crop_pad_is_mask_consistent(hw):
    np.random.seed(1)
    img, seg = coord_image(*hw)
    out = RandomCropPad(crop_size=512)(dict(img=img, gt_seg_map=seg.copy()))
    oi, os_ = out['img'], out['gt_seg_map']
    assert oi.shape == (512, 512, 3) and oi.dtype == np.float32 and os_.shape == (512, 512)
    filled = os_ != 255
    # the canvas is the mean colour exactly where the mask is padding
    pad = ~filled
    if pad.any():
        np.testing.assert_allclose(oi[pad], np.broadcast_to(IMAGENET_MEAN_BGR, oi[pad].shape))
    # the kept pixels form one rectangle of the expected size
    ys, xs = np.nonzero(filled)
    assert filled.sum() == min(512, hw[0]) * min(512, hw[1])
    assert filled[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].all()


def test_crop_keeps_window_from_source():
    np.random.seed(3)
    img, seg = coord_image(200, 220)  # coordinates < 256 decode exactly
    out = RandomCropPad(crop_size=128)(dict(img=img, gt_seg_map=seg))
    y0, x0 = int(out['img'][0, 0, 0]), int(out['img'][0, 0, 1])
    np.testing.assert_array_equal(out['img'], img[y0 : y0 + 128, x0 : x0 + 128].astype(np.float32))
    np.testing.assert_array_equal(out['gt_seg_map'], seg[y0 : y0 + 128, x0 : x0 + 128])


def test_cutout_holes():
    np.random.seed(2)
    img = np.full((512, 512, 3), 7, np.uint8)
    out = MultiHoleCutout(num_holes=3, hole_size=128)(dict(img=img))['img']
    holes = np.all(out == np.asarray(IMAGENET_MEAN_BGR, np.float32), -1)
    assert 0 < holes.sum() <= 3 * 128 * 128
    assert (out[~holes] == 7).all()
    assert holes.sum() > 128 * 64  # at least one hole is not tiny (clipped at most to a half)
