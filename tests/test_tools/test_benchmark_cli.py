"""tools/benchmark.py runs the IRN and segmenter stages' configs on real images (CPU)."""

import json

import pytest

from tests.conftest import REPO


@pytest.mark.parametrize(
    'what,config,options',
    [
        (
            'irn',
            'configs/irn/irn_lite0_1xb8-3e_voc12mini-320x320.py',
            # ground-truth masks stand in for stage-2 IR labels: their values only enter the loss
            [
                'train_dataloader.dataset.ir_label_dir={root}/SegmentationClassAug',
                'train_dataloader.dataset.pipeline.4.crop_size=96',
            ],
        ),
        ('seg', 'configs/deeplabv2/deeplabv2_lite0-d16_1xb4-300i_voc12mini-gt-321x321.py', []),
    ],
)
def test_benchmark_cli_stage(what, config, options, voc_mini_root, tmp_path, monkeypatch):
    from tools.benchmark import main

    monkeypatch.chdir(REPO)
    options = [o.format(root=voc_mini_root) for o in options]
    main(
        [
            config,
            '--what',
            what,
            '--device',
            'cpu',
            '--batch-size',
            '1',
            '--repeats',
            '1',
            '--warmup',
            '0',
            '--work-dir',
            str(tmp_path),
            *(['--channels-last'] if what == 'seg' else []),
            '--cfg-options',
            f'train_dataloader.dataset.data_root={voc_mini_root}',
            *options,
        ]
    )
    # written under the given work_dir, nothing outside it
    result = json.loads((tmp_path / f'{what}.json').read_text())
    assert result['channels_last'] == (what == 'seg')
    assert result['what'] == what and result['matmul_fp32_gflops'] > 0
    # the reference rate is the higher of the readings before and after the workload
    assert result['matmul_fp32_gflops'] == max(result['matmul_fp32_gflops_before_after'])
    train = result['train']
    assert train['images_per_s'] > 0 and train['forward_gflops_per_image'] > 0
    assert result['peak_memory_mb'] > 0
    if what == 'irn':
        rw = result['random_walk']
        assert rw['sparse']['median_s'] > 0 and rw['nonzeros'] > 0
        assert rw['sparse_matrix_mb'] < rw['dense_matrix_mb']
    else:
        assert result['inference']['images_per_s'] > 0


def test_benchmark_cli_cam_climb(voc_mini_root, tmp_path, monkeypatch):
    """--what cam-climb: sequential and batched climbing on a real image, equal maps; the
    image-batched path in bf16 against its fp32 maps; the projection of the full stage."""
    from tools.benchmark import main

    monkeypatch.chdir(REPO)
    main(
        [
            'configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py',
            '--what',
            'cam-climb',
            '--device',
            'cpu',
            '--climb-classes',
            '2',
            '--climb-images',
            '2',
            '--climb-iters',
            '2',
            '--scales',
            '1.0',
            '0.5',
            '--climb-long-side',
            '64',
            '--repeats',
            '1',
            '--warmup',
            '0',
            '--climb-precisions',
            'bf16',
            '--work-dir',
            str(tmp_path),
            '--cfg-options',
            f'train_dataloader.dataset.data_root={voc_mini_root}',
            'model.spotlight_checkpoint=None',
        ]
    )
    result = json.loads((tmp_path / 'cam-climb.json').read_text())
    run = result['cam_climb']
    assert run['num_classes'] == [2, 2] and max(run['image_hw']) == 64
    assert run['num_images'] == 2 and len(set(run['img_paths'])) == 2
    assert run['max_abs_diff'] < 1e-4 and run['max_map_value'] > 0.5 and run['speedup'] > 0
    assert run['map_extractor'] == 'gradcam' and run['climbing']['restriction_mask'] == (
        'per_iteration'
    )
    assert run['gflops_per_image'] > 0
    for name in ('sequential', 'batched', 'image_batched'):
        stats = run[name]
        assert stats['images_per_s'] > 0 and stats['peak_memory_mb'] > 0
        assert 0 < stats['fraction_of_matmul'] and stats['gflop_per_s'] > 0
    bf16 = run['precision']['bf16']
    assert run['precision_path'] == 'image_batched' and bf16['max_abs_diff_vs_fp32'] > 0
    proj = run['projection']
    assert proj['dataset_images'] > 2 and 1 <= proj['mean_classes_per_image'] < 4
    assert set(proj['hours']) == {'sequential', 'batched', 'image_batched'}
    assert proj['precision_hours']['bf16'] > 0 and not proj['valid_for_full_stage']
    assert proj['dataset'].endswith('.txt')


def test_benchmark_cli_refuses_cuda_only_precision_on_cpu(capsys):
    from tools.benchmark import main

    with pytest.raises(SystemExit):
        main(
            [
                'configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py',
                '--what',
                'cam-climb',
                '--device',
                'cpu',
                '--climb-precisions',
                'bf16',
                'tf32',
            ]
        )
    assert "'tf32' is CUDA only" in capsys.readouterr().err
