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

    num_branches = 1

    def cams(self, inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Raw (pre-ReLU) CAMs of each branch; a plain classifier has one branch.

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).

        Returns:
            tuple[Tensor]: ``(cam,)`` with ``cam`` of shape (N, num_classes, h, w).
        """
        return (self.head.cam(self.extract_feat(inputs, stage='backbone')),)

    def branch_cam(self, inputs: torch.Tensor, branch: int = 0) -> torch.Tensor:
        """Raw CAM of the only branch (``cams(inputs)[0]``)."""
        if branch != 0:
            raise ValueError(f'CAMClassifier has one branch (0), got {branch}')
        return self.cams(inputs)[0]
