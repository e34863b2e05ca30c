"""Fully connected CRF on softmax probabilities, DeepLab's test-time post-processing."""

import numpy as np


def dense_crf(
    image: np.ndarray,
    probs: np.ndarray,
    iters: int = 10,
    pos_w: float = 3.0,
    pos_xy_std: float = 1.0,
    bi_w: float = 4.0,
    bi_xy_std: float = 67.0,
    bi_rgb_std: float = 3.0,
) -> np.ndarray:
    """Refine class probabilities with a dense CRF (Kraehenbuehl & Koltun, 2011).

    The unary is ``-log(probs)``; the pairwise terms are a Gaussian smoothness kernel and an
    appearance (bilateral) kernel on the RGB image. The defaults are DeepLabV2's VOC values as
    used by ``kazuto1011/deeplab-pytorch``, the code AMR's authors used for this stage.

    Args:
        image (np.ndarray): RGB image, uint8, shape (H, W, 3).
        probs (np.ndarray): Class probabilities, shape (C, H, W), summing to 1 over C.
        iters (int): Mean-field iterations. Defaults to 10.
        pos_w (float): Weight of the Gaussian kernel. Defaults to 3.
        pos_xy_std (float): Spatial std of the Gaussian kernel. Defaults to 1.
        bi_w (float): Weight of the bilateral kernel. Defaults to 4.
        bi_xy_std (float): Spatial std of the bilateral kernel. Defaults to 67.
        bi_rgb_std (float): Colour std of the bilateral kernel. Defaults to 3.

    Returns:
        np.ndarray: Refined probabilities, float32, shape (C, H, W).
    """
    try:
        import pydensecrf.densecrf as dcrf
        from pydensecrf.utils import unary_from_softmax
    except ImportError as e:
        raise ImportError(
            'the CRF post-processing needs the PyPI package `pydensecrf2` '
            '(import name `pydensecrf`)'
        ) from e
    num_classes, h, w = probs.shape
    if image.shape[:2] != (h, w):
        raise ValueError(f'image {image.shape[:2]} and probabilities {(h, w)} differ in size')
    crf = dcrf.DenseCRF2D(w, h, num_classes)
    unary = unary_from_softmax(np.asarray(probs, dtype=np.float32))
    crf.setUnaryEnergy(np.ascontiguousarray(unary))
    crf.addPairwiseGaussian(sxy=pos_xy_std, compat=pos_w)
    crf.addPairwiseBilateral(
        sxy=bi_xy_std,
        srgb=bi_rgb_std,
        rgbim=np.ascontiguousarray(image, dtype=np.uint8),
        compat=bi_w,
    )
    q = crf.inference(iters)
    return np.asarray(q, dtype=np.float32).reshape(num_classes, h, w)
