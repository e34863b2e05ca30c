"""The benchmark's straightforward CAM baseline gives the same maps as infer_cams."""

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from projects.amr.benchmark import cam_benchmark, matmul_rate, reference_cams
from projects.amr.cam.inference import infer_cams


def tiny_classifier():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(
            dict(
                type='CAMClassifier',
                data_preprocessor=dict(
                    type='ClsDataPreprocessor',
                    mean=[123.675, 116.28, 103.53],
                    std=[58.395, 57.12, 57.375],
                    to_rgb=True,
                ),
                backbone=dict(type='EfficientNetLite', pretrained=False),
                head=dict(type='CAMHead', in_channels=1280, num_classes=20),
            )
        )
    torch.manual_seed(0)
    # give every BN the statistics of a batch (momentum 1, one forward in training mode), so
    # that the randomly initialised network keeps its activations at unit scale in eval mode
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in bns:
        m.momentum = 1.0
    model.backbone.norm_eval = False
    model.train()
    with torch.no_grad():
        model.backbone(torch.randn(4, 3, 64, 64))
    # features are ReLU6 outputs (>= 0): a positive classifier gives positive, non-flat CAMs
    model.head.classifier.weight.data.uniform_(0.0, 1.0)
    return model.eval()


def test_reference_equals_batched_inference():
    model = tiny_classifier()
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (70, 90, 3), dtype=np.uint8)
    keys, scales = [3, 11], (1.0, 0.5, 1.5)
    ours = infer_cams(model, img, keys, scales)
    ref = reference_cams(
        model, torch.from_numpy(img[..., ::-1].copy()).permute(2, 0, 1), keys, scales
    )
    assert ours['high_res'].max() > 0.9  # both classes are active, normalised to ~1
    np.testing.assert_allclose(ours['cam'], ref['cam'], atol=1e-5)
    np.testing.assert_allclose(ours['high_res'], ref['high_res'], atol=1e-5)


def test_cam_benchmark_reports_speedup():
    model = tiny_classifier()
    img = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    out = cam_benchmark(model, img, [0, 5], scales=(1.0, 0.5), repeats=1, warmup=0)
    assert out['max_abs_diff'] < 1e-4 and out['speedup'] > 0
    assert matmul_rate(torch.device('cpu'), n=256, repeats=1) > 0


def test_climb_benchmark_equal_maps_and_refuses_non_finite():
    """Sequential, class-batched and image-batched climbing agree; a network that overflows
    is refused."""
    from projects.amr.benchmark import climb_benchmark

    model = tiny_classifier()
    img = np.random.default_rng(2).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    climbing = dict(iters=2, restriction_mask='per_iteration')
    img2 = np.random.default_rng(3).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    out = climb_benchmark(model, [img, img2], [[1, 6], [2]], (1.0,), climbing, count=False)
    assert out['max_abs_diff'] < 1e-4 and out['max_map_value'] > 0.5
    assert out['sequential']['peak_memory_mb'] > 0 and out['batched']['images_per_s'] > 0
    assert out['image_batched']['images_per_s'] > 0 and out['image_speedup'] > 0
    one = climb_benchmark(model, [img], [[1, 6]], (1.0,), climbing, count=False)
    assert 'image_batched' not in one and one['num_images'] == 1
    model.head.classifier.weight.data.fill_(float('inf'))
    with pytest.raises(ValueError, match='non-finite maps'):
        climb_benchmark(model, [img], [[1, 6]], (1.0,), climbing, count=False)
