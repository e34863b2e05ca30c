from .transforms import *  # noqa: F401,F403
from .voc_image_label import VOC_CLASSES, VOCImageLabelDataset

__all__ = ['VOCImageLabelDataset', 'VOC_CLASSES']
