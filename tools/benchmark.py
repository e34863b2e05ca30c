"""Measure training / CAM throughput, memory and FLOPs of a config on this machine.

Examples:
    python tools/benchmark.py configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py --what train
    python tools/benchmark.py configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py --what cam
    python tools/benchmark.py configs/amr/amr_r50_1xb16-8e_voc12aug-512x512.py --what cam-climb \
        --climb-classes 3 --climb-iters 3 --repeats 1 --warmup 0
    python tools/benchmark.py configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py --what cam-climb \
        --climb-classes 1 --climb-images 4 --climb-iters 3 --repeats 1 --warmup 0
    python tools/benchmark.py configs/amr/amr_r50_1xb16-8e_voc12aug-512x512.py --what cam-climb \
        --device cuda --climb-classes 1 --climb-images 8 --climb-precisions tf32 bf16 fp16
    python tools/benchmark.py configs/irn/irn_lite0_1xb8-3e_voc12mini-320x320.py --what irn
    python tools/benchmark.py \
        configs/deeplabv2/deeplabv2_lite0-d16_1xb4-300i_voc12mini-gt-321x321.py --what seg

``--what``: ``train`` (training step of any stage's config), ``cam`` (CAM generation without
climbing, against the straightforward baseline), ``cam-climb`` (CAMs with anti-adversarial
climbing: the sequential one-class-at-a-time loop against class-batched climbing and, with
``--climb-images N``, against climbing the classes of N same-size images in one batch; same
weights, maps checked equal in the same run; ``--climb-precisions`` adds the fastest batched
path at TF32 / bf16 / fp16 against its fp32 maps; the result projects the hours of the full
train_aug CAM stage from the measured rates),
``irn`` (IRN training step, then the boundary map and the random walk of one image) and
``seg`` (segmenter training step, then single-scale inference).
Prints a table and writes JSON (--out). Medians over --repeats after --warmup calls; the
machine's dense fp32 matmul rate is measured in the same run.
"""

import argparse
import json
import os.path as osp
import platform
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from projects.amr.cam.inference import load_image  # noqa: E402
from projects.amr.cam.settings import DEFAULT_SCALES  # noqa: E402
from projects.amr.utils.io import save_json  # noqa: E402
from tools.analysis_tools.benchmark_harness import (  # noqa: E402
    PRECISIONS,
    cam_benchmark,
    check_precisions,
    climb_benchmark,
    inference_benchmark,
    matmul_rate,
    peak_memory_mb,
    random_walk_benchmark,
    train_step_benchmark,
)


def build_runner(
    cfg: Config,
    device: str,
    batch_size: int,
    work_dir: str,
    amp: bool = False,
    init_weights: bool = True,
) -> Runner:
    cfg = cfg.copy()
    cfg.work_dir = work_dir
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    cfg.train_dataloader.batch_size = batch_size
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.log_level = 'WARNING'
    for key in (
        'val_dataloader',
        'val_cfg',
        'val_evaluator',
        'test_dataloader',
        'test_cfg',
        'test_evaluator',
    ):
        cfg.pop(key, None)
    cfg.custom_hooks = []
    runner = Runner.from_cfg(cfg)
    runner.model.to(device)
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    if init_weights:
        runner._init_model_weights()
    return runner


CLIMB_PATHS = ('sequential', 'batched', 'image_batched')


def images_with_classes(dataset, num_classes: int, count: int = 1) -> list:
    """Data infos of the first ``count`` dataset images with exactly ``num_classes`` classes."""
    infos = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if len(np.asarray(info['gt_label']).reshape(-1)) == num_classes:
            infos.append(info)
            if len(infos) == count:
                return infos
    raise ValueError(
        f'--climb-classes {num_classes} --climb-images {count}: only {len(infos)} images '
        'with that many classes'
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument(
        '--what', choices=['train', 'cam', 'cam-climb', 'irn', 'seg'], default='train'
    )
    parser.add_argument(
        '--device', choices=['cpu', 'cuda'], default='cuda' if torch.cuda.is_available() else 'cpu'
    )
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument(
        '--work-dir', help='where the runner logs (default work_dirs/benchmark/<config name>)'
    )
    parser.add_argument(
        '--amp', action='store_true', help='mixed precision (AmpOptimWrapper / autocast; CUDA)'
    )
    parser.add_argument(
        '--channels-last', action='store_true', help='model and inputs in channels_last'
    )
    parser.add_argument(
        '--no-init-weights',
        action='store_true',
        help="keep PyTorch's default initialisation (no pretrained weights, no download): "
        'finite activations for a random ResNet-50, whose mmseg init overflows in eval mode',
    )
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--scales', type=float, nargs='+', default=None)
    parser.add_argument('--num-images', type=int, default=1, help='images for --what cam')
    parser.add_argument(
        '--climb-iters', type=int, default=27, help='--what cam-climb: climbing iterations'
    )
    parser.add_argument('--no-reference', action='store_true', help='--what cam: skip the baseline')
    parser.add_argument(
        '--climb-classes',
        type=int,
        default=3,
        help='--what cam-climb: use the first train image with this many classes',
    )
    parser.add_argument(
        '--climb-images',
        type=int,
        default=1,
        help="--what cam-climb: this many images (resized to the first one's size); with "
        'more than 1 the image-batched path runs too',
    )
    parser.add_argument(
        '--climb-chunk-size',
        type=int,
        default=None,
        help='--what cam-climb: (image, class) items per batch of the batched paths (default all)',
    )
    parser.add_argument(
        '--climb-long-side',
        type=int,
        default=None,
        help='--what cam-climb: resize the image to this long side first (CPU budgets)',
    )
    parser.add_argument(
        '--map-extractor',
        choices=['gradcam', 'cam'],
        default='gradcam',
        help='--what cam-climb: class maps (default the released Grad-CAM)',
    )
    parser.add_argument(
        '--resize',
        choices=['pil', 'torch'],
        default='pil',
        help='--what cam-climb: pyramid rescaling (default the released PIL bicubic)',
    )
    parser.add_argument(
        '--restriction-mask',
        choices=['per_iteration', 'cumulative'],
        default='per_iteration',
        help='--what cam-climb: restriction mask (default the released per-iteration one)',
    )
    parser.add_argument(
        '--climb-precisions',
        nargs='+',
        choices=PRECISIONS,
        default=None,
        help='--what cam-climb: also run the fastest batched path at these precisions and '
        'compare its maps with fp32 (tf32 and fp16: CUDA only; bf16 autocast also on CPU)',
    )
    parser.add_argument(
        '--rw-dense',
        action='store_true',
        help='--what irn: also time the released dense random walk and check '
        'that it equals the sparse one (minutes and ~1.7 GB per image on a CPU)',
    )
    parser.add_argument(
        '--rw-classes', type=int, default=2, help='--what irn: score maps in the random walk'
    )
    parser.add_argument('--out', help='JSON output path')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.climb_precisions and args.what != 'cam-climb':
        parser.error('--climb-precisions is a --what cam-climb option')
    try:
        check_precisions(args.device, args.climb_precisions or ())
    except ValueError as exc:
        parser.error(f'--climb-precisions: {exc}')

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    device = torch.device(args.device)
    if device.type == 'cuda' and args.what in ('cam', 'cam-climb'):
        # the paths are compared at 1e-4: strict fp32 (cuDNN convolutions default to TF32);
        # the climbing precision study switches TF32 on for its 'tf32' path only
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    # Measured before and after the workload; the higher one is the machine's rate. On a
    # shared VM a single short measurement read 100 GFLOP/s where repeats read 145-183.
    rate_before = matmul_rate(device)
    result = dict(
        config=args.config,
        what=args.what,
        device=str(device),
        machine=dict(
            cpu=platform.processor() or platform.machine(),
            threads=torch.get_num_threads(),
            gpu=torch.cuda.get_device_name(device) if device.type == 'cuda' else None,
            tf32=dict(
                cudnn=torch.backends.cudnn.allow_tf32,
                matmul=torch.backends.cuda.matmul.allow_tf32,
            )
            if device.type == 'cuda'
            else None,
        ),
    )
    if args.amp and args.device != 'cuda':
        parser.error('--amp is measured on CUDA only (fp16 autocast); use --device cuda')
    name = osp.splitext(osp.basename(args.config))[0]
    work_dir = args.work_dir or osp.join('work_dirs', 'benchmark', name)
    runner = build_runner(
        cfg, args.device, args.batch_size, work_dir, args.amp, not args.no_init_weights
    )
    if args.channels_last:
        runner.model.to(memory_format=torch.channels_last)
    result.update(amp=args.amp, channels_last=args.channels_last, batch_size=args.batch_size)
    model = runner.model
    if args.what in ('train', 'irn', 'seg'):
        batch = next(iter(runner.train_dataloader))
        result['train'] = train_step_benchmark(runner, args.repeats, args.warmup, batch)
    if args.what == 'irn':
        info = runner.train_dataloader.dataset.get_data_info(0)
        result['random_walk'] = random_walk_benchmark(
            model,
            load_image(info['img_path']),
            args.rw_classes,
            args.repeats,
            args.warmup,
            with_dense=args.rw_dense,
        )
    elif args.what == 'seg':
        result['inference'] = inference_benchmark(model, batch, args.repeats, args.warmup)
    elif args.what == 'cam':
        dataset = runner.train_dataloader.dataset
        scales = tuple(args.scales) if args.scales else DEFAULT_SCALES
        runs = []
        for i in range(args.num_images):
            info = dataset.get_data_info(i)
            img = load_image(info['img_path'])
            runs.append(
                cam_benchmark(
                    model,
                    img,
                    info['gt_label'].tolist(),
                    scales,
                    None,
                    args.repeats,
                    args.warmup,
                    with_reference=not args.no_reference,
                )
            )
        result['cam'] = runs
    elif args.what == 'cam-climb':
        dataset = runner.train_dataloader.dataset
        infos = images_with_classes(dataset, args.climb_classes, args.climb_images)
        imgs = [load_image(info['img_path']) for info in infos]
        h, w = imgs[0].shape[:2]
        if args.climb_long_side:
            f = args.climb_long_side / max(h, w)
            h, w = max(1, round(h * f)), max(1, round(w * f))
        # one size for all (image batching needs it): the first image's
        imgs = [
            i if i.shape[:2] == (h, w) else cv2.resize(i, (w, h), interpolation=cv2.INTER_AREA)
            for i in imgs
        ]
        climbing = dict(
            iters=args.climb_iters,
            step=0.08,
            lam=7.0,
            mask_thr=0.5,
            restriction_mask=args.restriction_mask,
            chunk_size=args.climb_chunk_size,
        )
        scales = tuple(args.scales) if args.scales else DEFAULT_SCALES
        # the projection's classes per image: every image of the configured train dataset
        dataset_classes = [
            len(np.asarray(dataset.get_data_info(i)['gt_label']).reshape(-1))
            for i in range(len(dataset))
        ]
        run = climb_benchmark(
            model,
            imgs,
            [info['gt_label'].tolist() for info in infos],
            scales,
            climbing,
            args.repeats,
            args.warmup,
            map_extractor=args.map_extractor,
            resize=args.resize,
            precisions=args.climb_precisions or (),
            dataset_classes=dataset_classes,
            resized_long_side=args.climb_long_side,
        )
        run['img_paths'] = [info['img_path'] for info in infos]
        run['projection']['dataset'] = getattr(dataset, 'ann_file', None)
        result['cam_climb'] = run
    result['peak_memory_mb'] = peak_memory_mb(device)
    rates = (rate_before, matmul_rate(device))
    rate = max(rates)
    result['matmul_fp32_gflops'] = rate / 1e9
    result['matmul_fp32_gflops_before_after'] = [r / 1e9 for r in rates]
    if 'cam_climb' in result:
        for name in CLIMB_PATHS:
            stats = result['cam_climb'].get(name, {})
            if 'gflop_per_s' in stats:
                stats['fraction_of_matmul'] = stats['gflop_per_s'] * 1e9 / rate
    if 'train' in result:
        stats = result['train']
        achieved = stats['train_gflops_per_image'] * stats['images_per_s'] * 1e9
        stats['achieved_fraction_of_matmul'] = achieved / rate
    print(json.dumps(result, indent=2))
    print(summary_table(result))
    out = args.out or osp.join(work_dir, f'{args.what}.json')
    save_json(out, result)
    print(f'written: {out}')
    return result


def summary_table(result: dict) -> str:
    """The headline figures of a benchmark result as a markdown table."""
    rows = [('config', result['config']), ('device', result['device'])]
    rows.append(('matmul fp32 (GFLOP/s)', f'{result["matmul_fp32_gflops"]:.1f}'))
    if 'train' in result:
        t = result['train']
        rows += [
            ('train step (s, median)', f'{t["median_s"]:.3f}'),
            ('train images/s', f'{t["images_per_s"]:.2f}'),
            ('forward GFLOPs/image', f'{t["forward_gflops_per_image"]:.2f}'),
            (
                'train GFLOPs/image',
                f'{t["train_gflops_per_image"]:.2f} ({t["train_flops_source"]})',
            ),
            ('achieved FLOP/s / matmul rate', f'{t["achieved_fraction_of_matmul"]:.2f}'),
        ]
    if 'inference' in result:
        rows.append(('inference images/s', f'{result["inference"]["images_per_s"]:.2f}'))
    if 'random_walk' in result:
        rw = result['random_walk']
        rows += [
            ('boundary map (s)', f'{rw["edge"]["median_s"]:.3f}'),
            (f'random walk, sparse, grid {rw["grid_hw"]} (s)', f'{rw["sparse"]["median_s"]:.3f}'),
            (
                'sparse / dense matrix (MiB)',
                f'{rw["sparse_matrix_mb"]:.1f} / {rw["dense_matrix_mb"]:.0f}',
            ),
        ]
        if 'dense' in rw:
            rows.append(('random walk, dense (s)', f'{rw["dense"]["median_s"]:.2f}'))
    for i, run in enumerate(result.get('cam', [])):
        rows.append((f'CAM image {i} ours (s)', f'{run["ours"]["median_s"]:.2f}'))
        if 'reference' in run:
            rows.append((f'CAM image {i} baseline (s)', f'{run["reference"]["median_s"]:.2f}'))
            rows.append(
                (
                    f'CAM image {i} speed-up / max diff',
                    f'{run["speedup"]:.2f}x / {run["max_abs_diff"]:.1e}',
                )
            )
    if 'cam_climb' in result:
        c = result['cam_climb']
        rows.append(
            (
                'climbing images / size / classes / scales / iterations',
                f'{c["num_images"]} / {"x".join(map(str, c["image_hw"]))} / '
                f'{c["num_classes"]} / {len(c["scales"])} / {c["climbing"]["iters"]}',
            )
        )
        for name in CLIMB_PATHS:
            if name not in c:
                continue
            st = c[name]
            rows += [
                (f'{name}: s / images/s', f'{st["median_s"]:.2f} / {st["images_per_s"]:.4f}'),
                (f'{name}: peak memory (MiB)', f'{st["peak_memory_mb"]:.0f}'),
            ]
            if 'gflop_per_s' in st:
                rows.append(
                    (
                        f'{name}: GFLOP/s (fraction of matmul)',
                        f'{st["gflop_per_s"]:.1f} ({st["fraction_of_matmul"]:.2f})',
                    )
                )
        rows.append(
            (
                'batched speed-up / max abs diff',
                f'{c["speedup"]:.2f}x / {c["max_abs_diff"]:.1e}',
            )
        )
        if 'image_speedup' in c:
            rows.append(('image-batched speed-up', f'{c["image_speedup"]:.2f}x'))
        if 'gflops_per_image' in c:
            rows.append(('climbing GFLOPs/image', f'{c["gflops_per_image"]:.1f}'))
        for prec, st in c.get('precision', {}).items():
            if 'error' in st:
                rows.append((f'{prec} ({st["path"]})', f'failed: {st["error"]}'))
                continue
            rows += [
                (
                    f'{prec} ({st["path"]}): s / images/s / speed vs fp32',
                    f'{st["median_s"]:.2f} / {st["images_per_s"]:.4f} / '
                    f'{st["speedup_vs_fp32"]:.2f}x',
                ),
                (
                    f'{prec} ({st["path"]}): max abs diff vs fp32 (< 1e-3) / peak memory (MiB)',
                    f'{st["max_abs_diff_vs_fp32"]:.1e} ({st["within_1e-3"]}) / '
                    f'{st["peak_memory_mb"]:.0f}',
                ),
            ]
        proj = c.get('projection')
        if proj is not None:
            rows.append(
                (
                    'projection: dataset images / mean classes per image',
                    f'{proj["dataset_images"]} / {proj["mean_classes_per_image"]:.3f}',
                )
            )
            hours = dict(proj['hours'])
            for prec, h in proj['precision_hours'].items():
                hours[f'{c["precision_path"]} at {prec}'] = h
            for name, h in hours.items():
                rows.append(
                    (f'projection: hours for {proj["train_aug_images"]} images, {name}', f'{h:.2f}')
                )
            rows.append(
                (
                    'projection valid for the full stage',
                    f'{proj["valid_for_full_stage"]} ({proj["note"]})',
                )
            )
    rows.append(('peak memory (MiB)', f'{result["peak_memory_mb"]:.0f}'))
    return '\n'.join(['| figure | value |', '|---|---|'] + [f'| {k} | {v} |' for k, v in rows])


if __name__ == '__main__':
    main()
