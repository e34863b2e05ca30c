"""The released make_cam semantics (Grad-CAM maps, PIL uint8 pyramid, per-iteration
restriction mask) against an independent implementation of their definitions, on a real
voc-mini image."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from projects.amr.cam import climb_class_map, infer_cams
from projects.amr.cam.inference import class_pair_maps, normalisation_of, scaled_pair
from projects.amr.cam.map_extractors import gradcam_scale, positive_weight_counts
from tests.test_cam.helpers import (
    LITE0_CFG,
    R50_CFG,
    autograd_gradcam,
    build_amr,
    reference_climb,
    released_schedule,
    voc_image,
)

SCALES = (1.0, 0.5)


@pytest.fixture(scope='module')
def lite0():
    return build_amr(LITE0_CFG)


def pil_pair(model, rgb: np.ndarray, scale: float) -> torch.Tensor:
    """The released MSF input: PIL bicubic on uint8 (when scale != 1), normalise, add flip."""
    h, w = rgb.shape[:2]
    if scale != 1.0:
        size = (int(np.round(w * scale)), int(np.round(h * scale)))
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.BICUBIC))
    mean, std, _ = normalisation_of(model)
    x = (torch.from_numpy(rgb.copy()).permute(2, 0, 1).float() - mean) / std
    return torch.stack([x, x.flip(-1)])


def reference_infer(model, img_bgr, keys, scales, iters=None, restriction_mask='per_iteration'):
    """make_cam's aggregation over the definitions of helpers.py (0.5 branch fusion)."""
    rgb = np.ascontiguousarray(img_bgr[..., ::-1])
    H, W = rgb.shape[:2]
    size4 = (math.ceil(H / 4), math.ceil(W / 4))
    size_up = (16 * math.ceil(H / 16), 16 * math.ceil(W / 16))
    fused_cam, fused_hr = 0, 0
    for branch in (0, 1):
        cams, hrs = [], []
        for c in keys:
            cam_sum, hr_sum = 0, 0
            for scale in scales:
                x = pil_pair(model, rgb, scale)
                if iters is None:
                    amap = autograd_gradcam(model, x.requires_grad_(True), c, branch)[0]
                else:
                    n, mul = released_schedule(iters, scale == 0.5)
                    amap = reference_climb(model, x, c, branch, n, restriction_mask, multiplier=mul)
                m = amap.detach()[None, None]
                cam_sum = cam_sum + F.interpolate(m, size4, mode='bilinear')[0, 0]
                hr_sum = hr_sum + F.interpolate(m, size_up, mode='bilinear')[0, 0, :H, :W]
            cams.append(cam_sum / (cam_sum.max() + 1e-5))
            hrs.append(hr_sum / (hr_sum.max() + 1e-5))
        fused_cam = fused_cam + 0.5 * torch.stack(cams)
        fused_hr = fused_hr + 0.5 * torch.stack(hrs)
    return fused_cam.numpy(), fused_hr.numpy()


def test_pil_resize_is_released_rescale(lite0):
    img, _ = voc_image(2)
    rgb = np.ascontiguousarray(img[..., ::-1])
    mean, std, _ = normalisation_of(lite0)
    t = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float()
    for scale in (0.5, 0.75, 1.25):
        ours = scaled_pair(t, scale, mean, std, resize='pil')
        torch.testing.assert_close(ours, pil_pair(lite0, rgb, scale), rtol=0, atol=1e-6)
    # torch's float bicubic is a different pyramid at 0.5 (what the switch is about)
    diff = (scaled_pair(t, 0.5, mean, std, 'torch') - pil_pair(lite0, rgb, 0.5)).abs().max()
    assert diff > 1e-2
    with pytest.raises(ValueError, match="resize must be one of .*'bilinear'"):
        scaled_pair(t, 0.5, mean, std, resize='bilinear')


@pytest.mark.parametrize('cfg', [LITE0_CFG, R50_CFG], ids=['lite0', 'r50'])
def test_gradcam_closed_form_equals_autograd(cfg):
    """The closed form ReLU(CAM) * n_i / (N_c+ (n_0 + n_1)) is the hooked Grad-CAM."""
    model = build_amr(cfg)
    img, keys = voc_image(2)
    x = pil_pair(model, np.ascontiguousarray(img[..., ::-1]), 1.0)
    for branch in (0, 1):
        with torch.no_grad():
            raw = model.branch_cam(x, branch)
        pos = positive_weight_counts(model, branch, keys)
        ours = class_pair_maps(raw, torch.tensor(keys), 'gradcam', pos)
        for i, c in enumerate(keys):
            ref = autograd_gradcam(model, x.clone().requires_grad_(True), c, branch)[0].detach()
            assert ref.max() > 0
            torch.testing.assert_close(ours[i], ref, rtol=1e-4, atol=1e-6 * float(ref.max()))
        # the factor is not one constant: image and flip weigh differently
        scale = gradcam_scale(raw[:, keys].transpose(0, 1), pos)
        assert (scale > 0).all() and not torch.allclose(scale[:, 0], scale[:, 1])


@pytest.mark.parametrize(
    'iters,restriction_mask',
    [(None, 'per_iteration'), (3, 'per_iteration'), (3, 'cumulative')],
    ids=['no-climbing', 'climb3-per-iteration', 'climb3-cumulative'],
)
def test_infer_cams_released_semantics(lite0, iters, restriction_mask):
    img, keys = voc_image(2)
    climbing = (
        None
        if iters is None
        else dict(iters=iters, step=0.08, lam=7.0, mask_thr=0.5, restriction_mask=restriction_mask)
    )
    ours = infer_cams(
        lite0, img, keys, SCALES, climbing=climbing, map_extractor='gradcam', resize='pil'
    )
    ref_cam, ref_hr = reference_infer(lite0, img, keys, SCALES, iters, restriction_mask)
    assert ref_hr.max() > 0.5  # each branch peaks at 1 before the 0.5 / 0.5 fusion
    np.testing.assert_allclose(ours['cam'], ref_cam, atol=1e-4)
    np.testing.assert_allclose(ours['high_res'], ref_hr, atol=1e-4)
    # the project's earlier maps are measurably different (the test can fail)
    plain = infer_cams(lite0, img, keys, SCALES, climbing=climbing)
    assert np.abs(plain['high_res'] - ref_hr).max() > 1e-3
    if climbing is not None:  # and so is the other restriction mask
        other = 'cumulative' if restriction_mask == 'per_iteration' else 'per_iteration'
        alt = infer_cams(
            lite0,
            img,
            keys,
            SCALES,
            climbing=dict(climbing, restriction_mask=other),
            map_extractor='gradcam',
            resize='pil',
        )
        assert np.abs(alt['high_res'] - ref_hr).max() > 1e-4


def test_switch_errors(lite0):
    img, keys = voc_image(1)
    with pytest.raises(ValueError, match="map_extractor must be one of .*'gradcams'"):
        infer_cams(lite0, img, keys, SCALES, map_extractor='gradcams')
    with pytest.raises(ValueError, match="climbing.restriction_mask .*'always'"):
        infer_cams(lite0, img, keys, SCALES, climbing=dict(iters=2, restriction_mask='always'))
    with pytest.raises(ValueError, match=r"unknown climbing key\(s\) \['iterations'\]"):
        infer_cams(lite0, img, keys, SCALES, climbing=dict(iterations=2))
    with pytest.raises(ValueError, match='chunk_size must be a positive int'):
        infer_cams(lite0, img, keys, SCALES, climbing=dict(iters=2, chunk_size=0))
    x = torch.zeros(2, 3, 32, 32)
    with pytest.raises(ValueError, match='classifier of branch 0'):
        climb_class_map(torch.nn.Identity(), x, 0, iters=2, map_extractor='gradcam')


def test_faithful_config_defaults():
    """The R50 AMR config runs the released semantics; the Lite0 one keeps plain CAMs."""
    from mmengine.config import Config

    from projects.amr.cam.inference import check_climbing
    from projects.amr.engine.hooks import PseudoLabelHook
    from tools.make_cam import HOOK_KEYS, hook_settings

    r50 = hook_settings(Config.fromfile(R50_CFG))
    assert set(r50) - {'dataset', 'out_dir', 'eval_ann_file', 'eval_seg_dir'} <= set(HOOK_KEYS)
    hook = PseudoLabelHook(**r50)
    kw = hook.settings.to_dict()
    assert kw['map_extractor'] == 'gradcam' and kw['resize'] == 'pil'
    assert kw['climbing']['restriction_mask'] == 'per_iteration' and kw['climbing']['batched']
    check_climbing(kw['climbing'])
    lite0 = PseudoLabelHook(**hook_settings(Config.fromfile(LITE0_CFG))).settings.to_dict()
    assert (lite0['map_extractor'], lite0['resize'], lite0['climbing']) == ('cam', 'torch', None)
