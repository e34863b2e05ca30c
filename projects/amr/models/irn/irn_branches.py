"""The two heads of IRN on multi-level frozen features: class boundaries and displacements.

Both follow ``net/resnet50_irn.py`` of IRN (Ahn et al., CVPR 2019): every level goes through a
1x1 conv + GroupNorm (+ bilinear upsampling to its target grid) + ReLU; the boundary branch
concatenates all levels on the stride-4 grid and predicts one logit, the displacement branch
merges the coarse levels on the finest coarse grid (stride 8 for ResNet-50), upsamples them to
stride 4, joins the stride-4 levels and predicts a 2-channel displacement field.
"""

import math
from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


def _gn(channels: int) -> nn.GroupNorm:
    """IRN's GroupNorm: 4 groups for 32 channels, 8 for 64, 16 for 128 and more."""
    return nn.GroupNorm(math.gcd(channels, min(16, max(1, channels // 8))), channels)


class ConvGNUp(nn.Module):
    """1x1 conv (no bias) -> GroupNorm -> optional bilinear upsampling -> ReLU.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        scale (int): Upsampling factor (1 = none).
    """

    def __init__(self, in_channels: int, out_channels: int, scale: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.norm = _gn(out_channels)
        self.scale = int(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block."""
        x = self.norm(self.conv(x))
        if self.scale > 1:
            x = F.interpolate(x, scale_factor=self.scale, mode='bilinear', align_corners=False)
        return F.relu(x, inplace=True)


class EdgeBranch(nn.Module):
    """Class-boundary branch: every level to 32 channels on the stride-4 grid, 1x1 to a logit.

    Args:
        in_channels (Sequence[int]): Channels of each level.
        strides (Sequence[int]): Stride of each level; the smallest is the output grid.
        channels (int): Channels per level. Defaults to 32.
    """

    def __init__(
        self, in_channels: Sequence[int], strides: Sequence[int], channels: int = 32
    ) -> None:
        super().__init__()
        base = min(strides)
        self.levels = nn.ModuleList(
            ConvGNUp(c, channels, s // base) for c, s in zip(in_channels, strides)
        )
        self.fuse = nn.Conv2d(channels * len(in_channels), 1, 1, bias=True)

    def forward(self, feats: Sequence[torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
        """Boundary logits (B, 1, *size)."""
        outs = [m(f)[..., : size[0], : size[1]] for m, f in zip(self.levels, feats)]
        return self.fuse(torch.cat(outs, dim=1))


class MeanShift(nn.BatchNorm2d):
    """Tracks the mean displacement in training (output unchanged), subtracts it in eval.

    Args:
        num_features (int): Channels (2).
    """

    def __init__(self, num_features: int = 2) -> None:
        super().__init__(num_features, affine=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Update the running mean (training) or remove it (eval)."""
        if self.training:
            super().forward(x.detach())
            return x
        return x - self.running_mean.view(1, -1, 1, 1)


class DisplacementBranch(nn.Module):
    """Displacement-field branch (instance centroids), trained with the IR label pairs.

    Levels at the finest stride are kept there; the others are reduced, upsampled to the
    finest of them, merged (``mid_channels``), upsampled to the finest stride and joined with
    the fine levels; two 1x1 convs predict (dy, dx).

    Args:
        in_channels (Sequence[int]): Channels of each level.
        strides (Sequence[int]): Stride of each level.
        channels (Sequence[int]): Reduced channels of each level (IRN: 64, 128, 256, 256, 256).
        mid_channels (int): Channels of the merged coarse levels and of the last hidden layer.
            Defaults to 256.
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        strides: Sequence[int],
        channels: Sequence[int],
        mid_channels: int = 256,
    ) -> None:
        super().__init__()
        if not len(in_channels) == len(strides) == len(channels):
            raise ValueError('in_channels, strides and channels need one entry per level')
        self.base = min(strides)
        coarse = [s for s in strides if s > self.base]
        if not coarse:
            raise ValueError('the displacement branch needs at least one coarser level')
        self.mid = min(coarse)
        self.fine_ids = [i for i, s in enumerate(strides) if s == self.base]
        self.coarse_ids = [i for i, s in enumerate(strides) if s > self.base]
        self.mid_id = list(strides).index(self.mid)
        self.levels = nn.ModuleList(
            ConvGNUp(c, o, s // self.mid if s > self.base else 1)
            for c, s, o in zip(in_channels, strides, channels)
        )
        self.merge = ConvGNUp(
            sum(channels[i] for i in self.coarse_ids), mid_channels, self.mid // self.base
        )
        self.head = nn.Sequential(
            nn.Conv2d(
                sum(channels[i] for i in self.fine_ids) + mid_channels, mid_channels, 1, bias=False
            ),
            _gn(mid_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, 2, 1, bias=False),
            MeanShift(2),
        )

    def forward(self, feats: Sequence[torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
        """Displacement field (B, 2, *size)."""
        outs = [m(f) for m, f in zip(self.levels, feats)]
        mid = outs[self.mid_id].shape[-2:]
        for i in self.coarse_ids:
            outs[i] = outs[i][..., : mid[0], : mid[1]]
        up = self.merge(torch.cat([outs[i] for i in self.coarse_ids], dim=1))
        up = up[..., : size[0], : size[1]]
        return self.head(torch.cat([outs[i] for i in self.fine_ids] + [up], dim=1))
