"""Class-batched anti-adversarial climbing equals the one-class-at-a-time loop, on a real
voc-mini image (tiny size), both AMR branches, Lite0 and ResNet-50, 1, 2 and 4 classes; and
several same-size images computed together equal them one at a time."""

import numpy as np
import pytest
import torch

from projects.amr.cam import climb_class_maps, infer_cams, infer_cams_batch
from projects.amr.cam.inference import normalisation_of, scaled_pair
from tests.test_cam.helpers import LITE0_CFG, R50_CFG, build_amr, voc_image

MODELS = {}


def model_of(name: str) -> torch.nn.Module:
    if name not in MODELS:
        MODELS[name] = build_amr(LITE0_CFG if name == 'lite0' else R50_CFG)
    return MODELS[name]


@pytest.mark.parametrize('num_classes', [1, 2, 4])
@pytest.mark.parametrize('name', ['lite0', 'r50'])
def test_batched_equals_sequential(name, num_classes):
    """infer_cams with the released settings: both scales climb 3 times
    (the release halves the iterations at 0.5 only above 10)."""
    model = model_of(name)
    img, keys = voc_image(num_classes, size=(48, 64))
    climbing = dict(iters=3, step=0.08, lam=7.0, mask_thr=0.5, restriction_mask='per_iteration')
    kw = dict(map_extractor='gradcam', resize='pil')
    seq = infer_cams(model, img, keys, (1.0, 0.5), climbing=dict(climbing, batched=False), **kw)
    bat = infer_cams(model, img, keys, (1.0, 0.5), climbing=climbing, **kw)
    assert seq['high_res'].max() > 0.5
    for k in ('cam', 'high_res'):
        assert float(np.abs(seq[k] - bat[k]).max()) < 1e-4, k


@pytest.mark.parametrize('name', ['lite0', 'r50'])
def test_batched_accumulators_at_half_iteration_scale(name):
    """The raw accumulators of both branches at scale 0.5 (27 // 2 = 13 iterations released;
    here 4 // 2 = 2), 4 classes in one batch against one by one, relative to their peak."""
    model = model_of(name)
    img, keys = voc_image(4, size=(48, 64))
    mean, std, _ = normalisation_of(model)
    rgb = torch.from_numpy(img[..., ::-1].copy()).permute(2, 0, 1).float()
    x = scaled_pair(rgb, 0.5, mean, std, resize='pil')
    for branch in (0, 1):
        kw = dict(
            branch=branch,
            iters=2,
            map_extractor='gradcam',
            restriction_mask='per_iteration',
        )
        seq = climb_class_maps(model, x, keys, chunk_size=1, **kw)
        peak = float(seq.max())
        assert peak > 0
        for chunk_size in (None, 3):  # one batch of 4 pairs; batches of 3 + 1
            bat = climb_class_maps(model, x, keys, chunk_size=chunk_size, **kw)
            assert bat.shape == seq.shape
            assert float((seq - bat).abs().max()) < 1e-4 * peak
        # each class climbs its own pair: the maps are not all the same
        assert (bat[1:] - bat[:1]).abs().max() > 1e-2 * peak


@pytest.mark.parametrize('climb', [False, True])
@pytest.mark.parametrize('name', ['lite0', 'r50'])
def test_image_batched_equals_one_at_a_time(name, climb):
    """infer_cams_batch over three real images of one size (1, 2 and 4 classes, and one with
    none) equals infer_cams image by image: plain CAMs and climbing (scale 0.5 half
    iterations), both branches fused."""
    model = model_of(name)
    imgs, keys = zip(*(voc_image(n, size=(48, 64)) for n in (1, 2, 4)))
    imgs, keys = [*imgs, imgs[0]], [*keys, []]
    climbing = (
        dict(iters=3, step=0.08, lam=7.0, mask_thr=0.5, restriction_mask='per_iteration')
        if climb
        else None
    )
    kw = dict(scales=(1.0, 0.5), climbing=climbing, map_extractor='gradcam', resize='pil')
    together = infer_cams_batch(model, imgs, keys, **kw)
    for img, k, res in zip(imgs, keys, together):
        alone = infer_cams(model, img, k, **kw)
        np.testing.assert_array_equal(res['keys'], alone['keys'])
        assert res['high_res'].shape == alone['high_res'].shape
        for key in ('cam', 'high_res'):
            assert float(np.abs(res[key] - alone[key]).max(initial=0)) < 1e-4, key
    # not all zero (the fused max is below 1 where the branches peak apart)
    assert together[2]['high_res'].max() > 0.1 and together[3]['keys'].size == 0
    # a bounded chunk of (image, class) items gives the same maps
    if climb:
        chunked = infer_cams_batch(
            model, imgs, keys, **dict(kw, climbing=dict(climbing, chunk_size=3))
        )
        assert float(np.abs(chunked[2]['high_res'] - together[2]['high_res']).max()) < 1e-4


def test_image_batch_refuses_mixed_sizes():
    model = model_of('lite0')
    a, ka = voc_image(1, size=(48, 64))
    b, kb = voc_image(2, size=(64, 48))
    with pytest.raises(ValueError, match='one size'):
        infer_cams_batch(model, [a, b], [ka, kb], scales=(1.0,))
    with pytest.raises(ValueError, match='key lists'):
        infer_cams_batch(model, [a], [ka, kb], scales=(1.0,))
