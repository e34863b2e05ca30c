"""AMR's two-branch classifier: spotlight (plain CAM) + compensation (AMM) branches."""

import copy
import os.path as osp
from collections.abc import Sequence
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint
from mmpretrain.models.classifiers import BaseClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

MODES = ('faithful', 'joint')
COMPENSATION_INITS = ('imagenet', 'spotlight')
PREDICT_BRANCHES = ('fused', 'spotlight', 'compensation')


def backbone_stage_modules(backbone: nn.Module, index: int) -> list[nn.Module]:
    """Modules of stage ``index`` of a backbone (-1 = the stem).

    Supports mmseg/mmpretrain-style ResNets (``conv1``/``norm1`` or ``stem``, ``res_layers``)
    and backbones with a ``stage_modules(index)`` method (:class:`EfficientNetLite`).

    Args:
        backbone (nn.Module): The backbone.
        index (int): Stage index, -1 for the stem.

    Returns:
        list[nn.Module]: The modules, in forward order.
    """
    if hasattr(backbone, 'stage_modules'):
        return list(backbone.stage_modules(index))
    if hasattr(backbone, 'res_layers'):
        if index >= 0:
            return [getattr(backbone, backbone.res_layers[index])]
        if getattr(backbone, 'deep_stem', False):
            return [backbone.stem]
        return [backbone.conv1, backbone.norm1]
    raise TypeError(
        f'{type(backbone).__name__} exposes neither `stage_modules` nor '
        '`res_layers`; cannot freeze its first stages'
    )


def spotlight_state_from_checkpoint(path: str) -> dict[str, torch.Tensor]:
    """Read a stage-1 :class:`CAMClassifier` checkpoint as spotlight-branch weights.

    ``backbone.*`` becomes ``spotlight_backbone.*`` and ``head.*`` ``spotlight_head.*``;
    keys already named ``spotlight_*`` (an AMR checkpoint) are kept; anything else (e.g.
    data-preprocessor buffers) is dropped.

    Args:
        path (str): Local path (or any URI mmengine's loaders accept).

    Returns:
        dict[str, Tensor]: State dict with ``spotlight_*`` keys.
    """
    if '://' not in path and not osp.isfile(path):
        raise FileNotFoundError(
            f'AMRClassifier: spotlight_checkpoint {path!r} does not exist. Train stage 1 '
            '(configs/amr/cam_*.py) first, or point model.spotlight_checkpoint at its '
            'checkpoint (e.g. --cfg-options model.spotlight_checkpoint=PATH).'
        )
    ckpt = _load_checkpoint(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
    out = {}
    for key, value in state.items():
        key = key[len('module.') :] if key.startswith('module.') else key
        for src, dst in (
            ('backbone.', 'spotlight_backbone.'),
            ('head.', 'spotlight_head.'),
            ('spotlight_backbone.', 'spotlight_backbone.'),
            ('spotlight_head.', 'spotlight_head.'),
        ):
            if key.startswith(src):
                out[dst + key[len(src) :]] = value
                break
    if not out:
        raise KeyError(f'AMRClassifier: no backbone.*/head.* weights in {path!r}')
    return out


@MODELS.register_module()
class AMRClassifier(BaseClassifier):
    """AMR: a spotlight and a compensation branch, trained with L_cls^s, L_cls^c and L_cps.

    * **Spotlight branch** (``spotlight_backbone`` + ``spotlight_head``): the plain CAM
      classifier of stage 1, loaded from ``spotlight_checkpoint`` in :meth:`init_weights`.
    * **Compensation branch** (``compensation_backbone`` + ``compensation_head``): a separate
      backbone with an AMM in every residual block (its ``plugins``), ImageNet-initialised,
      and its own bias-free 1x1 classifier.

    Modes (reference §2.2, §9.1):

    * ``'faithful'`` (as released): the spotlight backbone has ``requires_grad=False``, runs
      without autograd and stays in eval mode; its logits are detached, so ``loss_cls_s`` is
      logged but gives no gradient; its classifier learns only through L_cps.
    * ``'joint'`` (the paper's figure): the spotlight branch is trained with its own
      classification loss and L_cps.

    In both modes the compensation stem + first ``compensation_frozen_stages`` stages get
    ``requires_grad=False`` and their output is detached in the ``loss`` forward (their AMMs
    stay random but active; no module is switched to eval mode). Parameters that never receive
    gradients have ``requires_grad=False``, so DDP needs no ``find_unused_parameters``.

    Args:
        backbone (dict): Spotlight backbone config (the stage-1 backbone).
        head (dict): Spotlight head config (a :class:`CAMHead`; its loss is L_cls^s with its
            weight, 0.5 as released).
        compensation_backbone (dict, optional): Keys that override a copy of ``backbone``
            (shallow update), typically ``plugins`` with the AMM. Defaults to None (a plain
            copy).
        compensation_head (dict, optional): Keys that override a copy of ``head``.
        cps_loss (dict): The cross pseudo supervision loss. Defaults to
            ``CrossPseudoSupervisionLoss(loss_weight=0.05, pairing='official')``.
        mode (str): ``'faithful'`` or ``'joint'``. Defaults to ``'faithful'``.
        spotlight_checkpoint (str, optional): Stage-1 :class:`CAMClassifier` checkpoint; its
            ``backbone.*``/``head.*`` weights initialise the spotlight branch in
            :meth:`init_weights` (a missing file raises there, not at build time).
        compensation_frozen_stages (int): Number of compensation stages after the stem that
            are frozen by ``requires_grad=False`` + detach. Defaults to 1 (stem + first stage).
        predict_branch (str): Logits behind ``predict`` scores: ``'fused'`` (mean of both
            branches' logits, the classification counterpart of the 0.5/0.5 CAM fusion),
            ``'spotlight'`` or ``'compensation'``. Defaults to ``'fused'``.
        compensation_init (str): Initialisation of the compensation backbone and head.
            ``'imagenet'`` (as released): the backbone's own (ImageNet) weights and a fresh
            classifier. ``'spotlight'`` (a deviation for short schedules): after the
            spotlight branch is loaded from ``spotlight_checkpoint``, its backbone and
            classifier weights are copied into the compensation branch; the AMMs, which the
            spotlight lacks, keep their initialisation. Reason: with a few hundred iterations
            an ImageNet-initialised compensation branch stays far weaker than the trained
            spotlight, and the 0.5/0.5 fusion then mixes a weak map into a strong one
            (docs/results.md); starting both branches from the spotlight lets the AMMs and
            L_cps act on features that already localise the classes. Needs
            ``spotlight_checkpoint``. Defaults to ``'imagenet'``.
        data_preprocessor (dict, optional): Defaults to ``ClsDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config of the whole model.
    """

    num_branches = 2

    def __init__(
        self,
        backbone: dict,
        head: dict,
        compensation_backbone: Optional[dict] = None,
        compensation_head: Optional[dict] = None,
        cps_loss: dict = dict(
            type='CrossPseudoSupervisionLoss', loss_weight=0.05, pairing='official'
        ),
        mode: str = 'faithful',
        spotlight_checkpoint: Optional[str] = None,
        compensation_frozen_stages: int = 1,
        predict_branch: str = 'fused',
        compensation_init: str = 'imagenet',
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        if predict_branch not in PREDICT_BRANCHES:
            raise ValueError(
                f'predict_branch must be one of {PREDICT_BRANCHES}, got {predict_branch!r}'
            )
        if compensation_init not in COMPENSATION_INITS:
            raise ValueError(
                f'compensation_init must be one of {COMPENSATION_INITS}, got {compensation_init!r}'
            )
        if compensation_init == 'spotlight' and spotlight_checkpoint is None:
            raise ValueError("compensation_init='spotlight' needs a spotlight_checkpoint")
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
        super().__init__(init_cfg=init_cfg, data_preprocessor=MODELS.build(data_preprocessor))
        self.mode = mode
        self.spotlight_checkpoint = spotlight_checkpoint
        self.compensation_frozen_stages = compensation_frozen_stages
        self.predict_branch = predict_branch
        self.compensation_init = compensation_init

        comp_backbone = copy.deepcopy(dict(backbone))
        comp_backbone.update(compensation_backbone or {})
        comp_head = copy.deepcopy(dict(head))
        comp_head.update(compensation_head or {})
        self.spotlight_backbone = MODELS.build(copy.deepcopy(dict(backbone)))
        self.spotlight_head = MODELS.build(copy.deepcopy(dict(head)))
        self.compensation_backbone = MODELS.build(comp_backbone)
        self.compensation_head = MODELS.build(comp_head)
        self.cps_loss = MODELS.build(cps_loss)

        if mode == 'faithful':
            for p in self.spotlight_backbone.parameters():
                p.requires_grad = False
        self._detach_frozen_output = False
        if compensation_frozen_stages > 0:
            frozen = []
            for i in range(-1, compensation_frozen_stages):
                frozen += backbone_stage_modules(self.compensation_backbone, i)
            for m in frozen:
                for p in m.parameters():
                    p.requires_grad = False
            frozen[-1].register_forward_hook(self._detach_hook)

    # ------------------------------------------------------------------ init
    def init_weights(self) -> None:
        """Initialise; the spotlight branch comes from ``spotlight_checkpoint`` when set."""
        if self.spotlight_checkpoint is None:
            if self.mode == 'faithful':
                print_log(
                    'AMRClassifier: faithful mode without spotlight_checkpoint, the '
                    'frozen spotlight branch keeps its backbone initialisation',
                    logger='current',
                    level=30,
                )
            super().init_weights()
            return
        state = spotlight_state_from_checkpoint(self.spotlight_checkpoint)
        for module in (self.compensation_backbone, self.compensation_head):
            if hasattr(module, 'init_weights'):
                module.init_weights()
        spotlight = nn.ModuleDict(
            dict(spotlight_backbone=self.spotlight_backbone, spotlight_head=self.spotlight_head)
        )
        missing, unexpected = spotlight.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise KeyError(
                f'AMRClassifier: spotlight_checkpoint {self.spotlight_checkpoint!r} '
                f'does not fit the spotlight branch: missing {missing}, '
                f'unexpected {unexpected}'
            )
        print_log(
            f'AMRClassifier: spotlight branch loaded from {self.spotlight_checkpoint}',
            logger='current',
        )
        if self.compensation_init == 'spotlight':
            self._init_compensation_from_spotlight()
        self._is_init = True

    def _init_compensation_from_spotlight(self) -> None:
        """Copy the spotlight backbone + classifier into the compensation branch.

        Every spotlight key must exist in the compensation branch with the same shape; the
        only compensation keys left out are the AMMs' (``compensation_init='spotlight'``).
        """
        for src, dst in (
            (self.spotlight_backbone, self.compensation_backbone),
            (self.spotlight_head, self.compensation_head),
        ):
            missing, unexpected = dst.load_state_dict(src.state_dict(), strict=False)
            if unexpected or any('amm' not in k.lower() for k in missing):
                raise KeyError(
                    'AMRClassifier: the compensation branch does not mirror the spotlight '
                    f'branch: unexpected {unexpected}, missing non-AMM keys '
                    f'{[k for k in missing if "amm" not in k.lower()]}'
                )
        print_log(
            'AMRClassifier: compensation branch initialised from the spotlight '
            '(compensation_init=spotlight; AMMs keep their initialisation)',
            logger='current',
        )

    def _detach_hook(
        self, module: nn.Module, args: tuple, output: torch.Tensor
    ) -> Optional[torch.Tensor]:
        """Detach the last frozen compensation stage's output in the ``loss`` forward."""
        return output.detach() if self._detach_frozen_output else None

    def train(self, mode: bool = True) -> 'AMRClassifier':
        """Set the mode; a faithful-mode (frozen) spotlight backbone always stays in eval."""
        super().train(mode)
        if self.mode == 'faithful':
            self.spotlight_backbone.eval()
        return self

    # --------------------------------------------------------------- forward
    def extract_feat(
        self, inputs: torch.Tensor, branch: str = 'compensation'
    ) -> tuple[torch.Tensor, ...]:
        """Backbone features of one branch (``'spotlight'`` or ``'compensation'``)."""
        if branch == 'spotlight':
            return self.spotlight_backbone(inputs)
        if branch == 'compensation':
            return self.compensation_backbone(inputs)
        raise ValueError(f"branch must be 'spotlight' or 'compensation', got {branch!r}")

    def forward(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[list[DataSample]] = None,
        mode: str = 'tensor',
    ) -> Union[dict, list, tuple]:
        """Run one of the modes.

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).
            data_samples (list[DataSample], optional): Needed for ``'loss'``.
            mode (str): ``'loss'`` (dict of losses), ``'predict'`` (data samples with
                multi-label scores) or ``'tensor'`` (``(spotlight_logits,
                compensation_logits)``).
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return (
                self.spotlight_head(self.extract_feat(inputs, 'spotlight')),
                self.compensation_head(self.extract_feat(inputs, 'compensation')),
            )
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs: torch.Tensor, data_samples: list[DataSample]) -> dict:
        """``loss_cls_s`` (detached in faithful mode), ``loss_cls_c`` and ``loss_cps``.

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).
            data_samples (list[DataSample]): With ``gt_score`` (multi-hot) or ``gt_label``.

        Returns:
            dict[str, Tensor]: The weighted losses.
        """
        target = self._targets(data_samples, self.compensation_head.num_classes)
        if self.mode == 'faithful':
            with torch.no_grad():
                feats_s = tuple(f.detach() for f in self.spotlight_backbone(inputs))
                logits_s = self.spotlight_head(feats_s)
        else:
            feats_s = self.spotlight_backbone(inputs)
            logits_s = self.spotlight_head(feats_s)
        self._detach_frozen_output = self.compensation_frozen_stages > 0
        try:
            feats_c = self.compensation_backbone(inputs)
        finally:
            self._detach_frozen_output = False
        logits_c = self.compensation_head(feats_c)
        n = inputs.size(0)
        return dict(
            loss_cls_s=self.spotlight_head.loss_module(logits_s, target, avg_factor=n),
            loss_cls_c=self.compensation_head.loss_module(logits_c, target, avg_factor=n),
            loss_cps=self.cps_loss(
                self.spotlight_head.cam(feats_s), self.compensation_head.cam(feats_c)
            ),
        )

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[list[DataSample]] = None
    ) -> list[DataSample]:
        """Multi-label scores (sigmoid of the ``predict_branch`` logits) in data samples."""
        logits_s, logits_c = self.forward(inputs, mode='tensor')
        logits = dict(fused=(logits_s + logits_c) / 2, spotlight=logits_s, compensation=logits_c)[
            self.predict_branch
        ]
        return self.compensation_head._get_predictions(logits, data_samples)

    def cams(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw (pre-ReLU) CAMs of both branches; nothing is detached (input gradients flow).

        Args:
            inputs (Tensor): Normalised images (N, 3, H, W).

        Returns:
            tuple[Tensor, Tensor]: ``(spotlight, compensation)``, each (N, K, h, w) at the
            backbone's output stride (16: H/16 x W/16).
        """
        return (
            self.spotlight_head.cam(self.extract_feat(inputs, 'spotlight')),
            self.compensation_head.cam(self.extract_feat(inputs, 'compensation')),
        )

    def branch_cam(self, inputs: torch.Tensor, branch: int) -> torch.Tensor:
        """Raw CAM of one branch (0 spotlight, 1 compensation), running that branch only.

        The branches share nothing at inference, so this equals ``cams(inputs)[branch]`` at
        half the cost; anti-adversarial climbing, which climbs each branch separately, uses it.
        """
        if branch == 0:
            return self.spotlight_head.cam(self.extract_feat(inputs, 'spotlight'))
        if branch == 1:
            return self.compensation_head.cam(self.extract_feat(inputs, 'compensation'))
        raise ValueError(f'AMRClassifier has branches 0 and 1, got {branch}')

    @staticmethod
    def _targets(data_samples: Sequence[DataSample], num_classes: int) -> torch.Tensor:
        """Stack multi-hot targets (N, K) from ``gt_score`` or ``gt_label``."""
        if 'gt_score' in data_samples[0]:
            return torch.stack([s.gt_score.float() for s in data_samples])
        rows = []
        for s in data_samples:
            row = torch.zeros(num_classes, device=s.gt_label.device)
            row[s.gt_label] = 1
            rows.append(row)
        return torch.stack(rows)
