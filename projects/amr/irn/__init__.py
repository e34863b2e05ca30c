"""IRN's stage after IRN training: random-walk pseudo masks (``make_sem_seg_labels``)."""

from .generate import edge_map_of, evaluate_masks, make_sem_seg_masks
from .sem_seg import RANDOM_WALK_METHODS, RandomWalkSettings, make_sem_seg_label

__all__ = [
    'RANDOM_WALK_METHODS',
    'RandomWalkSettings',
    'edge_map_of',
    'evaluate_masks',
    'make_sem_seg_label',
    'make_sem_seg_masks',
]
