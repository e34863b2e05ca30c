"""The plain CAM classifier (AMR's spotlight branch, pre-trained in stage 1)."""

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS


@MODELS.register_module()
class CAMClassifier(ImageClassifier):
    """Backbone -> GAP -> bias-free 1x1 classifier, with dense class activation maps.

    Same arguments as :class:`mmpretrain.models.ImageClassifier`; the head must provide
    ``cam(feats)`` (e.g. :class:`CAMHead`).
    """

    def cams(self, inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Raw (pre-ReLU) CAMs of each branch; a plain classifier has one branch.

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).

        Returns:
            tuple[Tensor]: ``(cam,)`` with ``cam`` of shape (N, num_classes, h, w).
        """
        return (self.head.cam(self.extract_feat(inputs, stage='backbone')),)
