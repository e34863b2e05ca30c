"""Evaluation: confusion matrices and the CAM metric with a background-threshold sweep."""

from .cam_metric import CAMMetric, default_thresholds, format_table, json_safe
from .confusion import cams_to_label, confusion_matrix, iou_from_confusion

__all__ = ['CAMMetric', 'cams_to_label', 'confusion_matrix', 'default_thresholds',
           'format_table', 'iou_from_confusion', 'json_safe']
