"""AMR's cross pseudo supervision loss: L1 between the two branches' ReLU'd CAMs."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

PAIRINGS = ('official', 'per_sample')


@MODELS.register_module()
class CrossPseudoSupervisionLoss(nn.Module):
    """``loss_weight * L1(ReLU(cam_spotlight), ReLU(cam_compensation))`` (reference §3).

    The CAMs are raw (pre-ReLU, un-normalised) dense class activation maps at feature
    resolution. Neither side is detached: the gradient reaches both branches (in AMR's
    faithful mode the spotlight features are already detached upstream, so only its 1x1
    classifier learns from this loss).

    Two pairings exist because the released code does something that is not what the paper
    describes:

    * ``'official'`` (as released, reference §2.4/§9.7): on each device, each branch's batch
      of CAMs is first reduced to ``CAM[0] + hflip(CAM[1])`` (an IRN inference-time flip
      fusion left in the training forward), and the L1 is taken between the two composites.
      Only the first two samples of every per-device batch take part, and they are two
      *different* images, one of them flipped. Under DDP each process computes it on its own
      chunk, exactly like ``DataParallel`` replicas did. A per-device batch below 2 is an
      error.
    * ``'per_sample'`` (the paper's intent): every image's spotlight CAM against its own
      compensation CAM, mean over batch, classes and positions. Different loss scale and
      gradient; a documented deviation from the release.

    Args:
        loss_weight (float): Multiplier. Defaults to 0.05 (as released).
        pairing (str): ``'official'`` or ``'per_sample'``. Defaults to ``'official'``.
        loss_name (str): Key of the loss in the loss dict. Defaults to ``'loss_cps'``.
    """

    def __init__(
        self, loss_weight: float = 0.05, pairing: str = 'official', loss_name: str = 'loss_cps'
    ) -> None:
        super().__init__()
        if pairing not in PAIRINGS:
            raise ValueError(f'pairing must be one of {PAIRINGS}, got {pairing!r}')
        self.loss_weight = loss_weight
        self.pairing = pairing
        self.loss_name = loss_name

    def compose(self, cam: torch.Tensor) -> torch.Tensor:
        """The released per-device composite ``ReLU(cam)[0] + hflip(ReLU(cam)[1])``.

        Args:
            cam (Tensor): Raw CAMs (N, K, h, w) of one branch, N >= 2.

        Returns:
            Tensor: (K, h, w).
        """
        if cam.size(0) < 2:
            raise ValueError(
                "CrossPseudoSupervisionLoss(pairing='official') needs at least 2 samples per "
                f'device (it uses sample 0 + flipped sample 1), got a batch of {cam.size(0)}; '
                "use a larger per-device batch or pairing='per_sample'"
            )
        cam = F.relu(cam)
        return cam[0] + cam[1].flip(-1)

    def forward(self, cam_spotlight: torch.Tensor, cam_compensation: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            cam_spotlight (Tensor): Raw CAMs of the spotlight branch (N, K, h, w).
            cam_compensation (Tensor): Raw CAMs of the compensation branch, same shape.

        Returns:
            Tensor: The weighted scalar loss.
        """
        if cam_spotlight.shape != cam_compensation.shape:
            raise ValueError(
                f'CAM shapes differ: {tuple(cam_spotlight.shape)} vs '
                f'{tuple(cam_compensation.shape)}'
            )
        if self.pairing == 'official':
            loss = F.l1_loss(self.compose(cam_spotlight), self.compose(cam_compensation))
        else:
            loss = F.l1_loss(F.relu(cam_spotlight), F.relu(cam_compensation))
        return self.loss_weight * loss
