"""CAM inference (multi-scale + flip, anti-adversarial climbing), CRF, pseudo-label writing."""

from .adversarial_climbing import climb_class_map
from .crf import crf_inference_label, make_ir_label, make_seed_label
from .generate import evaluate_folder, evaluate_pseudo_labels, generate_pseudo_labels, overlay_cam
from .inference import DEFAULT_SCALES, infer_cams, load_image, normalisation_of

__all__ = [
    'DEFAULT_SCALES',
    'climb_class_map',
    'crf_inference_label',
    'evaluate_folder',
    'evaluate_pseudo_labels',
    'generate_pseudo_labels',
    'infer_cams',
    'load_image',
    'make_ir_label',
    'make_seed_label',
    'normalisation_of',
    'overlay_cam',
]
