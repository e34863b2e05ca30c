"""Evaluation: confusion matrices, the CAM metric with a background-threshold sweep, and
multi-label mAP over the classes present.
"""

from .cam_metric import CAMMetric, default_thresholds, format_table, seg_class_names
from .confusion import confusion_matrix, iou_from_confusion
from .present_class_ap import PresentClassAveragePrecision

__all__ = [
    'CAMMetric',
    'PresentClassAveragePrecision',
    'confusion_matrix',
    'default_thresholds',
    'format_table',
    'iou_from_confusion',
    'seg_class_names',
]
