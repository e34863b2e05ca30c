"""infer_cams equals an independent CAM computation (the test oracle); the benchmark harness's
baselines give the same maps as the paths they time."""

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from projects.amr.cam.inference import infer_cams
from tests.test_benchmark.cam_oracle import reference_cams
from tools.analysis_tools.benchmark_harness import cam_benchmark, matmul_rate


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
    from tools.analysis_tools.benchmark_harness import climb_benchmark

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


def test_climb_benchmark_bf16_differs_from_fp32_and_projects_the_stage():
    """bf16 autocast covers the climbing (its maps are not the fp32 ones); the projection."""
    from tools.analysis_tools.benchmark_harness import climb_benchmark

    model = tiny_classifier()
    img = np.random.default_rng(2).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    img2 = np.random.default_rng(3).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    climbing = dict(iters=2, restriction_mask='per_iteration')
    out = climb_benchmark(
        model,
        [img, img2],
        [[1, 6], [2]],
        (1.0,),
        climbing,
        count=False,
        precisions=['fp32', 'bf16'],
        dataset_classes=[1, 2, 1, 2],
        resized_long_side=48,
    )
    assert out['precision_path'] == 'image_batched' and list(out['precision']) == ['bf16']
    bf16 = out['precision']['bf16']
    # autocast active: bf16 is not bit-identical to fp32 (a 0 would mean it ran in fp32)
    assert np.isfinite(bf16['max_abs_diff_vs_fp32']) and bf16['max_abs_diff_vs_fp32'] > 0
    assert bf16['within_1e-3'] == (bf16['max_abs_diff_vs_fp32'] < 1e-3)
    assert bf16['images_per_s'] > 0 and bf16['peak_memory_mb'] > 0
    assert bf16['items_per_s'] == pytest.approx(3 / bf16['median_s'])
    assert out['num_items'] == 3
    assert out['batched']['items_per_s'] == pytest.approx(3 / out['batched']['median_s'])
    proj = out['projection']
    assert proj['dataset_images'] == 4 and proj['mean_classes_per_image'] == 1.5
    assert proj['train_aug_images'] == 10582
    assert set(proj['hours']) == {'sequential', 'batched', 'image_batched'}
    expected = 10582 * 1.5 / out['image_batched']['items_per_s'] / 3600
    assert proj['hours']['image_batched'] == pytest.approx(expected)
    assert proj['precision_hours']['bf16'] > 0
    # 2 iterations, 1 scale, resized: hours at reduced settings, said so
    assert not proj['valid_for_full_stage']
    assert 'reduced' in proj['note'] and 'long side 48' in proj['note']


def test_climb_benchmark_records_a_non_finite_precision(monkeypatch):
    """A studied precision that overflows is recorded with its error; fp32 figures stay."""
    import tools.analysis_tools.benchmark_harness as bench

    finite = bench.finite_maps
    # fp32 paths (sequential, batched) pass; the bf16 run is reported as non-finite
    calls = iter([True, True, False])
    monkeypatch.setattr(bench, 'finite_maps', lambda maps: next(calls) and finite(maps))
    img = np.random.default_rng(2).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    out = bench.climb_benchmark(
        tiny_classifier(),
        [img],
        [[1, 6]],
        (1.0,),
        dict(iters=1),
        count=False,
        precisions=['bf16'],
        dataset_classes=[2],
    )
    assert out['batched']['images_per_s'] > 0 and out['max_abs_diff'] < 1e-4
    bf16 = out['precision']['bf16']
    assert 'non-finite maps' in bf16['error'] and 'bf16' in bf16['error']
    assert bf16['within_1e-3'] is False and 'bf16' not in out['projection']['precision_hours']


def test_cuda_only_precisions_refused_on_cpu_and_tf32_flags_restored():
    from tools.analysis_tools.benchmark_harness import climb_benchmark, precision_context

    model = tiny_classifier()
    img = np.random.default_rng(2).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    for precision in ('tf32', 'fp16'):
        with pytest.raises(ValueError, match=f'{precision}.*CUDA only'):
            climb_benchmark(model, [img], [[1]], (1.0,), dict(iters=2), precisions=[precision])
    with pytest.raises(ValueError, match='unknown precision'):
        climb_benchmark(model, [img], [[1]], (1.0,), dict(iters=2), precisions=['int8'])
    # the flags are plain settings: testable without a GPU
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    before = (matmul.allow_tf32, cudnn.allow_tf32)
    try:
        matmul.allow_tf32, cudnn.allow_tf32 = False, True  # torch's defaults
        with precision_context('cuda', 'tf32'):
            assert matmul.allow_tf32 and cudnn.allow_tf32
        assert (matmul.allow_tf32, cudnn.allow_tf32) == (False, True)
        with pytest.raises(RuntimeError), precision_context('cuda', 'fp32'):
            assert not matmul.allow_tf32 and not cudnn.allow_tf32
            raise RuntimeError('restored after an exception too')
        assert (matmul.allow_tf32, cudnn.allow_tf32) == (False, True)
        with precision_context('cpu', 'bf16'):
            assert torch.is_autocast_enabled('cpu')
        assert not torch.is_autocast_enabled('cpu')
    finally:
        matmul.allow_tf32, cudnn.allow_tf32 = before
