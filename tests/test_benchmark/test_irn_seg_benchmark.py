"""The IRN benchmark's sparse and dense random walks agree; the seg inference timer runs."""

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from projects.amr.models.irn import IRNet
from tools.analysis_tools.benchmark_harness import random_walk_benchmark


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


def test_train_flops_counted_without_grouped_convs():
    """A ResNet classifier's training FLOPs are counted (forward + backward), not bounded."""
    from types import SimpleNamespace

    from mmengine.optim import OptimWrapper
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample

    from tools.analysis_tools.benchmark_harness import train_step_benchmark

    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(
            dict(
                type='CAMClassifier',
                data_preprocessor=dict(type='ClsDataPreprocessor', to_onehot=True, num_classes=20),
                backbone=dict(type='ResNet', depth=18, frozen_stages=1),
                head=dict(type='CAMHead', in_channels=512, num_classes=20),
            )
        )
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    batch = dict(
        inputs=[torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8) for _ in range(2)],
        data_samples=[DataSample().set_gt_label([1, 3]) for _ in range(2)],
    )
    stats = train_step_benchmark(SimpleNamespace(model=model, optim_wrapper=optim), 1, 0, batch)
    assert stats['train_flops_source'] == 'counted forward + backward'
    # the frozen stem and stage 1 compute no weight gradients: below 3 x forward, above 2 x
    assert 2 * stats['forward_gflops_per_image'] < stats['train_gflops_per_image']
    assert stats['train_gflops_per_image'] < 3 * stats['forward_gflops_per_image']
