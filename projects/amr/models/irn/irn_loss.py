"""IRN's training loss: affinities from boundaries and displacements on IR-label pairs."""

import torch

from .path_index import PathIndex

EPS = 1e-5
HALF_DTYPES = (torch.float16, torch.bfloat16)  # AMP outputs, lifted to float32


def affinity_displacement_loss(
    edge_logits: torch.Tensor,
    disp: torch.Tensor,
    label: torch.Tensor,
    path_index: PathIndex,
    num_classes: int = 21,
) -> dict[str, torch.Tensor]:
    """The four terms of IRN's ``train_irn.py``, weighted so that they sum to its total.

    With the pair masks of :meth:`PathIndex.to_pair_labels` and ``a`` the path affinity:

    * ``L_bg+ = mean_{bg pos} -log(a)``, ``L_fg+ = mean_{fg pos} -log(a)``,
      ``L_neg = mean_{neg} -log(1 - a)``;
    * ``L_dp_fg = mean_{fg pos} |D(i) - D(j) - (j - i)|_1 / 2`` (same-instance pairs point
      at the same centroid), ``L_dp_bg = mean_{bg pos} |D(i) - D(j)|_1 / 2``;
    * total ``= (L_bg+ / 2 + L_fg+ / 2 + L_neg) / 2 + (L_dp_fg + L_dp_bg) / 2``.

    Args:
        edge_logits (Tensor): Boundary logits (B, 1, H, W) on the stride-4 grid.
        disp (Tensor): Displacement field (B, 2, H, W).
        label (Tensor): IR labels downsampled to the same grid (B, H, W); 255 = unsure.
        path_index (PathIndex): Pairs (IRN: radius 10).
        num_classes (int): Classes including background. Defaults to 21.

    Returns:
        dict[str, Tensor]: ``loss_aff_bg_pos``, ``loss_aff_fg_pos``, ``loss_aff_neg``,
        ``loss_dp_fg``, ``loss_dp_bg``, already weighted.
    """
    if label.shape[-2:] != edge_logits.shape[-2:]:
        raise ValueError(
            f'IR label grid {tuple(label.shape[-2:])} != feature grid '
            f'{tuple(edge_logits.shape[-2:])}; labels must be downsampled x0.25'
        )
    # float32 under AMP: in fp16, sigmoid saturates to 1 near logit 8 and 1 + EPS rounds to 1
    edge_logits, disp = (t.float() if t.dtype in HALF_DTYPES else t for t in (edge_logits, disp))
    bg_pos, fg_pos, neg = path_index.to_pair_labels(label, num_classes)
    aff = path_index.to_affinity(torch.sigmoid(edge_logits[:, 0]))
    pos_term = -torch.log(aff + EPS)
    neg_term = -torch.log(1.0 + EPS - aff)
    bg_pos_loss = (bg_pos * pos_term).sum() / (bg_pos.sum() + EPS)
    fg_pos_loss = (fg_pos * pos_term).sum() / (fg_pos.sum() + EPS)
    neg_loss = (neg * neg_term).sum() / (neg.sum() + EPS)
    pair_disp = path_index.to_pair_displacement(disp)
    target = path_index.displacement_target(disp.device)
    dp_fg = (torch.abs(pair_disp - target) * fg_pos.unsqueeze(1)).sum() / (2 * fg_pos.sum() + EPS)
    dp_bg = (torch.abs(pair_disp) * bg_pos.unsqueeze(1)).sum() / (2 * bg_pos.sum() + EPS)
    return dict(
        loss_aff_bg_pos=bg_pos_loss / 4,
        loss_aff_fg_pos=fg_pos_loss / 4,
        loss_aff_neg=neg_loss / 2,
        loss_dp_fg=dp_fg / 2,
        loss_dp_bg=dp_bg / 2,
    )
