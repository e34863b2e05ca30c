from .transforms import *  # noqa: F401,F403
from .voc_image_label import VOC_CLASSES, VOCImageLabelDataset

__all__ = ['VOCImageLabelDataset', 'VOC_CLASSES']
from .ir_label_dataset import IRLabelDataset  # noqa: E402
from .transforms.irn_transforms import LoadIRLabel, PackIRInputs, RandomRescale  # noqa: E402

__all__ += ['IRLabelDataset', 'LoadIRLabel', 'PackIRInputs', 'RandomRescale']
