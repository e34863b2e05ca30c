"""A CAM computation written from its definition, independent of ``projects.amr.cam``: the
oracle :func:`infer_cams` (plain CAMs, ``map_extractor='cam'``, ``resize='torch'``) is tested
against."""

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F


def _normalised_pair(model: torch.nn.Module, img: torch.Tensor, scale: float) -> torch.Tensor:
    """The image at ``scale`` (torch bicubic, antialiased when shrinking, clamped to 0..255),
    normalised with the model's preprocessor statistics, stacked with its flip: (2, 3, h, w)."""
    pre = model.data_preprocessor
    mean, std = pre.mean.view(3, 1, 1).float(), pre.std.view(3, 1, 1).float()
    x = img[None].float()
    if scale != 1.0:
        _, h, w = img.shape
        size = (max(1, int(round(h * scale))), max(1, int(round(w * scale))))
        x = F.interpolate(x, size=size, mode='bicubic', align_corners=False, antialias=scale < 1)
        x = x.clamp(0, 255)
    x = (x - mean) / std
    return torch.cat([x, x.flip(-1)])


def reference_cams(
    model: torch.nn.Module,
    img: torch.Tensor,
    keys: Sequence[int],
    scales: Sequence[float],
    output_stride: int = 16,
    cam_stride: int = 4,
) -> dict:
    """CAMs the straightforward way the released make_cam runs them.

    One scale and one image/flip pair at a time, each branch and each class in its own
    forward pass: ``ReLU(CAM(x)) + flip(ReLU(CAM(flip x)))`` upsampled bilinearly to the
    stride-4 grid and to the ``output_stride`` grid cropped to the image, summed over the
    scales (sorted), max-normalised per class (``A / (max A + 1e-5)``), branches averaged.

    Args:
        model: Has ``cams()`` and a data preprocessor (mean / std).
        img (Tensor): (3, H, W) image in the model's channel order, 0..255.
        keys (Sequence[int]): 0-based classes present.
        scales (Sequence[float]): Inference scales.
        output_stride (int): The model's CAM stride.
        cam_stride (int): Stride of ``cam``.

    Returns:
        dict: ``cam`` and ``high_res`` as numpy arrays.
    """
    _, H, W = img.shape
    size4 = (math.ceil(H / cam_stride), math.ceil(W / cam_stride))
    size_up = (
        output_stride * math.ceil(H / output_stride),
        output_stride * math.ceil(W / output_stride),
    )

    def norm(x: torch.Tensor) -> torch.Tensor:
        return x / (x.flatten(1).max(dim=1)[0].view(-1, 1, 1) + 1e-5)

    with torch.inference_mode():
        num_branches = len(model.cams(_normalised_pair(model, img, 1.0)))
        fused_cam, fused_hr = 0, 0
        for b in range(num_branches):
            per_class_cam, per_class_hr = [], []
            for k in sorted(keys):
                cam_sum, hr_sum = 0, 0
                for scale in sorted(scales):
                    raw = F.relu(model.cams(_normalised_pair(model, img, scale))[b][:, k])
                    m = (raw[0] + raw[1].flip(-1))[None, None]
                    c4 = F.interpolate(m, size4, mode='bilinear', align_corners=False)
                    up = F.interpolate(m, size_up, mode='bilinear', align_corners=False)
                    cam_sum = cam_sum + c4[0]
                    hr_sum = hr_sum + up[0, :, :H, :W]
                per_class_cam.append(cam_sum)
                per_class_hr.append(hr_sum)
            fused_cam = fused_cam + norm(torch.cat(per_class_cam)) / num_branches
            fused_hr = fused_hr + norm(torch.cat(per_class_hr)) / num_branches
    return dict(cam=fused_cam.numpy(), high_res=fused_hr.numpy())
