"""Anti-adversarial climbing (AdvCAM, Lee et al. CVPR 2021), as AMR's released inference runs it.

For one class ``c``, one scale and one branch, starting from the clean image/flip pair ``x_0``:

* ``A_t = ReLU(cam_c(x_t[0])) + flip(ReLU(cam_c(x_t[1])))`` at the model's stride; the
  accumulator receives ``multiplier * A_t`` at every iteration (``A_0`` included);
* ``M_t`` marks (cumulatively) the pixels where ``A_t / max A_t > mask_thr``;
* the objective ``J = sum_pair(g_c - sum_{k != c} g_k) - lam * sum(|A_t - A_0| * M_t)``, with
  ``g = GAP(ReLU(cam))`` the class scores, is *maximised*:
  ``x_{t+1} = clamp(x_t + step * grad / max|grad|, min x_t, max x_t)``.

Cost: ``iters`` forward and ``iters - 1`` backward passes (input gradient only) of a 2-image
batch per present class, scale and branch. With AMR's defaults (7 scales, 27 iterations -- 13 at
scale 0.5 --, 2 branches) that is about 350 forward+backward passes per class and image, i.e.
roughly 100-150x the cost of plain multi-scale CAMs (which need 7 forward passes); on a 2-core
CPU with EfficientNet-Lite0 that is minutes per image, so the fast configs switch it off.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


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
) -> torch.Tensor:
    """Accumulated CAM of class ``cls`` over the anti-adversarial iterations.

    Args:
        model (nn.Module): Has ``cams(inputs) -> tuple[Tensor]`` (raw CAMs per branch).
        x (Tensor): Normalised image and its horizontal flip, (2, 3, h, w).
        cls (int): 0-based foreground class.
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

    Returns:
        Tensor: (h', w') accumulated map at the model's CAM resolution (detached).
    """
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    x = x.detach().clone()
    acc = None
    init = None
    mask = None
    with torch.enable_grad():
        for t in range(iters):
            x.requires_grad_(True)
            if branch_only and hasattr(model, 'branch_cam'):
                raw = model.branch_cam(x, branch)
            else:
                raw = model.cams(x)[branch]
            cams = F.relu(raw)
            amap = cams[0, cls] + cams[1, cls].flip(-1)
            detached = amap.detach()
            acc = detached * multiplier if acc is None else acc + detached * multiplier
            if t == iters - 1:
                break
            if init is None:
                init = detached.clone()
                mask = torch.zeros_like(detached, dtype=torch.bool)
            mask |= detached / (detached.max() + 1e-12) > mask_thr
            scores = cams.mean(dim=(2, 3))  # (2, num_classes), GAP of ReLU CAMs
            objective = 2 * scores[:, cls].sum() - scores.sum()
            objective = objective - lam * ((amap - init).abs() * mask).sum()
            (grad,) = torch.autograd.grad(objective, x)
            with torch.no_grad():
                lo, hi = x.min(), x.max()
                x = (x + step * grad / (grad.abs().max() + 1e-12)).clamp(lo, hi)
            x = x.detach()
    return acc
