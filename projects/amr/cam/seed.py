"""The seed rule: class ids from max-normalised CAMs and a constant background score.

Every stage that turns CAMs into a label map (the seeds, the CRF-refined seeds and IR labels,
the random walk's masks, the CAM metric) uses the functions here, so the rule exists once:

1. a constant plane ``bg_threshold`` is put in front of the K class planes;
2. the argmax over the K + 1 planes is taken (the background plane wins ties, i.e. a pixel is
   foreground only where its top CAM is strictly above the threshold);
3. plane ``i > 0`` maps to class id ``keys[i - 1] + 1``, plane 0 to background (0).
"""

from collections.abc import Sequence
from typing import Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor]


def class_lut(keys: Sequence[int]) -> np.ndarray:
    """Plane index -> class id table: ``[0, keys[0] + 1, ..., keys[K-1] + 1]`` (int64)."""
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    return np.concatenate([np.zeros(1, np.int64), keys + 1])


def seed_planes(cams: ArrayLike, bg_threshold: float) -> ArrayLike:
    """Plane index of the argmax over ``[bg_threshold, cams]`` (0 = background).

    Args:
        cams (np.ndarray | Tensor): (K, ...) CAMs; any trailing shape.
        bg_threshold (float): Background score.

    Returns:
        np.ndarray | Tensor: int64 plane indices with the trailing shape of ``cams``, of the
        same type (and device) as ``cams``.
    """
    if isinstance(cams, torch.Tensor):
        bg = cams.new_full((1, *cams.shape[1:]), bg_threshold)
        return torch.cat([bg, cams], dim=0).argmax(dim=0)
    cams = np.asarray(cams, dtype=np.float32)
    bg = np.full((1, *cams.shape[1:]), bg_threshold, dtype=np.float32)
    return np.concatenate([bg, cams], axis=0).argmax(axis=0)


def seed_label(cams: ArrayLike, keys: Sequence[int], bg_threshold: float) -> ArrayLike:
    """Seed label map (class ids, 0 = background) from the CAMs of the classes in ``keys``.

    Args:
        cams (np.ndarray | Tensor): (K, ...) max-normalised CAMs of the K classes in ``keys``.
        keys (Sequence[int]): 0-based foreground class indices of the K planes.
        bg_threshold (float): Background score.

    Returns:
        np.ndarray | Tensor: int64 class ids with the trailing shape of ``cams``, of the same
        type as ``cams``.

    Raises:
        ValueError: When the number of planes and of keys differ.
    """
    lut = class_lut(keys)
    if cams.shape[0] != lut.size - 1:
        raise ValueError(f'{cams.shape[0]} CAM planes but {lut.size - 1} keys')
    planes = seed_planes(cams, bg_threshold)
    if isinstance(planes, torch.Tensor):
        return torch.as_tensor(lut, device=planes.device)[planes]
    return lut[planes]


def seed_label_sweep(
    cams: np.ndarray, keys: Sequence[int], thresholds: Sequence[float]
) -> np.ndarray:
    """The seed rule for several background scores at once (the metric's threshold sweep).

    Equal to ``np.stack([seed_label(cams, keys, t) for t in thresholds])`` without building
    K + 1 planes per threshold: the argmax over the K class planes is taken once and a pixel
    keeps it where the top CAM is strictly above ``t`` (the background plane wins ties).

    Args:
        cams (np.ndarray): (K, ...) CAMs (K may be 0: everything is background).
        keys (Sequence[int]): 0-based foreground class indices of the K planes.
        thresholds (Sequence[float]): Background scores.

    Returns:
        np.ndarray: (T, ...) int64 class ids.
    """
    lut = class_lut(keys)
    cams = np.asarray(cams, dtype=np.float32)
    thr = np.asarray(thresholds, dtype=np.float32).reshape((-1,) + (1,) * (cams.ndim - 1))
    if cams.shape[0] == 0:
        return np.zeros((thr.shape[0], *cams.shape[1:]), np.int64)
    fg = lut[1:][cams.argmax(axis=0)]
    return np.where(cams.max(axis=0)[None] > thr, fg[None], 0)
