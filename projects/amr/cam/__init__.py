"""CAM inference (multi-scale + flip, anti-adversarial climbing), CRF, pseudo-label writing."""

from .adversarial_climbing import climb_class_map, climb_class_maps, climb_pair_maps
from .crf import crf_inference_label, make_ir_label, make_seed_label
from .generate import evaluate_folder, evaluate_pseudo_labels, generate_pseudo_labels, overlay_cam
from .inference import (
    CLIMBING_KEYS,
    DEFAULT_SCALES,
    infer_cams,
    infer_cams_batch,
    load_image,
    normalisation_of,
)
from .map_extractors import MAP_EXTRACTORS, RESIZES, RESTRICTION_MASKS, gradcam_scale, pair_maps

__all__ = [
    'CLIMBING_KEYS',
    'DEFAULT_SCALES',
    'MAP_EXTRACTORS',
    'RESIZES',
    'RESTRICTION_MASKS',
    'climb_class_map',
    'climb_class_maps',
    'climb_pair_maps',
    'crf_inference_label',
    'evaluate_folder',
    'evaluate_pseudo_labels',
    'generate_pseudo_labels',
    'gradcam_scale',
    'infer_cams',
    'infer_cams_batch',
    'load_image',
    'make_ir_label',
    'make_seed_label',
    'normalisation_of',
    'overlay_cam',
    'pair_maps',
]
