"""mAP over the classes present, next to mmpretrain's mAP over all classes."""

import torch

from projects.amr.evaluation import PresentClassAveragePrecision


def test_absent_classes_are_excluded_from_map_present():
    metric = PresentClassAveragePrecision()
    # class 0: perfectly ranked (AP 100); class 1: worst ranking of 1 positive in 3 (AP 33.3);
    # class 2: no positive image (mmpretrain's AP: 0)
    scores = torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.3, 0.4], [0.1, 0.2, 0.3]])
    targets = torch.tensor([[1, 1, 0], [0, 0, 0], [0, 0, 0]])
    metric.process(None, [dict(pred_score=s, gt_score=t) for s, t in zip(scores, targets)])
    out = metric.evaluate(3)
    assert out['multi-label/num_present'] == 2
    assert abs(out['multi-label/mAP_present'] - (100 + 100 / 3) / 2) < 1e-3
    assert abs(out['multi-label/mAP'] - (100 + 100 / 3 + 0) / 3) < 1e-3
