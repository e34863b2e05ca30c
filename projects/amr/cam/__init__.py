"""CAM inference (multi-scale + flip, anti-adversarial climbing), its settings, the seed rule
and the CRF. The pseudo-label stage that writes a dataset's CAMs, seeds and IR labels is
:mod:`.generate` (imported on its own: it evaluates with :mod:`projects.amr.evaluation`,
which uses the seed rule here).
"""

from .adversarial_climbing import climb_class_map, climb_class_maps, climb_pair_maps
from .crf import crf_inference_label, crf_seed_label, make_ir_label, make_seed_label
from .inference import (
    class_pair_maps,
    infer_cams,
    infer_cams_batch,
    load_image,
    max_norm,
    normalisation_of,
    scaled_pair,
)
from .map_extractors import MAP_EXTRACTORS, RESIZES, RESTRICTION_MASKS, gradcam_scale, pair_maps
from .seed import class_lut, seed_label, seed_label_sweep, seed_planes
from .settings import (
    CAM_KEYS,
    CLIMBING_KEYS,
    DEFAULT_SCALES,
    CAMSettings,
    ClimbingSettings,
    PseudoLabelSettings,
)

__all__ = [
    'CAM_KEYS',
    'CLIMBING_KEYS',
    'CAMSettings',
    'ClimbingSettings',
    'DEFAULT_SCALES',
    'MAP_EXTRACTORS',
    'PseudoLabelSettings',
    'RESIZES',
    'RESTRICTION_MASKS',
    'class_lut',
    'class_pair_maps',
    'climb_class_map',
    'climb_class_maps',
    'climb_pair_maps',
    'crf_inference_label',
    'crf_seed_label',
    'gradcam_scale',
    'infer_cams',
    'infer_cams_batch',
    'load_image',
    'make_ir_label',
    'make_seed_label',
    'max_norm',
    'normalisation_of',
    'pair_maps',
    'scaled_pair',
    'seed_label',
    'seed_label_sweep',
    'seed_planes',
]
