from .irn_branches import DisplacementBranch, EdgeBranch, MeanShift
from .irn_loss import affinity_displacement_loss
from .irnet import IRNet
from .path_index import PathIndex, search_paths
from .random_walk import affinity_matrix, pair_affinity, random_walk

__all__ = [
    'DisplacementBranch',
    'EdgeBranch',
    'IRNet',
    'MeanShift',
    'PathIndex',
    'affinity_displacement_loss',
    'affinity_matrix',
    'pair_affinity',
    'random_walk',
    'search_paths',
]
