"""Multi-scale + flip CAM inference in IRN's ``.npy`` format (``keys``, ``cam``, ``high_res``).

For every scale the image and its horizontal flip form one batch of 2 (so a branch with
batch-statistics normalisation, AMR's AMM, sees the same batch as in the released code); the
model's ``cams()`` gives the raw CAMs of each branch; per branch and present class the map is
``map(img) + flip(map(flipped img))`` (or the anti-adversarial-climbing accumulation,
:mod:`.adversarial_climbing`), resized bilinearly to the stride-4 grid
``ceil(H/4) x ceil(W/4)`` (``cam``) and to ``s*ceil(H/s) x s*ceil(W/s)`` cropped to ``H x W``
(``high_res``, ``s`` the model's output stride), summed over scales, max-normalised per class
(``A / (max A + 1e-5)``), then the branches are fused with fixed weights (0.5/0.5 for AMR's
spotlight and compensation branches). Reference: IRN/AMR ``step/make_cam.py``.

Three switches choose between the released computation and the project's earlier one:

* ``map_extractor``: ``'gradcam'`` (released ``step/gradCAM.py``; :mod:`.map_extractors`)
  or ``'cam'`` (ReLU(CAM)); they differ by a per-image, per-scale factor, which changes the
  image/flip and scale weighting of the sums and the strength of climbing's restriction term.
* ``resize``: ``'pil'`` (released: PIL bicubic on the uint8 image, rounded back to uint8,
  then normalised) or ``'torch'`` (torch bicubic in float, antialiased when shrinking).
* ``restriction_mask`` (a ``climbing`` key): ``'per_iteration'`` (released AMR) or
  ``'cumulative'`` (AdvCAM).

:func:`infer_cams_batch` runs several images of one size together: at every scale their
pairs form one batch (the AMM gates and batch-statistics BN pool per pair), and with climbing
all (image, present class) items climb in one batch. Each image's result equals
:func:`infer_cams` on it alone up to float rounding.
"""

import math
from collections.abc import Sequence
from typing import Optional, Union

import mmcv
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from ..models.plugins.amm import amm_group_size
from .adversarial_climbing import climb_pair_maps
from .map_extractors import (
    MAP_EXTRACTORS,
    RESIZES,
    RESTRICTION_MASKS,
    check_choice,
    pair_maps,
    positive_weight_counts,
)

CLIMBING_KEYS = (
    'iters',
    'step',
    'lam',
    'mask_thr',
    'multiplier',
    'branch_only',
    'restriction_mask',
    'batched',
    'chunk_size',
    'half_iters_scales',
)

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
    img: torch.Tensor,
    scale: float,
    mean: torch.Tensor,
    std: torch.Tensor,
    resize: str = 'torch',
) -> torch.Tensor:
    """Rescale a (3, H, W) 0..255 image, normalise, add its flip: (2, 3, h, w).

    ``resize='torch'``: torch bicubic in float (antialiased when shrinking), clamped to
    0..255. ``resize='pil'``: the released ``imutils.pil_rescale``, PIL bicubic on the uint8
    image (the input is rounded to uint8 first) with a uint8 result.
    """
    check_choice('resize', resize, RESIZES)
    _, h, w = img.shape
    x = img[None]
    if scale != 1.0:
        size = (max(1, int(round(h * scale))), max(1, int(round(w * scale))))
        if resize == 'pil':
            arr = img.detach().round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).cpu()
            out = Image.fromarray(np.ascontiguousarray(arr.numpy())).resize(
                (size[1], size[0]), Image.BICUBIC
            )
            x = torch.from_numpy(np.array(out)).permute(2, 0, 1)[None]
            x = x.to(device=img.device, dtype=torch.float32)
        else:
            x = F.interpolate(
                x, size=size, mode='bicubic', align_corners=False, antialias=scale < 1.0
            ).clamp_(0, 255)
    x = (x - mean) / std
    return torch.cat([x, x.flip(-1)], dim=0)


def _pair_map(
    cams: torch.Tensor,
    keys: torch.Tensor,
    map_extractor: str = 'cam',
    pos_weights: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """``map(cam[0]) + flip(map(cam[1]))`` of the classes ``keys``: (K, h, w).

    Args:
        cams (Tensor): Raw CAMs of an image/flip pair, (2, num_classes, h, w).
        keys (Tensor): Classes (K,).
        map_extractor (str): See :func:`.map_extractors.pair_maps`.
        pos_weights (Tensor, optional): ``N_c+`` of each key (``'gradcam'``).
    """
    return pair_maps(cams[:, keys].transpose(0, 1), map_extractor, pos_weights)


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
    map_extractor: str = 'cam',
    resize: str = 'torch',
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
        climbing (dict, optional): Anti-adversarial climbing settings, None for plain CAMs:
            kwargs of :func:`climb_pair_maps` (``iters``, ``step``, ``lam``, ``mask_thr``,
            ``multiplier``, ``branch_only``, ``restriction_mask``, ``chunk_size``), plus
            ``half_iters_scales`` (scales climbed ``iters // 2`` times, default ``(0.5,)``,
            the released quirk) and ``batched`` (default True: all present classes climb
            together as one batch of ``2 K`` images, at most ``chunk_size`` classes at a
            time; False: one class after the other, the released loop; the maps are equal),
            e.g. ``dict(iters=27, step=0.08, lam=7.0, mask_thr=0.5,
            restriction_mask='per_iteration')``. Costs about ``iters`` forward and backward
            passes per class, scale and branch.
        output_stride (int): The model's CAM stride (16 for AMR's ResNet / Lite0 at OS 16),
            for the ``high_res`` upsampling grid.
        cam_stride (int): Stride of ``cam`` (4, IRN's).
        fp16 (bool): Store ``cam`` / ``high_res`` as float16.
        map_extractor (str): ``'gradcam'``: the released Grad-CAM maps (ReLU(CAM) times a
            per-image factor ``n_i / (N_c+ (n_0 + n_1))``, :mod:`.map_extractors`); the
            factor weights the image against its flip and the scales against each other,
            and inside climbing it sets the strength of the restriction term as released.
            Needs the model's bias-free 1x1 classifiers. ``'cam'``: plain ReLU(CAM), works
            with any ``cams()`` model. Defaults to ``'cam'``.
        resize (str): Pyramid rescaling. ``'pil'``: as released, PIL bicubic on the uint8
            image, rounded back to uint8, then normalised (at scale 0.5 torch's float bicubic
            differs from it by up to ~3 grey levels). ``'torch'``: torch bicubic in float,
            antialiased when shrinking, on the model's device. Defaults to ``'torch'``.

    Returns:
        dict: ``keys`` (K,) int64, ``cam`` (K, ceil(H/4), ceil(W/4)) and ``high_res``
        (K, H, W) float32 (or float16), max-normalised per class then fused.
    """
    return infer_cams_batch(
        model,
        [img],
        [keys],
        scales=scales,
        branch_weights=branch_weights,
        climbing=climbing,
        output_stride=output_stride,
        cam_stride=cam_stride,
        fp16=fp16,
        map_extractor=map_extractor,
        resize=resize,
    )[0]


def _as_chw(img: Union[np.ndarray, torch.Tensor], to_rgb: bool, device) -> torch.Tensor:
    """A (3, H, W) float32 0..255 tensor in the model's channel order, on ``device``."""
    if isinstance(img, np.ndarray):
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'expected an H x W x 3 image, got {img.shape}')
        if to_rgb:
            img = img[..., ::-1]
        img = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)
    return img.to(device=device, dtype=torch.float32)


def infer_cams_batch(
    model: nn.Module,
    imgs: Sequence[Union[np.ndarray, torch.Tensor]],
    keys_list: Sequence[Sequence[int]],
    scales: Sequence[float] = DEFAULT_SCALES,
    branch_weights: Optional[Sequence[float]] = None,
    climbing: Optional[dict] = None,
    output_stride: int = 16,
    cam_stride: int = 4,
    fp16: bool = False,
    map_extractor: str = 'cam',
    resize: str = 'torch',
) -> list:
    """:func:`infer_cams` of several images of one size, computed together.

    At every scale the image/flip pairs of all images (with at least one class) form one
    batch of ``2 N`` images; with climbing, every (image, present class) item climbs in one
    batch of its own pair (``climbing.chunk_size`` items at a time). The AMM gates and the
    batch-statistics BN of the compensation branch pool per pair (:func:`amm_group_size`), so
    no image sees another: each result equals :func:`infer_cams` of that image alone up to
    float rounding.

    Args:
        model (nn.Module): The CAM model (see :func:`infer_cams`).
        imgs (Sequence): Images of one size (see :func:`infer_cams`'s ``img``).
        keys_list (Sequence[Sequence[int]]): Present classes of each image.
        scales (Sequence[float]): Image scales.
        branch_weights (Sequence[float], optional): Fusion weights of the branches.
        climbing (dict, optional): Climbing settings; ``chunk_size`` counts (image, class)
            items here.
        output_stride (int): The model's CAM stride.
        cam_stride (int): Stride of ``cam``.
        fp16 (bool): Store the maps as float16.
        map_extractor (str): ``'gradcam'`` or ``'cam'``.
        resize (str): ``'pil'`` or ``'torch'``.

    Returns:
        list[dict]: One :func:`infer_cams` dict per image, in order.

    Raises:
        ValueError: The images differ in size, or ``keys_list`` has another length.
    """
    check_choice('map_extractor', map_extractor, MAP_EXTRACTORS)
    check_choice('resize', resize, RESIZES)
    if climbing is not None:
        check_climbing(climbing)
    if len(imgs) != len(keys_list):
        raise ValueError(f'{len(keys_list)} key lists for {len(imgs)} images')
    if not imgs:
        return []
    device = model_device(model)
    mean, std, to_rgb = normalisation_of(model)
    mean, std = mean.to(device), std.to(device)
    tensors = [_as_chw(img, to_rgb, device) for img in imgs]
    sizes = sorted({tuple(t.shape[1:]) for t in tensors})
    if len(sizes) != 1:
        raise ValueError(f'infer_cams_batch needs images of one size, got sizes (h, w) {sizes}')
    H, W = sizes[0]
    keys_np = [np.asarray(sorted({int(k) for k in keys}), dtype=np.int64) for keys in keys_list]
    size4 = (math.ceil(H / cam_stride), math.ceil(W / cam_stride))
    size_up = (
        output_stride * math.ceil(H / output_stride),
        output_stride * math.ceil(W / output_stride),
    )
    dtype = np.float16 if fp16 else np.float32
    results = [
        dict(keys=k, cam=np.zeros((0, *size4), dtype), high_res=np.zeros((0, H, W), dtype))
        for k in keys_np
    ]
    active = [i for i, k in enumerate(keys_np) if k.size]
    if not active:
        return results
    keys_t = [torch.as_tensor(keys_np[i], device=device) for i in active]
    pos_weights: dict = {}

    def pos_of(branch: int, a: int) -> Optional[torch.Tensor]:
        if map_extractor != 'gradcam':
            return None
        if (branch, a) not in pos_weights:
            pos_weights[branch, a] = positive_weight_counts(model, branch, keys_np[active[a]]).to(
                device
            )
        return pos_weights[branch, a]

    # one pair alone keeps the whole-batch statistics path (bit-identical to a batch of 2)
    group = 2 if len(active) > 1 else None
    cam_sums: list = [[] for _ in active]
    hr_sums: list = [[] for _ in active]
    for scale in sorted(float(s) for s in scales):
        pairs = torch.stack([_scaled_batch(tensors[i], scale, mean, std, resize) for i in active])
        if climbing is None:
            with torch.inference_mode(), amm_group_size(model, group):
                cams = model.cams(pairs.flatten(0, 1))
                maps = [
                    [
                        _pair_map(c[2 * a : 2 * a + 2], keys_t[a], map_extractor, pos_of(b, a))
                        for b, c in enumerate(cams)
                    ]
                    for a in range(len(active))
                ]
        else:
            maps = _climbed_maps(
                model, pairs, [keys_np[i] for i in active], scale, climbing, map_extractor
            )
        for a, per_branch in enumerate(maps):
            for b, m in enumerate(per_branch):
                m = m[None].float()
                c4 = F.interpolate(m, size4, mode='bilinear', align_corners=False)[0]
                hr = F.interpolate(m, size_up, mode='bilinear', align_corners=False)[0, :, :H, :W]
                if b == len(cam_sums[a]):
                    cam_sums[a].append(c4)
                    hr_sums[a].append(hr)
                else:
                    cam_sums[a][b] = cam_sums[a][b] + c4
                    hr_sums[a][b] = hr_sums[a][b] + hr

    n = len(cam_sums[0])
    weights = [1.0 / n] * n if branch_weights is None else [float(w) for w in branch_weights]
    if len(weights) != n:
        raise ValueError(f'{len(weights)} branch weights for a model with {n} branches')
    for a, i in enumerate(active):
        cam = sum(w * _max_norm(c) for w, c in zip(weights, cam_sums[a]))
        high_res = sum(w * _max_norm(h) for w, h in zip(weights, hr_sums[a]))
        results[i] = dict(
            keys=keys_np[i],
            cam=cam.cpu().numpy().astype(dtype),
            high_res=high_res.cpu().numpy().astype(dtype),
        )
    return results


def check_climbing(climbing: dict) -> None:
    """Raise a ValueError naming any unknown key or bad value of a ``climbing`` dict."""
    if not isinstance(climbing, dict):
        raise ValueError(f'climbing must be a dict or None, got {climbing!r}')
    unknown = sorted(set(climbing) - set(CLIMBING_KEYS))
    if unknown:
        raise ValueError(f'unknown climbing key(s) {unknown}; known: {list(CLIMBING_KEYS)}')
    if 'restriction_mask' in climbing:
        check_choice('climbing.restriction_mask', climbing['restriction_mask'], RESTRICTION_MASKS)
    chunk = climbing.get('chunk_size')
    if chunk is not None and (not isinstance(chunk, int) or chunk < 1):
        raise ValueError(f'climbing.chunk_size must be a positive int or None, got {chunk!r}')
    if not isinstance(climbing.get('batched', True), bool):
        raise ValueError(f'climbing.batched must be a bool, got {climbing["batched"]!r}')


def _climbed_maps(
    model: nn.Module,
    pairs: torch.Tensor,
    keys: Sequence[np.ndarray],
    scale: float,
    climbing: dict,
    map_extractor: str = 'cam',
) -> list:
    """Climbing accumulations per image and branch: ``[[(K_i, h, w) per branch] per image]``.

    Args:
        model (nn.Module): The CAM model.
        pairs (Tensor): The image/flip pair of every image, (N, 2, 3, h, w).
        keys (Sequence[np.ndarray]): Present classes of each image (non-empty).
        scale (float): The pairs' scale (``half_iters_scales`` climb ``iters // 2``).
        climbing (dict): Climbing settings (see :func:`infer_cams`).
        map_extractor (str): ``'gradcam'`` or ``'cam'``.
    """
    num_branches = getattr(model, 'num_branches', None)
    if num_branches is None:
        with torch.inference_mode():
            num_branches = len(model.cams(pairs[0]))
    cfg = dict(climbing)
    half_scales = cfg.pop('half_iters_scales', (0.5,))
    iters = int(cfg.pop('iters', 27))
    batched = cfg.pop('batched', True)
    chunk_size = cfg.pop('chunk_size', None)
    if not batched:
        chunk_size = 1
    if any(abs(scale - s) < 1e-6 for s in half_scales):
        iters = iters // 2
    owner = [a for a, k in enumerate(keys) for _ in range(k.size)]
    classes = [int(c) for k in keys for c in k]
    item_pairs = pairs[torch.as_tensor(owner, device=pairs.device)]
    per_branch = [
        climb_pair_maps(
            model,
            item_pairs,
            classes,
            branch=b,
            iters=iters,
            map_extractor=map_extractor,
            chunk_size=chunk_size,
            **cfg,
        )
        for b in range(num_branches)
    ]
    bounds = np.cumsum([0] + [k.size for k in keys])
    return [[m[bounds[a] : bounds[a + 1]] for m in per_branch] for a in range(len(keys))]
