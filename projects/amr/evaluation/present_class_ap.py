"""Multi-label mAP over the classes that occur in the evaluated set."""

import torch
from mmpretrain.evaluation import AveragePrecision
from mmpretrain.registry import METRICS


@METRICS.register_module()
class PresentClassAveragePrecision(AveragePrecision):
    """mmpretrain's ``AveragePrecision`` plus the mean over classes with a positive image.

    mmpretrain gives a class without any positive image an AP of 0 and averages over all
    classes, so on a subset that lacks classes (voc-mini has no aeroplane; the demo set has
    4 of the 20 VOC classes) its ``mAP`` measures the subset, not the classifier. This metric
    reports both: ``mAP`` (mmpretrain's, over all classes) and ``mAP_present`` (over the
    ``num_present`` classes with at least one positive image).
    """

    def compute_metrics(self, results: list) -> dict:
        """Compute ``mAP``, ``mAP_present`` and ``num_present``."""
        target = torch.stack([res['gt_score'] for res in results])
        pred = torch.stack([res['pred_score'] for res in results])
        ap = self.calculate(pred, target, None)  # per-class AP (in %)
        present = (target == 1).any(dim=0)
        return dict(
            mAP=ap.mean().item(),
            mAP_present=ap[present].mean().item(),
            num_present=int(present.sum()),
        )
