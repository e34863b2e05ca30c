"""IRN's semantic segmentation label of one image: CAMs propagated by the random walk.

The per-image step of IRN's ``make_sem_seg_labels``: stride-4 CAMs ``** cam_power`` -> random
walk on the image's boundary map -> x4 bilinear upsampling, cropped to the image -> divided
by the global max -> the seed rule (:func:`projects.amr.cam.seed.seed_label`) with a constant
background score. The method leaves no pixel unlabelled, so the mask holds no 255.
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..cam.seed import seed_label
from ..models.irn.random_walk import random_walk

RANDOM_WALK_METHODS = ('auto', 'dense', 'sparse')


@dataclass(frozen=True)
class RandomWalkSettings:
    """The settings of IRN's random walk, validated once when built.

    Args:
        beta (float): Affinity power. Defaults to 10.
        exp_times (int): Random walk of ``2 ** exp_times`` steps. Defaults to 8.
        radius (int): Pair radius. Defaults to 5.
        cam_power (float): CAM exponent before the walk (AMR/AdvCAM 1.5, IRN 1.0).
        bg_threshold (float): Background score of the seed rule. Defaults to 0.25.
        method (str): ``'auto'``, ``'dense'`` or ``'sparse'`` (see :func:`random_walk`).
    """

    beta: float = 10.0
    exp_times: int = 8
    radius: int = 5
    cam_power: float = 1.5
    bg_threshold: float = 0.25
    method: str = 'auto'

    def __post_init__(self) -> None:
        if self.method not in RANDOM_WALK_METHODS:
            raise ValueError(f'method must be one of {RANDOM_WALK_METHODS}, got {self.method!r}')
        for key, low in (('exp_times', 0), ('radius', 1)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f'{key} must be an integer >= {low}, got {value!r}')
        for key in ('beta', 'cam_power', 'bg_threshold'):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f'{key} must be a number, got {value!r}')


def _fit_edge(edge: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The boundary map cropped to ``size``, or bilinearly resized when smaller."""
    h, w = size
    if edge.shape[-2] >= h and edge.shape[-1] >= w:
        return edge[:h, :w]
    return F.interpolate(edge[None, None], size=(h, w), mode='bilinear', align_corners=False)[0, 0]


def make_sem_seg_label(
    cams: np.ndarray,
    keys: np.ndarray,
    edge: torch.Tensor,
    img_shape: tuple[int, int],
    settings: Optional[RandomWalkSettings] = None,
) -> np.ndarray:
    """IRN's ``make_sem_seg_labels`` for one image.

    Args:
        cams (np.ndarray): (K, h, w) max-normalised stride-4 CAMs of the classes in ``keys``.
        keys (np.ndarray): (K,) 0-based foreground classes.
        edge (Tensor): (h', w') boundary map of the image (cropped / resized to (h, w)).
        img_shape (tuple[int, int]): Image size (H, W).
        settings (RandomWalkSettings, optional): The walk's settings and the background
            score; the defaults when None.

    Returns:
        np.ndarray: (H, W) uint8 mask (0 background, ``k + 1`` class ``k``).
    """
    settings = settings or RandomWalkSettings()
    H, W = img_shape
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    if keys.size == 0:
        return np.zeros((H, W), np.uint8)
    x = torch.as_tensor(np.asarray(cams, dtype=np.float32), device=edge.device)
    rw = random_walk(
        x.clamp(min=0).pow(settings.cam_power),
        _fit_edge(edge, x.shape[-2:]),
        radius=settings.radius,
        beta=settings.beta,
        exp_times=settings.exp_times,
        method=settings.method,
    )
    up = F.interpolate(rw[None], scale_factor=4, mode='bilinear', align_corners=False)[0]
    up = up[:, :H, :W]
    up = up / up.max().clamp(min=1e-12)
    return seed_label(up, keys, settings.bg_threshold).cpu().numpy().astype(np.uint8)
