"""DeepLabV2's ASPP classifier as an mmseg decode head."""

from collections.abc import Sequence

import torch
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS


@MODELS.register_module()
class DeepLabV2Head(BaseDecodeHead):
    """DeepLabV2 ASPP head (Chen et al., TPAMI 2018), the segmenter of WSSS papers.

    Four parallel 3x3 convolutions with dilations 6/12/18/24 map the last backbone feature
    straight to the class scores (with bias, no norm, no activation, no dropout) and their
    outputs are summed. Unlike :class:`mmseg.models.decode_heads.ASPPHead` (DeepLabV3) there is
    no image pooling, no bottleneck and no ``conv_seg``: the ``conv_seg`` that
    :class:`BaseDecodeHead` always builds is deleted, so every parameter of the head receives
    a gradient and DDP needs no ``find_unused_parameters``. The loss goes through the usual
    :meth:`BaseDecodeHead.loss_by_feat`.

    Args:
        in_channels (int): Channels of the backbone feature (2048 for ResNet-101).
        num_classes (int): Number of classes (21 for PASCAL VOC).
        dilations (Sequence[int]): Dilation (= padding) of each branch.
            Defaults to ``(6, 12, 18, 24)``.
        init_cfg (dict): Initialisation; DeepLabV2 uses Normal(0, 0.01) weights and zero
            biases for every branch. Defaults to
            ``dict(type='Normal', std=0.01, bias=0, layer='Conv2d')``.
        **kwargs: Other :class:`BaseDecodeHead` arguments (``loss_decode``, ``ignore_index``,
            ``in_index``, ``align_corners`` ...). ``channels``, ``dropout_ratio``,
            ``norm_cfg`` and ``act_cfg`` are not used by this head and must not be given.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        dilations: Sequence[int] = (6, 12, 18, 24),
        init_cfg: dict = dict(type='Normal', std=0.01, bias=0, layer='Conv2d'),
        **kwargs,
    ) -> None:
        unused = {'channels', 'dropout_ratio', 'norm_cfg', 'act_cfg'} & set(kwargs)
        if unused:
            raise TypeError(f'DeepLabV2Head does not use {sorted(unused)}')
        super().__init__(
            in_channels,
            channels=in_channels,
            num_classes=num_classes,
            dropout_ratio=0.0,
            init_cfg=init_cfg,
            **kwargs,
        )
        # BaseDecodeHead always builds a 1x1 classifier; DeepLabV2 has none.
        del self.conv_seg
        self.dilations = tuple(dilations)
        self.aspp = nn.ModuleList(
            nn.Conv2d(in_channels, self.out_channels, 3, padding=d, dilation=d, bias=True)
            for d in self.dilations
        )

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """Sum the dilated branches on the selected backbone feature.

        Args:
            inputs (Sequence[Tensor]): Multi-level backbone features.

        Returns:
            Tensor: Class scores of shape (N, num_classes, H, W) at the feature resolution.
        """
        x = self._transform_inputs(inputs)
        return sum(conv(x) for conv in self.aspp)

    def cls_seg(self, feat: torch.Tensor) -> torch.Tensor:
        """Identity: the summed ASPP branches already are the class scores (no ``conv_seg``)."""
        return feat
