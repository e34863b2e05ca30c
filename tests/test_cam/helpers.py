"""Shared pieces of the faithful / batched CAM tests: real voc-mini images, models, and an
independent Grad-CAM written from its definition (forward hooks + autograd on the features)."""

import logging
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
    w = g.sum(dim=(2, 3)) / (g > 0).sum()
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
