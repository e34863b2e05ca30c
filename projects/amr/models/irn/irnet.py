"""IRNet: inter-pixel relation network on a frozen backbone (IRN, Ahn et al., CVPR 2019)."""

from collections.abc import Sequence
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmpretrain.registry import MODELS

from .irn_branches import DisplacementBranch, EdgeBranch
from .irn_loss import affinity_displacement_loss
from .path_index import PathIndex


@MODELS.register_module()
class IRNet(BaseModel):
    """A frozen backbone whose multi-level features feed a boundary and a displacement branch.

    Training (``mode='loss'``) takes images with their IR labels downsampled x0.25
    (``data_samples[i].ir_label``, (h, w) with 0 = background, k + 1 = class k, 255 = unsure)
    and returns the affinity and displacement losses of :func:`affinity_displacement_loss`.
    The backbone is never trained: its parameters are frozen, it stays in eval mode and runs
    without gradients (IRN detaches every stage).

    Args:
        backbone (dict): Backbone config; it must return the levels of ``in_channels``
            (after the optional stem level).
        in_channels (Sequence[int]): Channels of every level, stem first if used
            (ResNet-50: 64, 256, 512, 1024, 2048).
        strides (Sequence[int]): Stride of every level (ResNet-50 at output stride 16:
            4, 4, 8, 16, 16); the smallest is the output grid.
        stem_module (str, optional): Name of a backbone sub-module whose output is used as an
            extra first level (``'maxpool'`` for ResNet, IRN's ``stage1``). Defaults to None.
        edge_channels (int): Channels per level in the boundary branch. Defaults to 32.
        dp_channels (Sequence[int]): Channels per level in the displacement branch
            (IRN: 64, 128, 256, 256, 256).
        dp_mid_channels (int): Merged channels of the displacement branch. Defaults to 256.
        radius (int): Path-index radius of the training pairs. Defaults to 10.
        num_classes (int): Classes including background. Defaults to 21.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        backbone: dict,
        in_channels: Sequence[int] = (64, 256, 512, 1024, 2048),
        strides: Sequence[int] = (4, 4, 8, 16, 16),
        stem_module: Optional[str] = None,
        edge_channels: int = 32,
        dp_channels: Sequence[int] = (64, 128, 256, 256, 256),
        dp_mid_channels: int = 256,
        radius: int = 10,
        num_classes: int = 21,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ClsDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        for p in self.backbone.parameters():
            p.requires_grad = False
        self.stem_module = stem_module
        self._stem_out: Optional[torch.Tensor] = None
        if stem_module is not None:
            self.backbone.get_submodule(stem_module).register_forward_hook(self._keep_stem)
        self.strides = tuple(strides)
        self.edge_branch = EdgeBranch(in_channels, strides, edge_channels)
        self.dp_branch = DisplacementBranch(in_channels, strides, dp_channels, dp_mid_channels)
        self.path_index = PathIndex(radius)
        self.num_classes = num_classes

    def _keep_stem(self, module: nn.Module, inputs, output: torch.Tensor) -> None:
        self._stem_out = output

    def train(self, mode: bool = True) -> 'IRNet':
        """Set the mode of the branches; the backbone always stays in eval mode."""
        super().train(mode)
        self.backbone.eval()
        return self

    def extract_feat(self, inputs: torch.Tensor) -> list[torch.Tensor]:
        """The frozen multi-level features (stem level first when ``stem_module`` is set)."""
        with torch.no_grad():
            feats = list(self.backbone(inputs))
            if self.stem_module is not None:
                feats.insert(0, self._stem_out)
                self._stem_out = None
        if len(feats) != len(self.strides):
            raise ValueError(
                f'the backbone gave {len(feats)} levels, the branches expect '
                f'{len(self.strides)} (check out_indices / stem_module)'
            )
        return [f.detach() for f in feats]

    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[list] = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Boundary logits (B, 1, h, w) and displacement field (B, 2, h, w), stride 4."""
        feats = self.extract_feat(inputs)
        base = self.strides.index(min(self.strides))
        size = tuple(feats[base].shape[-2:])
        return self.edge_branch(feats, size), self.dp_branch(feats, size)

    def forward(
        self, inputs: torch.Tensor, data_samples: Optional[list] = None, mode: str = 'tensor'
    ) -> Union[dict, tuple, list]:
        """``'tensor'``: (edge logits, displacement); ``'loss'``: losses; ``'predict'``:
        the data samples with ``edge`` (h, w) boundary probabilities.
        """
        if mode == 'tensor':
            return self._forward(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            edge, _ = self._forward(inputs)
            edge = torch.sigmoid(edge[:, 0])
            samples = data_samples if data_samples is not None else [None] * len(edge)
            out = []
            for sample, e in zip(samples, edge):
                if sample is None:
                    from mmpretrain.structures import DataSample

                    sample = DataSample()
                sample.set_field(e, 'edge', field_type='data')
                out.append(sample)
            return out
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict[str, torch.Tensor]:
        """IRN's affinity + displacement losses on the IR labels of ``data_samples``."""
        edge, disp = self._forward(inputs)
        label = torch.stack([torch.as_tensor(s.ir_label) for s in data_samples])
        label = label.to(device=edge.device, dtype=torch.long)
        return affinity_displacement_loss(edge, disp, label, self.path_index, self.num_classes)

    @torch.no_grad()
    def edge_map(self, inputs: torch.Tensor) -> torch.Tensor:
        """IRN's inference boundary map from an image and its flip.

        Args:
            inputs (Tensor): One normalised image (1, 3, H, W) or (3, H, W).

        Returns:
            Tensor: (h, w) ``sigmoid((e(x) + flip(e(flip(x)))) / 2)`` on the stride-4 grid.
        """
        if inputs.dim() == 3:
            inputs = inputs[None]
        batch = torch.cat([inputs[:1], inputs[:1].flip(-1)], dim=0)
        edge, _ = self._forward(batch)
        return torch.sigmoid(edge[0, 0] / 2 + edge[1, 0].flip(-1) / 2)
