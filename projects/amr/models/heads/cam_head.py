"""The CAM classification head: global average pooling and a bias-free 1x1 classifier."""

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import MultiLabelClsHead
from mmpretrain.registry import MODELS


@MODELS.register_module()
class CAMHead(MultiLabelClsHead):
    """GAP -> 1x1 conv without bias over the foreground classes (IRN/AMR's classifier).

    Because the classifier is linear and bias-free, applying it densely to the feature map
    gives the class activation maps (:meth:`cam`) whose spatial mean are the logits.

    Args:
        in_channels (int): Channels of the last backbone feature map.
        num_classes (int): Foreground classes (20 on VOC; there is no background class).
        loss (dict): Classification loss. Defaults to torch's multi-label soft margin.
        thr (float, optional): Score threshold of :meth:`predict`. Defaults to 0.5.
        topk (int, optional): Predict the top-k classes instead of thresholding.
        init_cfg (dict, optional): Defaults to None: PyTorch's default conv init, as released.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int = 20,
        loss: dict = dict(type='MultiLabelSoftMarginLoss'),
        thr: Optional[float] = None,
        topk: Optional[int] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(loss=loss, thr=thr, topk=topk, init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.classifier = nn.Conv2d(in_channels, num_classes, 1, bias=False)

    def pre_logits(self, feats: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The last feature map (N, C, h, w)."""
        return feats[-1]

    def forward(self, feats: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Logits (N, num_classes): classifier of the globally average-pooled features."""
        x = F.adaptive_avg_pool2d(self.pre_logits(feats), 1)
        return self.classifier(x).flatten(1)

    def cam(self, feats: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Raw (pre-ReLU) class activation maps (N, num_classes, h, w)."""
        return self.classifier(self.pre_logits(feats))
