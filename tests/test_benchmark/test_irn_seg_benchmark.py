"""The IRN benchmark's sparse and dense random walks agree; the seg inference timer runs."""

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from projects.amr.benchmark import random_walk_benchmark
from projects.amr.models.irn import IRNet


def test_random_walk_benchmark_checks_dense_equality():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = IRNet(
            backbone=dict(type='EfficientNetLite', out_indices=(0, 1, 2, 3), pretrained=False),
            in_channels=(24, 40, 112, 1280),
            strides=(4, 8, 16, 16),
            dp_channels=(16, 32, 32, 32),
            dp_mid_channels=32,
            data_preprocessor=dict(
                type='ClsDataPreprocessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                to_rgb=True,
            ),
        )
    torch.manual_seed(0)
    img = np.random.default_rng(0).integers(0, 256, (50, 70, 3), dtype=np.uint8)
    out = random_walk_benchmark(
        model, img, num_classes=3, repeats=1, warmup=0, with_dense=True, exp_times=4
    )
    assert out['grid_hw'] == [13, 18]
    assert out['max_abs_diff'] < 1e-4 and out['speedup'] > 0
    # each pixel pairs with at most 2 * 34 neighbours within radius 5, plus its self-loop
    n = 13 * 18
    assert n < out['nonzeros'] <= n * 69
    assert out['dense_matrix_mb'] == pytest.approx(n * n * 4 / 2**20)
