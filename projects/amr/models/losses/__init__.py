from .cross_pseudo_supervision_loss import CrossPseudoSupervisionLoss
from .multilabel_soft_margin_loss import MultiLabelSoftMarginLoss

__all__ = ['CrossPseudoSupervisionLoss', 'MultiLabelSoftMarginLoss']
