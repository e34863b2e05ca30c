"""Multi-label soft-margin loss with torch's semantics (IRN/AMR's classification loss)."""

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS


@MODELS.register_module()
class MultiLabelSoftMarginLoss(nn.Module):
    """``loss_weight * F.multilabel_soft_margin_loss``: BCE-with-logits averaged over classes
    *and* samples.

    mmpretrain's ``CrossEntropyLoss(use_sigmoid=True)`` as called by its multi-label heads
    (``avg_factor=batch``) sums over the classes instead, i.e. it is 20x larger on VOC; AMR's
    loss weights (0.5 / 0.5 / 0.05) assume this mean.

    Args:
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(
        self,
        cls_score: torch.Tensor,
        label: torch.Tensor,
        weight: Optional[torch.Tensor] = None,
        avg_factor: Optional[int] = None,
        reduction_override: Optional[str] = None,
        **kwargs,
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            cls_score (Tensor): Logits, shape (N, C).
            label (Tensor): Multi-hot targets, shape (N, C).
            weight (Tensor, optional): Per-class weight, shape (C,).
            avg_factor (int, optional): Ignored: the mean is always over N*C, as in torch.
            reduction_override (str, optional): ``'none'``, ``'mean'`` or ``'sum'``
                (over samples; the class mean is always taken).
            **kwargs: Ignored (mmpretrain heads may pass extra arguments).

        Returns:
            Tensor: The weighted loss.
        """
        reduction = reduction_override or 'mean'
        # float32 logits under AMP (the log-sigmoid of fp16 logits loses the small losses)
        loss = F.multilabel_soft_margin_loss(
            cls_score.float() if cls_score.dtype in (torch.float16, torch.bfloat16) else cls_score,
            label.to(torch.promote_types(cls_score.dtype, torch.float32)),
            weight=weight,
            reduction=reduction,
        )
        return self.loss_weight * loss
