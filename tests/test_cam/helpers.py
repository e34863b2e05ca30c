"""Shared pieces of the faithful / batched CAM tests: real voc-mini images, models, and an
independent Grad-CAM written from its definition (forward hooks + autograd on the features)."""

import logging
import math
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from PIL import Image

from tests.conftest import REPO, VOC_MINI_LABELS, VOC_MINI_ROOT

LITE0_CFG = osp.join(REPO, 'configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py')
R50_CFG = osp.join(REPO, 'configs/amr/amr_r50_1xb16-8e_voc12aug-512x512.py')
# voc-mini train ids with 1, 2, 3 and 4 image-level classes
IDS = {1: '2007_000175', 2: '2007_000063', 3: '2007_000904', 4: '2007_001185'}


def voc_image(num_classes: int, size: tuple = (72, 96)) -> tuple[np.ndarray, list]:
    """A real voc-mini image (BGR uint8, resized to ``size`` = (h, w)) and its classes."""
    if not osp.isdir(VOC_MINI_ROOT) or not osp.isfile(VOC_MINI_LABELS):
        pytest.skip(
            f'real-data test: {VOC_MINI_ROOT} is absent (the ../shared folder beside '
            'the repository holds voc-mini)'
        )
    img_id = IDS[num_classes]
    img = cv2.imread(osp.join(VOC_MINI_ROOT, 'JPEGImages', img_id + '.jpg'))
    img = cv2.resize(img, size[::-1], interpolation=cv2.INTER_AREA)
    labels = np.load(VOC_MINI_LABELS, allow_pickle=True).item()
    keys = np.nonzero(np.asarray(labels[int(img_id.replace('_', ''))]))[0].tolist()
    assert len(keys) == num_classes
    return img, keys


def build_amr(cfg_path: str) -> torch.nn.Module:
    """The config's AMR model in eval mode: Lite0 with its offline ImageNet weights in both
    branches, ResNet-50 randomly initialised (no download); AMMs and heads random."""
    cfg = Config.fromfile(cfg_path)
    init_default_scope('mmpretrain')
    model_cfg = cfg.model
    model_cfg.update(spotlight_checkpoint=None)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    if model_cfg.backbone.type == 'EfficientNetLite':
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(logging.WARNING)  # init_weights logs every parameter
        try:
            model.init_weights()
        finally:
            logger.setLevel(level)
    else:
        centre_classifiers(model.eval())
    return model.eval()


@torch.no_grad()
def centre_classifiers(model: torch.nn.Module, size: tuple = (64, 64)) -> None:
    """Make a random network's CAMs change sign across the image.

    With random weights and non-negative features, a class's CAM W_c . f has the sign of
    W_c . mean(f) almost everywhere (all cells positive or none). Removing from each W_c its
    component along the mean feature of a random batch centres every class's CAM at zero.
    """
    torch.manual_seed(1)
    x = torch.randn(2, 3, *size)
    for branch in (0, 1):
        backbone, head = branch_modules(model, branch)
        f = backbone(x)[-1]
        mu = f.mean(dim=(0, 2, 3))
        w = head.classifier.weight.data.flatten(1)
        w -= (w @ mu)[:, None] * mu[None] / (mu @ mu)


def branch_modules(model: torch.nn.Module, branch: int) -> tuple:
    """(backbone, head) of one AMR branch."""
    if branch == 0:
        return model.spotlight_backbone, model.spotlight_head
    return model.compensation_backbone, model.compensation_head


def autograd_gradcam(
    model: torch.nn.Module, x: torch.Tensor, cls: int, branch: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Grad-CAM of ``cls`` by its definition, and the raw CAMs of the forward.

    The stage-4 features ``f`` (2, C, h, w) are caught with a forward hook on the branch's
    backbone; target = global sum of ReLU(CAM_c) over the image/flip pair; channel weights =
    spatial sum of d target / d f divided by the number of positive entries of that whole
    gradient tensor; map = ReLU(sum_k w_k f_k); returns map[0] + flip(map[1]) (graph kept,
    the weights detached as in the released code) and the raw CAMs (2, num_classes, h, w).
    """
    backbone, _ = branch_modules(model, branch)
    caught = {}
    handle = backbone.register_forward_hook(lambda m, i, o: caught.__setitem__('f', o[-1]))
    try:
        raw = model.branch_cam(x, branch)
    finally:
        handle.remove()
    f = caught['f']
    target = F.relu(raw[:, cls]).sum()
    (g,) = torch.autograd.grad(target, f, retain_graph=True)
    w = g.sum(dim=(2, 3)) / ((g > 0).sum() + 1e-12)  # gap2d_pos: 0 without a positive entry
    m = F.relu((w[:, :, None, None] * f).sum(dim=1))
    return m[0] + m[1].flip(-1), raw


def reference_climb(
    model: torch.nn.Module,
    x: torch.Tensor,
    cls: int,
    branch: int,
    iters: int,
    restriction_mask: str = 'per_iteration',
    step: float = 0.08,
    lam: float = 7.0,
    mask_thr: float = 0.5,
    multiplier: float = 2.0,
) -> torch.Tensor:
    """AMR's climbing loop on autograd Grad-CAM maps, one class, the pair alone."""
    x = x.detach().clone()
    acc, init, mask = 0, None, None
    for t in range(iters):
        x.requires_grad_(True)
        amap, raw = autograd_gradcam(model, x, cls, branch)
        acc = acc + multiplier * amap.detach()
        if t == iters - 1:
            break
        if init is None:
            init = amap.detach().clone()
            mask = torch.zeros_like(init, dtype=torch.bool)
        current = amap.detach() / (amap.detach().max() + 1e-12) > mask_thr
        mask = mask | current if restriction_mask == 'cumulative' else current
        scores = F.relu(raw).mean(dim=(2, 3))
        objective = 2 * scores[:, cls].sum() - scores.sum()
        objective = objective - lam * ((amap - init).abs() * mask).sum()
        (grad,) = torch.autograd.grad(objective, x)
        with torch.no_grad():
            x = (x + step * grad / grad.abs().max()).clamp(x.min(), x.max())
        x = x.detach()
    return acc


def released_pair(rgb: np.ndarray, scale: float) -> torch.Tensor:
    """The released MSF input of one scale: ``pil_rescale`` (PIL bicubic on the uint8 RGB
    image, skipped at scale 1), ``img_normal`` (ImageNet mean / std on ``img / 255``), stacked
    with its horizontal flip: (2, 3, h, w)."""
    h, w = rgb.shape[:2]
    if scale != 1.0:
        size = (int(np.round(w * scale)), int(np.round(h * scale)))
        rgb = np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).resize(size, Image.BICUBIC))
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    x = torch.from_numpy(((rgb.astype(np.float32) / 255.0 - mean) / std).transpose(2, 0, 1))
    return torch.stack([x, x.flip(-1)])


def released_iterations(adv_iter: int, state: dict) -> int:
    """The released ``total_adv_iter`` of the scale-0.5 level (``size_idx == 1``), setting
    ``state['mul_for_scale']`` as the released code does (a variable every later scale,
    class and branch reuses)."""
    if adv_iter > 10:
        state['mul_for_scale'] = 2
        return adv_iter // 2
    if adv_iter < 6:
        state['mul_for_scale'] = 1
        return adv_iter
    state['mul_for_scale'] = float(5) / 5
    return 5


def released_schedule(adv_iter: int, half: bool) -> tuple[int, float]:
    """``(total_adv_iter, mul_for_scale)`` of a level, the scale-0.5 level visited first."""
    state: dict = {}
    n_half = released_iterations(adv_iter, state)
    return (n_half if half else adv_iter), state['mul_for_scale']


def released_climb(
    model: torch.nn.Module,
    x: torch.Tensor,
    cls: int,
    branch: int,
    total_iter: int,
    mul: float,
    step: float = 0.08,
    lam: float = 7.0,
    score_th: float = 0.5,
) -> torch.Tensor:
    """The released inner loop of ``_work`` for one class, scale and branch, on the hooked
    autograd Grad-CAM: accumulate ``mul * regions`` (``regions`` of the current image,
    ``init_cam`` the one of iteration 0), mask ``regions / max > score_th`` rebuilt from the
    current map, ascend ``2 g_c - sum g - lam * sum(|regions - init_cam| * mask)``, step
    ``x + step * grad / (max |grad| + 1e-12)`` clamped to the current pair's min / max.
    The released loop also steps after the last accumulation; that step changes no output
    and is skipped here."""
    x = x.detach().clone()
    acc, init_cam = 0, None
    for it in range(total_iter):
        x.requires_grad_(True)
        regions, raw = autograd_gradcam(model, x, cls, branch)
        if it == 0:
            init_cam = regions.detach()
        acc = acc + regions.detach() * mul
        if it == total_iter - 1:
            break
        logit = F.relu(raw).mean(dim=(2, 3))
        logit_loss = -2 * logit[:, cls].sum() + logit.sum()
        expanded_mask = (regions.detach() / regions.detach().max() > score_th).float()
        loss = -logit_loss - lam * torch.sum(torch.abs(regions - init_cam) * expanded_mask)
        (grad,) = torch.autograd.grad(loss, x)
        with torch.no_grad():
            lo, hi = float(x.min()), float(x.max())
            x = torch.clamp(x + step * grad / (grad.abs().max() + 1e-12), lo, hi)
        x = x.detach()
    return acc


def released_make_cam(
    model: torch.nn.Module,
    img_bgr: np.ndarray,
    keys: list,
    scales: tuple,
    adv_iter: int,
    weight: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """``cam`` and ``high_res`` of the released ``step/make_cam.py::_work`` for one image.

    Per branch: the scale levels in the released order (``size_idx`` 1, 2, 0, 3, ...: the
    second listed scale first), every class climbed from the clean pair, ``total_adv_iter``
    and ``mul_for_scale`` as set at ``size_idx == 1`` (:func:`released_iterations`; the
    multiplier then holds for every level); each level's accumulators resized bilinearly to
    the stride-4 grid and to the stride-16-up grid (cropped), summed over the levels,
    divided by their max + 1e-5; the branches fused ``weight`` / ``1 - weight``.
    """
    rgb = np.ascontiguousarray(img_bgr[..., ::-1])
    H, W = rgb.shape[:2]
    strided = (math.ceil(H / 4), math.ceil(W / 4))
    strided_up = (16 * math.ceil(H / 16), 16 * math.ceil(W / 16))
    order = [i for i in [1, 2, 0] + list(range(3, len(scales))) if i < len(scales)]
    state: dict = {}
    fused = []
    for branch in (0, 1):
        outputs = []
        for size_idx in order:
            pair = released_pair(rgb, scales[size_idx])
            total = adv_iter if size_idx != 1 else released_iterations(adv_iter, state)
            outputs.append(
                torch.stack(
                    [
                        released_climb(model, pair, c, branch, total, state['mul_for_scale'])
                        for c in keys
                    ]
                )
            )
        cam = sum(F.interpolate(o[None], strided, mode='bilinear')[0] for o in outputs)
        hr = sum(F.interpolate(o[:, None], strided_up, mode='bilinear') for o in outputs)
        hr = hr[:, 0, :H, :W]
        cam = cam / (F.adaptive_max_pool2d(cam, (1, 1)) + 1e-5)
        hr = hr / (F.adaptive_max_pool2d(hr, (1, 1)) + 1e-5)
        fused.append((cam, hr))
    cam = fused[0][0] * weight + fused[1][0] * (1 - weight)
    hr = fused[0][1] * weight + fused[1][1] * (1 - weight)
    return cam.numpy(), hr.numpy()
