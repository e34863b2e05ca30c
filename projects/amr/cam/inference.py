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
from .map_extractors import RESIZES, check_choice, pair_maps, positive_weight_counts
from .settings import (  # noqa: F401  (CLIMBING_KEYS, DEFAULT_SCALES, check_climbing: public)
    CLIMBING_KEYS,
    DEFAULT_SCALES,
    CAMSettings,
    ClimbingSettings,
    check_climbing,
)


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


def scaled_pair(
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


def class_pair_maps(
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


def max_norm(x: torch.Tensor) -> torch.Tensor:
    """Per-class max normalisation of (K, h, w) maps: ``x / (max x + 1e-5)``."""
    return x / (x.flatten(1).max(dim=1)[0].view(-1, 1, 1) + 1e-5)


def infer_cams(
    model: nn.Module,
    img: Union[np.ndarray, torch.Tensor],
    keys: Sequence[int],
    settings: Union[CAMSettings, Sequence[float], dict, None] = None,
    **fields,
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
        settings (CAMSettings, optional): How the maps are computed (scales, climbing,
            ``map_extractor``, ``resize``, ...; see :class:`CAMSettings`); a config dict of
            its fields or a sequence of scales is accepted too. None: the defaults.
        **fields: :class:`CAMSettings` fields replacing those of ``settings``.

    Climbing costs about ``iters`` forward and backward passes per class, scale and branch.
    ``map_extractor='gradcam'`` (the released Grad-CAM maps, ReLU(CAM) times a per-image
    factor ``n_i / (N_c+ (n_0 + n_1))``, :mod:`.map_extractors`) weights the image against its
    flip and the scales against each other, and inside climbing sets the strength of the
    restriction term as released; it needs the model's bias-free 1x1 classifiers.
    ``resize='pil'`` rescales as released (PIL bicubic on the uint8 image; at scale 0.5
    torch's float bicubic differs from it by up to ~3 grey levels).

    Returns:
        dict: ``keys`` (K,) int64, ``cam`` (K, ceil(H/4), ceil(W/4)) and ``high_res``
        (K, H, W) float32 (or float16), max-normalised per class then fused.
    """
    return infer_cams_batch(model, [img], [keys], CAMSettings.of(settings, **fields))[0]


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
    settings: Union[CAMSettings, Sequence[float], dict, None] = None,
    **fields,
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
        settings (CAMSettings, optional): See :func:`infer_cams`.
        **fields: :class:`CAMSettings` fields replacing those of ``settings``.

    Returns:
        list[dict]: One :func:`infer_cams` dict per image, in order.

    Raises:
        ValueError: The images differ in size, or ``keys_list`` has another length.
    """
    settings = CAMSettings.of(settings, **fields)
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
    size4 = (math.ceil(H / settings.cam_stride), math.ceil(W / settings.cam_stride))
    dtype = np.float16 if settings.fp16 else np.float32
    results = [
        dict(keys=k, cam=np.zeros((0, *size4), dtype), high_res=np.zeros((0, H, W), dtype))
        for k in keys_np
    ]
    active = [i for i, k in enumerate(keys_np) if k.size]
    if not active:
        return results
    pairs = [(tensors[i], keys_np[i]) for i in active]
    cam_sums, hr_sums = _scale_sums(model, pairs, mean, std, settings)
    n = len(cam_sums[0])
    weights = settings.branch_weights or [1.0 / n] * n
    if len(weights) != n:
        raise ValueError(f'{len(weights)} branch weights for a model with {n} branches')
    for a, i in enumerate(active):
        cam = sum(w * max_norm(c) for w, c in zip(weights, cam_sums[a]))
        high_res = sum(w * max_norm(h) for w, h in zip(weights, hr_sums[a]))
        results[i] = dict(
            keys=keys_np[i],
            cam=cam.cpu().numpy().astype(dtype),
            high_res=high_res.cpu().numpy().astype(dtype),
        )
    return results


def _scale_sums(
    model: nn.Module,
    images: Sequence[tuple],
    mean: torch.Tensor,
    std: torch.Tensor,
    settings: CAMSettings,
) -> tuple[list, list]:
    """Per image and branch, the class maps summed over the scales at both output grids.

    Args:
        model (nn.Module): The CAM model.
        images (Sequence[tuple]): ``(image (3, H, W), keys (K,))`` of every image with
            classes, all of one size.
        mean (Tensor): Normalisation mean (3, 1, 1).
        std (Tensor): Normalisation std (3, 1, 1).
        settings (CAMSettings): The settings.

    Returns:
        tuple[list, list]: ``cam`` sums (K, ceil(H/4), ceil(W/4)) and ``high_res`` sums
        (K, H, W), each ``[[per branch] per image]``.
    """
    H, W = images[0][0].shape[1:]
    s = settings.output_stride
    size4 = (math.ceil(H / settings.cam_stride), math.ceil(W / settings.cam_stride))
    size_up = (s * math.ceil(H / s), s * math.ceil(W / s))
    keys = [k for _, k in images]
    cam_sums: list = [[] for _ in images]
    hr_sums: list = [[] for _ in images]
    pos_cache: dict = {}
    for scale in sorted(settings.scales):
        pairs = torch.stack(
            [scaled_pair(img, scale, mean, std, settings.resize) for img, _ in images]
        )
        if settings.climbing is None:
            maps = _plain_maps(model, pairs, keys, settings.map_extractor, pos_cache)
        else:
            maps = _climbed_maps(
                model, pairs, keys, scale, settings.climbing, settings.map_extractor
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
    return cam_sums, hr_sums


def _plain_maps(
    model: nn.Module,
    pairs: torch.Tensor,
    keys: Sequence[np.ndarray],
    map_extractor: str,
    pos_cache: dict,
) -> list:
    """Class maps of one forward pass per image and branch: ``[[(K_i, h, w)] per image]``.

    Args:
        model (nn.Module): The CAM model.
        pairs (Tensor): The image/flip pair of every image, (N, 2, 3, h, w).
        keys (Sequence[np.ndarray]): Present classes of each image (non-empty).
        map_extractor (str): ``'gradcam'`` or ``'cam'``.
        pos_cache (dict): ``N_c+`` per (branch, image), filled on first use (``'gradcam'``).
    """
    device = pairs.device
    keys_t = [torch.as_tensor(k, device=device) for k in keys]

    def pos_of(branch: int, a: int) -> Optional[torch.Tensor]:
        if map_extractor != 'gradcam':
            return None
        if (branch, a) not in pos_cache:
            pos_cache[branch, a] = positive_weight_counts(model, branch, keys[a]).to(device)
        return pos_cache[branch, a]

    # one pair alone keeps the whole-batch statistics path (bit-identical to a batch of 2)
    group = 2 if len(keys) > 1 else None
    with torch.inference_mode(), amm_group_size(model, group):
        cams = model.cams(pairs.flatten(0, 1))
        return [
            [
                class_pair_maps(c[2 * a : 2 * a + 2], keys_t[a], map_extractor, pos_of(b, a))
                for b, c in enumerate(cams)
            ]
            for a in range(len(keys))
        ]


def _climbed_maps(
    model: nn.Module,
    pairs: torch.Tensor,
    keys: Sequence[np.ndarray],
    scale: float,
    climbing: ClimbingSettings,
    map_extractor: str = 'cam',
) -> list:
    """Climbing accumulations per image and branch: ``[[(K_i, h, w) per branch] per image]``.

    Args:
        model (nn.Module): The CAM model.
        pairs (Tensor): The image/flip pair of every image, (N, 2, 3, h, w).
        keys (Sequence[np.ndarray]): Present classes of each image (non-empty).
        scale (float): The pairs' scale (its iterations and map factor:
            :meth:`ClimbingSettings.schedule_at`).
        climbing (ClimbingSettings): Climbing settings.
        map_extractor (str): ``'gradcam'`` or ``'cam'``.
    """
    num_branches = getattr(model, 'num_branches', None)
    if num_branches is None:
        with torch.inference_mode():
            num_branches = len(model.cams(pairs[0]))
    owner = [a for a, k in enumerate(keys) for _ in range(k.size)]
    classes = [int(c) for k in keys for c in k]
    item_pairs = pairs[torch.as_tensor(owner, device=pairs.device)]
    per_branch = [
        climb_pair_maps(
            model,
            item_pairs,
            classes,
            branch=b,
            iters=climbing.iters_at(scale),
            map_extractor=map_extractor,
            chunk_size=climbing.chunk_size if climbing.batched else 1,
            **climbing.climb_kwargs(scale),
        )
        for b in range(num_branches)
    ]
    bounds = np.cumsum([0] + [k.size for k in keys])
    return [[m[bounds[a] : bounds[a + 1]] for m in per_branch] for a in range(len(keys))]
