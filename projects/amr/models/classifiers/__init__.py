from .amr_classifier import AMRClassifier
from .amr_official_converter import convert_official_amr
from .cam_classifier import CAMClassifier

__all__ = ['AMRClassifier', 'CAMClassifier', 'convert_official_amr']
