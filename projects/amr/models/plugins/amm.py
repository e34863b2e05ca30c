"""The attention modulation module (AMM) of AMR's compensation branch.

Reference: ``reference/amr-method.md`` §2.3 and §9.3-9.6. A channel gate followed by a spatial
gate, each a multiplicative *Gaussian* modulation: the gate is the normal pdf of the response,
with the mean and unbiased std of all responses in the batch (detached). Responses near the
batch mean get the largest weight, so the strongest (most discriminative) and the weakest are
both damped. There is no sigmoid and no max-normalisation; the gate can exceed 1.
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.registry import MODELS


def _check_groups(n: int, group_size: Optional[int]) -> int:
    """Number of groups of ``group_size`` samples in a batch of ``n`` (1 when ungrouped)."""
    if group_size is None:
        return 1
    if group_size < 1 or n % group_size:
        raise ValueError(f'AMM group_size={group_size} must be >= 1 and divide the batch size {n}')
    return n // group_size


def gaussian_gate(x: torch.Tensor, group_size: Optional[int] = None) -> torch.Tensor:
    """Normal pdf of ``x`` under the mean and unbiased std of *all* of ``x`` (both detached).

    Args:
        x (Tensor): Responses (N, ...); without ``group_size`` the statistics pool over
            every element, batch included, so samples in a batch influence each other.
        group_size (int, optional): Pool the statistics over each run of ``group_size``
            consecutive samples instead (e.g. 2 for image/flip pairs stacked in one batch):
            every group gets the gate it would get if it were the whole batch. None (default)
            pools over the whole tensor, as released.

    Returns:
        Tensor: ``exp(-(x - mu)^2 / (2 sigma^2)) / (sqrt(2 pi) sigma)``, same shape and
        dtype as ``x``. Computed in float32 (float64 stays float64): under fp16 autocast,
        ``sigma ** 2`` underflows for sigma < 2.4e-4 and ``(x - mu) ** 2`` overflows for
        ``|x - mu|`` > 256 (NaN gates); in bf16 the mean, std and exponent lose all but
        3 digits. Bit-identical for float32 and float64 inputs.
    """
    if group_size is not None:
        groups = _check_groups(x.size(0), group_size)
        if groups > 1:
            # each group through the very same computation as alone (bit-identical on CPU)
            return torch.cat([gaussian_gate(part) for part in x.split(group_size)])
    xf = x if x.dtype in (torch.float32, torch.float64) else x.float()
    mu = xf.mean().detach()
    sigma = xf.std().detach()  # unbiased (N - 1), as torch.Tensor.std defaults
    gate = torch.exp(-((xf - mu) ** 2) / (2 * sigma**2)) / (math.sqrt(2 * math.pi) * sigma)
    return gate.to(x.dtype)


class BatchStatNorm2d(nn.Module):
    """BatchNorm that always normalises with the statistics of the current batch.

    The released AMR never switches its modules to eval mode, so the BN of the spatial gate
    uses batch statistics in training *and* at CAM inference (§9.3). This module reproduces
    that whatever ``self.training`` says. It deliberately does not subclass torch's
    ``_BatchNorm``, so ``norm_eval`` / ``frozen_stages`` of OpenMMLab backbones never touch it.
    The running buffers are kept (and updated in training mode) only for state-dict parity
    with ``nn.BatchNorm2d``; they are never used for normalisation.

    ``group_size`` (an attribute, None by default; set it with :func:`amm_group_size`)
    normalises each run of ``group_size`` consecutive samples with its own statistics, so a
    batch of several image/flip pairs gives every pair exactly what it gets alone (each group
    goes through the same ``batch_norm`` call as a batch of its own). With more than one group
    the running buffers are not updated (the groups would have to be mixed).

    Args:
        num_features (int): Channels.
        eps (float): Added to the variance. Defaults to 1e-5.
        momentum (float): Running-statistics momentum. Defaults to 0.01 (as released).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.01) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer('running_mean', torch.zeros(num_features))
        self.register_buffer('running_var', torch.ones(num_features))
        self.register_buffer('num_batches_tracked', torch.tensor(0, dtype=torch.long))
        self.group_size: Optional[int] = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise with batch statistics (running buffers updated only in training)."""
        if self.group_size is not None:
            if _check_groups(x.size(0), self.group_size) > 1:
                # each group normalised by the very same call as alone (bit-identical on CPU)
                return torch.cat(
                    [
                        F.batch_norm(part, None, None, self.weight, self.bias, True, 0.0, self.eps)
                        for part in x.split(self.group_size)
                    ]
                )
        if self.training:
            self.num_batches_tracked.add_(1)
            running_mean, running_var = self.running_mean, self.running_var
        else:
            running_mean = running_var = None
        return F.batch_norm(
            x, running_mean, running_var, self.weight, self.bias, True, self.momentum, self.eps
        )

    def extra_repr(self) -> str:
        return f'{self.num_features}, eps={self.eps}, momentum={self.momentum}, batch_stats=always'


class ChannelAMM(nn.Module):
    """Channel modulation: GAP -> Linear(C, C/r) -> ReLU -> Linear(C/r, C) -> Gaussian gate.

    Args:
        channels (int): Input channels C.
        ratio (int): Reduction ratio r of the hidden layer. Defaults to 16.
    """

    def __init__(self, channels: int, ratio: int = 16) -> None:
        super().__init__()
        self.group_size: Optional[int] = None
        self.mlp = nn.Sequential(
            nn.Linear(channels, channels // ratio),
            nn.ReLU(inplace=True),
            nn.Linear(channels // ratio, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Multiply every channel by its gate."""
        pooled = x.mean(dim=(2, 3))
        if self.group_size is not None and _check_groups(x.size(0), self.group_size) > 1:
            # a matmul's rounding can depend on its row count: run each group's rows alone
            z = torch.cat([self.mlp(part) for part in pooled.split(self.group_size)])
        else:
            z = self.mlp(pooled)
        return x * gaussian_gate(z, self.group_size)[:, :, None, None]


class SpatialAMM(nn.Module):
    """Spatial modulation: [channel max, channel mean] -> k x k conv (2 -> 1, no bias) ->
    batch-statistics BN -> Gaussian gate over the whole (N, 1, H, W) map.

    Args:
        kernel_size (int): Conv kernel size. Defaults to 7.
    """

    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        self.group_size: Optional[int] = None
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = BatchStatNorm2d(1, eps=1e-5, momentum=0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Multiply every position by its gate."""
        pooled = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)
        return x * gaussian_gate(self.bn(self.conv(pooled)), self.group_size)


@MODELS.register_module()
class AMM(BaseModule):
    """Attention modulation module: channel AMM, then spatial AMM (no inner skip).

    A plug-in for the position after the last conv + BN of a residual block, before the
    addition (``position='after_conv3'`` in mmseg/mmdet ResNet bottlenecks, or the plug-in slot
    of :class:`EfficientNetLite` blocks). Registered in mmengine's root ``MODELS``, which every
    scope searches, so ``build_plugin_layer`` finds it from mmpretrain and mmseg alike; its
    abbreviation makes the module name ``amm`` as in the released checkpoints.

    Because the gates pool their statistics over the batch, one image's output depends on the
    other images of the (per-device) batch, in training and in eval mode alike. Inside
    :func:`amm_group_size` the statistics are taken per group of consecutive samples instead
    (batched anti-adversarial climbing stacks several image/flip pairs in one batch).

    Args:
        in_channels (int): Channels of the modulated feature map.
        ratio (int): Reduction ratio of the channel MLP. Defaults to 16.
        kernel_size (int): Kernel of the spatial conv. Defaults to 7.
        init_cfg (dict, optional): Defaults to None (PyTorch default init, as released).
    """

    _abbr_ = 'amm'

    def __init__(
        self, in_channels: int, ratio: int = 16, kernel_size: int = 7, init_cfg: dict = None
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.channel_amm = ChannelAMM(in_channels, ratio)
        self.spatial_amm = SpatialAMM(kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Modulate ``x`` (N, C, H, W); the output has the same shape."""
        return self.spatial_amm(self.channel_amm(x))


@contextmanager
def amm_group_size(model: nn.Module, group_size: Optional[int]) -> Iterator[int]:
    """Make every AMM gate and batch-statistics BN of ``model`` pool per group of samples.

    Inside the context a batch of ``G * group_size`` samples is normalised group by group:
    each run of ``group_size`` consecutive samples gets the gates and BN statistics it would
    get as a batch of its own, so stacking several image/flip pairs (``group_size=2``) in one
    forward gives every pair the released, pair-only result. The previous settings are
    restored on exit. A model without AMMs is unaffected.

    Args:
        model (nn.Module): Any model; its :class:`ChannelAMM`, :class:`SpatialAMM` and
            :class:`BatchStatNorm2d` modules are switched.
        group_size (int, optional): Samples per group (>= 1); None pools over the batch.

    Yields:
        int: The number of switched modules.
    """
    if group_size is not None and (not isinstance(group_size, int) or group_size < 1):
        raise ValueError(f'group_size must be a positive int or None, got {group_size!r}')
    mods = [m for m in model.modules() if isinstance(m, (ChannelAMM, SpatialAMM, BatchStatNorm2d))]
    previous = [m.group_size for m in mods]
    for m in mods:
        m.group_size = group_size
    try:
        yield len(mods)
    finally:
        for m, g in zip(mods, previous):
            m.group_size = g
