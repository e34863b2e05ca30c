"""Evaluation: confusion matrices, the CAM metric with a background-threshold sweep, and
multi-label mAP over the classes present.
"""

from .cam_metric import CAMMetric, default_thresholds, format_table
from .confusion import cams_to_label, confusion_matrix, iou_from_confusion
from .present_class_ap import PresentClassAveragePrecision

__all__ = [
    'CAMMetric',
    'PresentClassAveragePrecision',
    'cams_to_label',
    'confusion_matrix',
    'default_thresholds',
    'format_table',
    'iou_from_confusion',
]
