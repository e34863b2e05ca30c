"""Multi-scale + flip CAM inference in IRN's ``.npy`` format (``keys``, ``cam``, ``high_res``).

For every scale the image and its horizontal flip form one batch of 2 (so a branch with
batch-statistics normalisation, AMR's AMM, sees the same batch as in the released code); the
model's ``cams()`` gives the raw CAMs of each branch; per branch and present class the map is
``ReLU(cam(img)) + flip(ReLU(cam(flipped img)))`` (or the anti-adversarial-climbing
accumulation, :mod:`.adversarial_climbing`), resized bilinearly to the stride-4 grid
``ceil(H/4) x ceil(W/4)`` (``cam``) and to ``s*ceil(H/s) x s*ceil(W/s)`` cropped to ``H x W``
(``high_res``, ``s`` the model's output stride), summed over scales, max-normalised per class
(``A / (max A + 1e-5)``), then the branches are fused with fixed weights (0.5/0.5 for AMR's
spotlight and compensation branches). Reference: IRN/AMR ``step/make_cam.py``.
"""

import math
from collections.abc import Sequence
from typing import Optional, Union

import mmcv
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .adversarial_climbing import climb_class_map

DEFAULT_SCALES = (1.0, 0.5, 0.75, 1.25, 1.5, 1.75, 2.0)


def model_device(model: nn.Module) -> torch.device:
    """Device of the model's first parameter (CPU for a parameter-less model)."""
    for p in model.parameters():
        return p.device
    return torch.device('cpu')


def normalisation_of(model: nn.Module) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """Mean, std (3, 1, 1) and the BGR->RGB flag of the model's data preprocessor.

    Falls back to ImageNet statistics (RGB order) when the model has none.
    """
    pre = getattr(model, 'data_preprocessor', None)
    mean = getattr(pre, 'mean', None)
    std = getattr(pre, 'std', None)
    to_rgb = bool(getattr(pre, 'to_rgb', getattr(pre, '_channel_conversion', True)))
    if mean is None or std is None or not getattr(pre, '_enable_normalize', True):
        mean = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
        std = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)
    return mean.detach().float().view(3, 1, 1), std.detach().float().view(3, 1, 1), to_rgb


def load_image(path: str) -> np.ndarray:
    """Read an image as mmcv does (BGR uint8, H x W x 3)."""
    img = mmcv.imread(path, channel_order='bgr')
    if img is None:
        raise FileNotFoundError(f'cannot read image: {path}')
    return img


def _scaled_batch(
    img: torch.Tensor, scale: float, mean: torch.Tensor, std: torch.Tensor
) -> torch.Tensor:
    """Bicubic (antialiased, PIL-like) rescale of a (3, H, W) 0..255 image, normalise, add flip."""
    _, h, w = img.shape
    x = img[None]
    if scale != 1.0:
        size = (max(1, int(round(h * scale))), max(1, int(round(w * scale))))
        x = F.interpolate(
            x, size=size, mode='bicubic', align_corners=False, antialias=scale < 1.0
        ).clamp_(0, 255)
    x = (x - mean) / std
    return torch.cat([x, x.flip(-1)], dim=0)


def _pair_map(cams: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """``ReLU(cam[0]) + flip(ReLU(cam[1]))`` of the classes ``keys``: (K, h, w)."""
    c = F.relu(cams[:, keys])
    return c[0] + c[1].flip(-1)


def _max_norm(x: torch.Tensor) -> torch.Tensor:
    return x / (x.flatten(1).max(dim=1)[0].view(-1, 1, 1) + 1e-5)


def infer_cams(
    model: nn.Module,
    img: Union[np.ndarray, torch.Tensor],
    keys: Sequence[int],
    scales: Sequence[float] = DEFAULT_SCALES,
    branch_weights: Optional[Sequence[float]] = None,
    climbing: Optional[dict] = None,
    output_stride: int = 16,
    cam_stride: int = 4,
    fp16: bool = False,
) -> dict:
    """Multi-scale + flip CAMs of one image, IRN's format.

    Args:
        model (nn.Module): Has ``cams(inputs) -> tuple[Tensor]``, raw (pre-ReLU) CAMs
            (N, num_classes, h, w) per branch, and ``data_preprocessor`` mean / std.
        img (np.ndarray | Tensor): The image, H x W x 3 uint8 BGR as loaded by mmcv
            (converted to RGB when the preprocessor has ``to_rgb``), or a (3, H, W)
            tensor already in the model's channel order, 0..255.
        keys (Sequence[int]): 0-based foreground classes of the image (its image-level
            label); only these maps are computed.
        scales (Sequence[float]): Image scales; the order does not matter.
        branch_weights (Sequence[float], optional): Fusion weights of the branches;
            default equal weights summing to 1 (0.5/0.5 for AMR, 1.0 for one branch).
        climbing (dict, optional): Anti-adversarial climbing settings (kwargs of
            :func:`climb_class_map`, e.g. ``dict(iters=27, step=0.08, lam=7.0,
            mask_thr=0.5)``); None for plain CAMs. Costs about ``iters`` forward and
            backward passes per class, scale and branch.
        output_stride (int): The model's CAM stride (16 for AMR's ResNet / Lite0 at OS 16),
            for the ``high_res`` upsampling grid.
        cam_stride (int): Stride of ``cam`` (4, IRN's).
        fp16 (bool): Store ``cam`` / ``high_res`` as float16.

    Returns:
        dict: ``keys`` (K,) int64, ``cam`` (K, ceil(H/4), ceil(W/4)) and ``high_res``
        (K, H, W) float32 (or float16), max-normalised per class then fused.
    """
    device = model_device(model)
    mean, std, to_rgb = normalisation_of(model)
    mean, std = mean.to(device), std.to(device)
    if isinstance(img, np.ndarray):
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'expected an H x W x 3 image, got {img.shape}')
        if to_rgb:
            img = img[..., ::-1]
        img = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)
    img = img.to(device=device, dtype=torch.float32)
    _, H, W = img.shape
    keys_np = np.asarray(sorted({int(k) for k in keys}), dtype=np.int64)
    K = keys_np.size
    size4 = (math.ceil(H / cam_stride), math.ceil(W / cam_stride))
    size_up = (
        output_stride * math.ceil(H / output_stride),
        output_stride * math.ceil(W / output_stride),
    )
    dtype = np.float16 if fp16 else np.float32
    if K == 0:
        return dict(
            keys=keys_np, cam=np.zeros((0, *size4), dtype), high_res=np.zeros((0, H, W), dtype)
        )
    keys_t = torch.as_tensor(keys_np, device=device)

    cam_sums: list = []
    hr_sums: list = []
    for scale in sorted(float(s) for s in scales):
        x = _scaled_batch(img, scale, mean, std)
        if climbing is None:
            with torch.inference_mode():
                maps = [_pair_map(c, keys_t) for c in model.cams(x)]
        else:
            maps = _climbed_maps(model, x, keys_np, scale, climbing)
        for b, m in enumerate(maps):
            m = m[None].float()
            c4 = F.interpolate(m, size4, mode='bilinear', align_corners=False)[0]
            hr = F.interpolate(m, size_up, mode='bilinear', align_corners=False)[0, :, :H, :W]
            if b == len(cam_sums):
                cam_sums.append(c4)
                hr_sums.append(hr)
            else:
                cam_sums[b] = cam_sums[b] + c4
                hr_sums[b] = hr_sums[b] + hr

    n = len(cam_sums)
    weights = [1.0 / n] * n if branch_weights is None else [float(w) for w in branch_weights]
    if len(weights) != n:
        raise ValueError(f'{len(weights)} branch weights for a model with {n} branches')
    cam = sum(w * _max_norm(c) for w, c in zip(weights, cam_sums))
    high_res = sum(w * _max_norm(h) for w, h in zip(weights, hr_sums))
    return dict(
        keys=keys_np,
        cam=cam.cpu().numpy().astype(dtype),
        high_res=high_res.cpu().numpy().astype(dtype),
    )


def _climbed_maps(
    model: nn.Module, x: torch.Tensor, keys: np.ndarray, scale: float, climbing: dict
) -> list:
    """Per branch, the climbing accumulations of every key stacked: [(K, h, w), ...]."""
    num_branches = getattr(model, 'num_branches', None)
    if num_branches is None:
        with torch.inference_mode():
            num_branches = len(model.cams(x))
    cfg = dict(climbing)
    half_scales = cfg.pop('half_iters_scales', (0.5,))
    iters = int(cfg.pop('iters', 27))
    if any(abs(scale - s) < 1e-6 for s in half_scales):
        iters = iters // 2
    return [
        torch.stack([climb_class_map(model, x, int(c), branch=b, iters=iters, **cfg) for c in keys])
        for b in range(num_branches)
    ]
