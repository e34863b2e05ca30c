"""Anti-adversarial climbing (AdvCAM, Lee et al. CVPR 2021), as AMR's released inference runs it.

For one class ``c``, one scale and one branch, starting from the clean image/flip pair ``x_0``:

* ``A_t = map_c(x_t[0]) + flip(map_c(x_t[1]))`` at the model's stride, ``map`` ReLU(CAM) or the
  released Grad-CAM (:mod:`.map_extractors`, ``map_extractor``); the
  accumulator receives ``multiplier * A_t`` at every iteration (``A_0`` included);
* ``M_t`` marks the pixels where ``A_t / max A_t > mask_thr``, rebuilt at every iteration
  (``restriction_mask='per_iteration'``, AMR's make_cam) or accumulated over the iterations
  (``'cumulative'``, AdvCAM's original);
* the objective ``J = sum_pair(g_c - sum_{k != c} g_k) - lam * sum(|A_t - A_0| * M_t)``, with
  ``g = GAP(ReLU(cam))`` the class scores, is *maximised*:
  ``x_{t+1} = clamp(x_t + step * grad / max|grad|, min x_t, max x_t)``.

Cost: ``iters`` forward and ``iters - 1`` backward passes (input gradient only) of a 2-image
batch per present class, scale and branch. With AMR's defaults (7 scales, 27 iterations -- 13 at
scale 0.5 --, 2 branches) that is about 350 forward+backward passes per class and image, i.e.
roughly 100-150x the cost of plain multi-scale CAMs (which need 7 forward passes); on a 2-core
CPU with EfficientNet-Lite0 that is minutes per image, so the fast configs switch it off.

Batching: :func:`climb_class_maps` climbs all the given classes together, as one batch of
``2 K`` images (class ``j`` owns the pair ``2j, 2j + 1``: its own perturbed pair, objective,
restriction mask and accumulator). Samples do not interact: the objective is a sum of
per-pair terms, the gradient step is normalised and clamped per pair, and the AMM gates / BN
of the compensation branch take their statistics per pair (:func:`amm_group_size`), so the
result equals climbing each class alone (:func:`climb_class_map`) up to float rounding.
``chunk_size`` bounds the classes per batch (memory).

:func:`climb_pair_maps` is the general form: any list of (image/flip pair, class) items of one
size, so the present classes of *several* images of the same size (most VOC images are 500 x
375 or 375 x 500) climb in one batch; :func:`climb_class_maps` is its one-image case.
"""

from collections.abc import Sequence
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..models.plugins.amm import amm_group_size
from .map_extractors import (
    MAP_EXTRACTORS,
    RESTRICTION_MASKS,
    check_choice,
    pair_maps,
    positive_weight_counts,
)

MULTIPLIER_SCALES = ('all', 'half')


def scale_schedule(
    iters: int,
    half: bool,
    multiplier: Optional[float] = None,
    multiplier_scales: str = 'all',
) -> tuple[int, float]:
    """Iterations and accumulation factor of one scale level, as the released make_cam sets them.

    The released ``_work`` (AdvCAM's loop) treats its second listed scale (0.5, the
    *half-iteration* level) apart: for ``iters > 10`` it climbs ``iters // 2`` times with
    ``mul_for_scale = 2``; for ``iters < 6`` it climbs ``iters`` times with factor 1; for
    6 to 10 it climbs 5 times with factor ``5 / 5 = 1``. Every other level climbs ``iters``
    times, and -- the variable is set only at the half-iteration level, which is visited
    first -- reuses that level's factor: 2 at every scale for ``iters > 10``, 1 otherwise.

    The factor matters beyond a global scale: the per-class normalisation divides by
    ``max + 1e-5``, and the released Grad-CAM maps are small (about 1e-4 to 1e-2), so
    doubling them moves the normalised maps by up to ~1e-1 with a random ResNet-50.

    Args:
        iters (int): ``adv_iter``, the iterations of a full level (27 released).
        half (bool): Whether this is the half-iteration level (scale 0.5 released).
        multiplier (float, optional): An explicit factor instead of the released one; None
            (default) follows the release.
        multiplier_scales (str): Which levels the factor weights. ``'all'`` (default, the
            release): every level, since the released variable leaks from the
            half-iteration level to all the others. ``'half'``: the half-iteration level
            only, 1 elsewhere: AdvCAM's evident intent (the factor makes up for the halved
            iterations, so the 0.5 level weighs as much as a full one). The leak is a bug of
            the released code; ``'half'`` changes the scale weighting of the sums.

    Returns:
        tuple[int, float]: Iterations and accumulation factor of the level.
    """
    if isinstance(iters, bool) or not isinstance(iters, int) or iters < 1:
        raise ValueError(f'climbing.iters must be a positive int, got {iters!r}')
    if multiplier_scales not in MULTIPLIER_SCALES:
        raise ValueError(
            f'climbing.multiplier_scales must be one of {MULTIPLIER_SCALES}, '
            f'got {multiplier_scales!r}'
        )
    released = 2.0 if iters > 10 else 1.0
    factor = released if multiplier is None else float(multiplier)
    if half:
        n = iters // 2 if iters > 10 else (iters if iters < 6 else 5)
        return n, factor
    return iters, factor if multiplier_scales == 'all' else 1.0


def climb_class_maps(
    model: nn.Module,
    x: torch.Tensor,
    classes: Sequence[int],
    branch: int = 0,
    iters: int = 27,
    step: float = 0.08,
    lam: float = 7.0,
    mask_thr: float = 0.5,
    multiplier: float = 2.0,
    branch_only: bool = True,
    map_extractor: str = 'cam',
    restriction_mask: str = 'cumulative',
    chunk_size: Optional[int] = None,
) -> torch.Tensor:
    """Accumulated CAMs of ``classes`` over the anti-adversarial iterations, climbed together.

    Args:
        model (nn.Module): Has ``cams(inputs) -> tuple[Tensor]`` (raw CAMs per branch).
        x (Tensor): Normalised image and its horizontal flip, (2, 3, h, w).
        classes (Sequence[int]): 0-based foreground classes; each climbs its own copy of
            ``x``.
        branch (int): Which branch of ``model.cams`` to climb and accumulate.
        iters (int): Iterations (maps accumulated). Defaults to 27 (AMR / AdvCAM).
        step (float): Step size of the normalised gradient ascent. Defaults to 0.08.
        lam (float): Weight of the restriction term. Defaults to 7.
        mask_thr (float): Threshold of the restriction mask on ``A_t / max A_t``.
            Defaults to 0.5.
        multiplier (float): Factor of each accumulated map (2 in the released code, where the
            scale-0.5 quirk sets it for every scale).
        branch_only (bool): Run only the climbed branch (``model.branch_cam``) at each
            iteration. False runs the whole model (``model.cams``) and picks the branch, as
            the released code does: the same maps at twice the cost for AMR; the benchmark's
            baseline. Defaults to True.
        map_extractor (str): ``'gradcam'``: the released Grad-CAM map (ReLU(CAM) times the
            per-image factor of :func:`gradcam_scale`); it sets the scale of ``A_t`` and so
            the strength of the restriction term against the class scores (ReLU(CAM) is
            about 2,000x larger, i.e. a 2,000x stronger restriction). ``'cam'``: ReLU(CAM)
            (the project's earlier behaviour). Defaults to ``'cam'``.
        restriction_mask (str): ``'per_iteration'``: ``M_t`` from the current map only, as
            AMR's released make_cam rebuilds it; ``'cumulative'``: the union over the
            iterations so far (AdvCAM's original). Defaults to ``'cumulative'``.
        chunk_size (int, optional): At most this many classes per batch (``2 * chunk_size``
            images); None climbs all classes in one batch. 1 is the sequential loop.

    Returns:
        Tensor: (K, h', w') accumulated maps at the model's CAM resolution (detached).
    """
    if x.dim() != 4 or x.size(0) != 2:
        raise ValueError(f'x must be an image/flip pair (2, 3, h, w), got {tuple(x.shape)}')
    classes = [int(c) for c in classes]
    if not classes:
        raise ValueError('classes is empty')
    return climb_pair_maps(
        model,
        x[None].expand(len(classes), *x.shape),
        classes,
        branch=branch,
        iters=iters,
        step=step,
        lam=lam,
        mask_thr=mask_thr,
        multiplier=multiplier,
        branch_only=branch_only,
        map_extractor=map_extractor,
        restriction_mask=restriction_mask,
        chunk_size=chunk_size,
    )


def climb_pair_maps(
    model: nn.Module,
    pairs: torch.Tensor,
    classes: Sequence[int],
    branch: int = 0,
    iters: int = 27,
    step: float = 0.08,
    lam: float = 7.0,
    mask_thr: float = 0.5,
    multiplier: float = 2.0,
    branch_only: bool = True,
    map_extractor: str = 'cam',
    restriction_mask: str = 'cumulative',
    chunk_size: Optional[int] = None,
) -> torch.Tensor:
    """Accumulated CAMs of (image/flip pair, class) items, climbed together.

    Item ``j`` climbs its own copy of ``pairs[j]`` for ``classes[j]``; the pairs may come
    from different images (of one size, at one scale). Each item's result equals climbing it
    alone (:func:`climb_class_map`) up to float rounding: objectives, steps, clamps,
    restriction masks and the AMM / BN statistics are all per pair.

    Args:
        model (nn.Module): Has ``cams(inputs) -> tuple[Tensor]`` (raw CAMs per branch).
        pairs (Tensor): Normalised image/flip pairs, (P, 2, 3, h, w).
        classes (Sequence[int]): 0-based foreground class of each pair, length P.
        chunk_size (int, optional): At most this many items per batch (``2 * chunk_size``
            images); None climbs all items in one batch; 1 is the sequential loop.
        branch (int): Branch to climb and accumulate (:func:`climb_class_maps`).
        iters (int): Iterations (maps accumulated).
        step (float): Step size of the normalised gradient ascent.
        lam (float): Weight of the restriction term.
        mask_thr (float): Threshold of the restriction mask on ``A_t / max A_t``.
        multiplier (float): Factor of each accumulated map.
        branch_only (bool): Run only the climbed branch (see :func:`climb_class_maps`).
        map_extractor (str): ``'gradcam'`` or ``'cam'`` (see :func:`climb_class_maps`).
        restriction_mask (str): ``'per_iteration'`` or ``'cumulative'``.

    Returns:
        Tensor: (P, h', w') accumulated maps at the model's CAM resolution (detached).
    """
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    check_choice('map_extractor', map_extractor, MAP_EXTRACTORS)
    check_choice('restriction_mask', restriction_mask, RESTRICTION_MASKS)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f'chunk_size must be a positive int or None, got {chunk_size!r}')
    if pairs.dim() != 5 or pairs.size(1) != 2:
        raise ValueError(
            f'pairs must be image/flip pairs (P, 2, 3, h, w), got {tuple(pairs.shape)}'
        )
    classes = [int(c) for c in classes]
    if len(classes) != pairs.size(0):
        raise ValueError(f'{len(classes)} classes for {pairs.size(0)} pairs')
    if not classes:
        raise ValueError('classes is empty')
    pos = (
        positive_weight_counts(model, branch, classes).to(pairs.device)
        if map_extractor == 'gradcam'
        else None
    )
    chunk = len(classes) if chunk_size is None else chunk_size
    out = []
    with amm_group_size(model, 2):
        for start in range(0, len(classes), chunk):
            out.append(
                _climb_chunk(
                    model,
                    pairs[start : start + chunk],
                    classes[start : start + chunk],
                    None if pos is None else pos[start : start + chunk],
                    branch=branch,
                    iters=iters,
                    step=step,
                    lam=lam,
                    mask_thr=mask_thr,
                    multiplier=multiplier,
                    branch_only=branch_only,
                    map_extractor=map_extractor,
                    restriction_mask=restriction_mask,
                )
            )
    return torch.cat(out)


def _climb_chunk(
    model: nn.Module,
    pairs: torch.Tensor,
    classes: list,
    pos: Optional[torch.Tensor],
    branch: int,
    iters: int,
    step: float,
    lam: float,
    mask_thr: float,
    multiplier: float,
    branch_only: bool,
    map_extractor: str,
    restriction_mask: str,
) -> torch.Tensor:
    """One batch of :func:`climb_pair_maps`: (K, h', w')."""
    k = len(classes)
    xb = pairs.detach().reshape(2 * k, *pairs.shape[2:]).clone()  # pair j = images 2j, 2j + 1
    cls = torch.as_tensor(classes, dtype=torch.long, device=pairs.device)
    idx = torch.arange(k, device=pairs.device)
    acc = init = mask = None
    with torch.enable_grad():
        for t in range(iters):
            xb.requires_grad_(True)
            if branch_only and hasattr(model, 'branch_cam'):
                raw = model.branch_cam(xb, branch)
            else:
                raw = model.cams(xb)[branch]
            raw = raw.view(k, 2, *raw.shape[1:])  # (K, 2, num_classes, h, w)
            amap = pair_maps(raw[idx, :, cls], map_extractor, pos)  # (K, h, w)
            # float32 whatever the autocast dtype: the map accumulates over the iterations and
            # its peak + 1e-12 (the restriction mask) would round to 0 in float16
            detached = amap.detach().float()
            acc = detached * multiplier if acc is None else acc + detached * multiplier
            if t == iters - 1:
                break
            if init is None:
                init = detached.clone()
                mask = torch.zeros_like(detached, dtype=torch.bool)
            peak = detached.flatten(1).max(dim=1)[0].view(k, 1, 1)
            current = detached / (peak + 1e-12) > mask_thr
            mask = mask | current if restriction_mask == 'cumulative' else current
            scores = F.relu(raw).mean(dim=(3, 4))  # (K, 2, num_classes), GAP of ReLU CAMs
            objective = 2 * scores[idx, :, cls].sum() - scores.sum()
            objective = objective - lam * ((amap - init).abs() * mask).sum()
            (grad,) = torch.autograd.grad(objective, xb)
            with torch.no_grad():
                flat, g = xb.view(k, -1), grad.view(k, -1)
                lo = flat.min(dim=1, keepdim=True)[0]
                hi = flat.max(dim=1, keepdim=True)[0]
                gmax = g.abs().max(dim=1, keepdim=True)[0]
                flat = torch.minimum(torch.maximum(flat + step * g / (gmax + 1e-12), lo), hi)
            xb = flat.view_as(xb).detach()
    return acc


def climb_class_map(
    model: nn.Module,
    x: torch.Tensor,
    cls: int,
    branch: int = 0,
    iters: int = 27,
    step: float = 0.08,
    lam: float = 7.0,
    mask_thr: float = 0.5,
    multiplier: float = 2.0,
    branch_only: bool = True,
    map_extractor: str = 'cam',
    restriction_mask: str = 'cumulative',
) -> torch.Tensor:
    """Accumulated CAM of one class ``cls`` (the released, one-class-at-a-time loop).

    Same arguments as :func:`climb_class_maps`, with one class.

    Returns:
        Tensor: (h', w') accumulated map at the model's CAM resolution (detached).
    """
    return climb_class_maps(
        model,
        x,
        [cls],
        branch=branch,
        iters=iters,
        step=step,
        lam=lam,
        mask_thr=mask_thr,
        multiplier=multiplier,
        branch_only=branch_only,
        map_extractor=map_extractor,
        restriction_mask=restriction_mask,
    )[0]
