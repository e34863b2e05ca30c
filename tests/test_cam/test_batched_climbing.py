"""Class-batched anti-adversarial climbing equals the one-class-at-a-time loop, on a real
voc-mini image (tiny size), both AMR branches, Lite0 and ResNet-50, 1, 2 and 4 classes."""

import numpy as np
import pytest
import torch

from projects.amr.cam import climb_class_maps, infer_cams
from projects.amr.cam.inference import _scaled_batch, normalisation_of
from tests.test_cam.helpers import LITE0_CFG, R50_CFG, build_amr, voc_image

MODELS = {}


def model_of(name: str) -> torch.nn.Module:
    if name not in MODELS:
        MODELS[name] = build_amr(LITE0_CFG if name == 'lite0' else R50_CFG)
    return MODELS[name]


@pytest.mark.parametrize('num_classes', [1, 2, 4])
@pytest.mark.parametrize('name', ['lite0', 'r50'])
def test_batched_equals_sequential(name, num_classes):
    """infer_cams with the released settings: scale 1.0 climbs 3 times, 0.5 once (iters // 2)."""
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
    x = _scaled_batch(rgb, 0.5, mean, std, resize='pil')
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
