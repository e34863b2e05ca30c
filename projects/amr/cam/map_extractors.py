"""Class-map extractors of the CAM stage: plain ReLU(CAM) or the released Grad-CAM.

The released ``step/make_cam.py`` does not use ReLU(CAM) directly: it runs ``step/gradCAM.py``
on the stage-4 features ``f`` of the branch (reference/amr-method.md §5). For class ``c`` and
an image/flip pair the backward target is the global sum of ReLU(CAM_c) over the pair; channel
weights are the spatial sum of the feature gradient divided by the count of positive gradient
entries in the whole (pair) tensor; the map is ReLU(sum_k w_k f_k). With the bias-free linear
1x1 classifier ``W`` that gradient is ``W_ck * 1[CAM_c > 0]`` at every pixel, so the map is
exactly

    ReLU(CAM_c(image i)) * n_i / (N_c+ * (n_0 + n_1)),

with ``n_i`` the positive CAM cells of image ``i`` of the pair and ``N_c+`` the positive
classifier weights of class ``c``: a per-image scalar (the image and its flip get different
ones, and so does every scale). :func:`pair_maps` computes it in this closed form (one forward,
no backward); the tests check it against the autograd definition on the features.
"""

from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

MAP_EXTRACTORS = ('cam', 'gradcam')
RESIZES = ('torch', 'pil')
RESTRICTION_MASKS = ('per_iteration', 'cumulative')


def check_choice(key: str, value: object, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``, else a ValueError naming ``key`` and ``value``."""
    if value not in choices:
        raise ValueError(f'{key} must be one of {tuple(choices)}, got {value!r}')
    return value


def classifier_weight(model: nn.Module, branch: int) -> torch.Tensor:
    """The (num_classes, C) weight of the bias-free 1x1 classifier of one branch.

    Knows :class:`AMRClassifier` (``spotlight_head`` for branch 0, ``compensation_head`` for
    branch 1) and single-head classifiers (``head.classifier``, :class:`CAMClassifier`).

    Raises:
        ValueError: The model has no such classifier (Grad-CAM needs it).
    """
    heads = None
    if hasattr(model, 'spotlight_head') and hasattr(model, 'compensation_head'):
        heads = (model.spotlight_head, model.compensation_head)
    elif hasattr(model, 'head'):
        heads = (model.head,)
    if heads is None or not 0 <= branch < len(heads):
        raise ValueError(
            f"map_extractor='gradcam' needs the 1x1 classifier of branch {branch}; "
            f'{type(model).__name__} has no such head (use map_extractor="cam")'
        )
    conv = getattr(heads[branch], 'classifier', None)
    weight = getattr(conv, 'weight', None)
    if weight is None or getattr(conv, 'bias', None) is not None:
        raise ValueError(
            f"map_extractor='gradcam' needs a bias-free classifier in branch {branch} of "
            f'{type(model).__name__}'
        )
    return weight.detach().flatten(1)


def positive_weight_counts(model: nn.Module, branch: int, classes: Sequence[int]) -> torch.Tensor:
    """``N_c+``: positive classifier weights of each class of ``classes``, float (K,)."""
    weight = classifier_weight(model, branch)
    idx = torch.as_tensor(list(classes), dtype=torch.long, device=weight.device)
    return (weight[idx] > 0).sum(dim=1).float()


def gradcam_scale(raw: torch.Tensor, pos_weights: torch.Tensor) -> torch.Tensor:
    """Grad-CAM's per-image factor ``n_i / (N_c+ * (n_0 + n_1))`` of each pair.

    Args:
        raw (Tensor): Raw CAMs of the class of each pair, (P, 2, h, w).
        pos_weights (Tensor): ``N_c+`` of each pair's class, (P,).

    Returns:
        Tensor: (P, 2) factors (0 for a pair without a positive cell), detached.
    """
    n = (raw.detach() > 0).flatten(2).sum(dim=2).to(raw.dtype)
    count = pos_weights.to(raw.dtype).view(-1, 1) * n.sum(dim=1, keepdim=True)
    return n / count.clamp_min(1)


def pair_maps(
    raw: torch.Tensor, map_extractor: str = 'cam', pos_weights: torch.Tensor = None
) -> torch.Tensor:
    """``map(image) + flip(map(flipped image))`` of each pair's class.

    Args:
        raw (Tensor): Raw (pre-ReLU) CAMs, (P, 2, h, w): per pair the class of interest of
            the image (index 0) and of its horizontal flip (index 1).
        map_extractor (str): ``'cam'``: ReLU(CAM). ``'gradcam'``: the released Grad-CAM,
            ReLU(CAM) times :func:`gradcam_scale` (needs ``pos_weights``).
        pos_weights (Tensor, optional): ``N_c+`` per pair, (P,).

    Returns:
        Tensor: (P, h, w); differentiable with respect to ``raw``.
    """
    check_choice('map_extractor', map_extractor, MAP_EXTRACTORS)
    m = F.relu(raw)
    if map_extractor == 'gradcam':
        if pos_weights is None:
            raise ValueError("map_extractor='gradcam' needs pos_weights (N_c+ per pair)")
        m = m * gradcam_scale(raw, pos_weights)[:, :, None, None]
    return m[:, 0] + m[:, 1].flip(-1)
