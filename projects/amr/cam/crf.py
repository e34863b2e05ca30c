"""Dense CRF refinement of label maps and IRN's inter-pixel-relation (IR) labels.

Uses ``pydensecrf`` (the module the ``pydensecrf2`` wheel installs), with IRN's
``imutils.crf_inference_label`` settings: a label unary with ground-truth probability 0.7,
10 mean-field iterations, a Gaussian kernel (sxy 3, compat 3) and a bilateral kernel
(sxy 50, srgb 5, compat 10).
"""

import numpy as np

from .seed import class_lut, seed_planes


def crf_inference_label(
    img: np.ndarray, labels: np.ndarray, n_labels: int, t: int = 10, gt_prob: float = 0.7
) -> np.ndarray:
    """Refine a label map with a fully connected CRF (label unary).

    Args:
        img (np.ndarray): H x W x 3 uint8 image (RGB, as IRN reads it).
        labels (np.ndarray): H x W int label map with values in ``0..n_labels-1``.
        n_labels (int): Number of labels.
        t (int): Mean-field iterations. Defaults to 10.
        gt_prob (float): Confidence of the given labels. Defaults to 0.7.

    Returns:
        np.ndarray: H x W int64 refined labels.
    """
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_labels

    h, w = labels.shape
    if img.shape[:2] != (h, w):
        raise ValueError(f'image {img.shape[:2]} and labels {labels.shape} differ in size')
    if n_labels < 2:
        return np.zeros((h, w), dtype=np.int64)
    d = dcrf.DenseCRF2D(w, h, n_labels)
    d.setUnaryEnergy(
        unary_from_labels(labels.astype(np.int64), n_labels, gt_prob=gt_prob, zero_unsure=False)
    )
    d.addPairwiseGaussian(sxy=3, compat=3)
    d.addPairwiseBilateral(
        sxy=50, srgb=5, rgbim=np.ascontiguousarray(img, dtype=np.uint8), compat=10
    )
    q = d.inference(t)
    return np.argmax(np.array(q).reshape((n_labels, h, w)), axis=0).astype(np.int64)


def crf_seed_label(
    img: np.ndarray, cams: np.ndarray, keys: np.ndarray, bg_threshold: float, crf: bool = True
) -> np.ndarray:
    """Class ids of the seed rule (:mod:`.seed`) at ``bg_threshold``, its planes CRF-refined.

    Args:
        img (np.ndarray): H x W x 3 uint8 RGB image (used when ``crf``).
        cams (np.ndarray): (K, H, W) max-normalised CAMs of the classes ``keys``.
        keys (np.ndarray): 0-based foreground classes of the K planes.
        bg_threshold (float): Background score.
        crf (bool): Refine the plane map with the dense CRF. Defaults to True.

    Returns:
        np.ndarray: H x W int64 class ids (0 background).
    """
    planes = seed_planes(cams, bg_threshold)
    if crf:
        planes = crf_inference_label(img, planes, cams.shape[0] + 1)
    return class_lut(keys)[planes]


def make_ir_label(
    img: np.ndarray, cam_dict: dict, fg_thr: float = 0.60, bg_thr: float = 0.33, crf: bool = True
) -> np.ndarray:
    """IR label of one image from its CAMs (IRN/AMR ``step/cam_to_ir_label.py``).

    Confident foreground: the argmax with background ``fg_thr`` (CRF-refined) is a class;
    confident background: the argmax with background ``bg_thr`` (CRF-refined) is background
    as well; everything else is unsure (255).

    Args:
        img (np.ndarray): H x W x 3 uint8 RGB image.
        cam_dict (dict): ``keys`` and max-normalised ``high_res`` (K, H, W).
        fg_thr (float): Background score for confident foreground. Defaults to 0.60 (AMR).
        bg_thr (float): Background score for confident background. Defaults to 0.33 (AMR).
        crf (bool): Refine both maps with the dense CRF. Defaults to True.

    Returns:
        np.ndarray: H x W uint8; 0 background, k + 1 for 0-based class k, 255 unsure.
    """
    cams = np.asarray(cam_dict['high_res'])
    keys = np.asarray(cam_dict['keys'], dtype=np.int64).reshape(-1)
    fg = crf_seed_label(img, cams, keys, fg_thr, crf)
    bg = crf_seed_label(img, cams, keys, bg_thr, crf)
    label = fg.astype(np.uint8)
    label[fg == 0] = 255
    label[(fg == 0) & (bg == 0)] = 0
    return label


def make_seed_label(
    cam_dict: dict, bg_threshold: float, img: np.ndarray = None, crf: bool = False
) -> np.ndarray:
    """Seed label of one image: argmax with a constant background, optionally CRF-refined.

    Args:
        cam_dict (dict): ``keys`` and ``high_res``.
        bg_threshold (float): Background score.
        img (np.ndarray, optional): H x W x 3 uint8 RGB image, needed when ``crf``.
        crf (bool): Refine with the dense CRF. Defaults to False.

    Returns:
        np.ndarray: H x W uint8 class ids (0 background).
    """
    cams = np.asarray(cam_dict['high_res'])
    keys = np.asarray(cam_dict['keys'], dtype=np.int64).reshape(-1)
    if crf and img is None:
        raise ValueError('make_seed_label(crf=True) needs the image')
    return crf_seed_label(img, cams, keys, bg_threshold, crf).astype(np.uint8)
