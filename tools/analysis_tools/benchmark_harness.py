"""Throughput, memory and FLOP measurements behind ``tools/benchmark.py``.

Every figure is a median over timed repeats after warm-up, next to the machine's own dense
matrix-multiply rate measured in the same process, so achieved FLOP/s can be read as a
fraction of what the hardware does on the easiest kernel. The harness measures the method's
public functions (:func:`infer_cams`, :func:`infer_cams_batch`, the random walk, the
models' steps); its baselines are compositions of the same public functions, and the maps
are checked equal in the same run.
"""

import contextlib
import copy
import math
import resource
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Optional

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, flop_registry

from projects.amr.cam.inference import infer_cams, infer_cams_batch
from projects.amr.cam.settings import DEFAULT_SCALES, CAMSettings


def sync(device: torch.device) -> None:
    """Wait for queued kernels (CUDA) so that wall-clock timings are real."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_fn(
    fn: Callable[[], object], device: torch.device, repeats: int = 5, warmup: int = 1
) -> dict:
    """Median / min / max seconds of ``fn()`` over ``repeats`` after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return dict(
        median_s=statistics.median(times),
        min_s=min(times),
        max_s=max(times),
        repeats=repeats,
        warmup=warmup,
    )


def matmul_rate(
    device: torch.device, n: int = 2048, dtype: torch.dtype = torch.float32, repeats: int = 5
) -> float:
    """Dense ``n x n`` matrix-multiply rate of this machine in FLOP/s (median)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    t = time_fn(lambda: a @ b, device, repeats=repeats, warmup=2)['median_s']
    return 2 * n**3 / t


def peak_memory_mb(device: torch.device) -> float:
    """Peak resident memory of the process (CPU) or max allocated GPU memory, in MiB."""
    if device.type == 'cuda':
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class DispatchFlopCounter(TorchDispatchMode):
    """torch's FLOP formulas (``flop_registry``) without FlopCounterMode's module tracker.

    The tracker's backward hooks do not support ``torch.autograd.grad``, which anti-adversarial
    climbing calls; this mode sees the same aten calls and applies the same formulas.
    """

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += int(formula(*args, **kwargs, out_val=out))
        return out


def count_dispatch_flops(fn: Callable[[], object]) -> int:
    """FLOPs of one call of ``fn`` (convs, matmuls), forward and any autograd.grad inside."""
    with DispatchFlopCounter() as counter:
        fn()
    return counter.total


def count_flops(fn: Callable[[], object]) -> int:
    """FLOPs of one call of ``fn`` counted by torch's dispatcher (convs, matmuls)."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def train_step_benchmark(
    runner, repeats: int = 5, warmup: int = 1, batch: Optional[dict] = None
) -> dict:
    """Time ``model.train_step`` on ``batch`` (by default the train dataloader's first batch).

    An infinite sampler can be iterated once only: pass the batch when it is needed again.
    """
    model, optim = runner.model, runner.optim_wrapper
    if batch is None:
        batch = next(iter(runner.train_dataloader))
    device = next(model.parameters()).device
    model.train()
    stats = time_fn(lambda: model.train_step(copy.copy(batch), optim), device, repeats, warmup)
    n = len(batch['inputs'])
    data = model.data_preprocessor(copy.copy(batch), True)
    fwd = count_flops(lambda: model(**data, mode='loss'))
    stats.update(
        batch_size=n,
        images_per_s=n / stats['median_s'],
        forward_gflops_per_image=fwd / n / 1e9,
        train_gflops_per_image=3 * fwd / n / 1e9,
        train_flops_source='3 x forward (upper bound)',
    )
    # Without grouped convolutions torch's counter is exact on the backward pass too, and it
    # sees only what really runs (frozen backbones and stems compute no weight gradients).
    # It over-counts grouped (depthwise) convolution gradients, so those models keep the
    # 3 x forward bound.
    grouped = any(isinstance(m, torch.nn.Conv2d) and m.groups > 1 for m in model.modules())
    if not grouped:

        def fwd_bwd():
            losses = model(**data, mode='loss')
            total = sum(v.sum() for k, v in losses.items() if 'loss' in k)
            total.backward()

        counted = count_flops(fwd_bwd)
        optim.zero_grad()
        stats.update(
            train_gflops_per_image=counted / n / 1e9,
            train_flops_source='counted forward + backward',
        )
    return stats


class BranchView(torch.nn.Module):
    """A CAM model seen as one of its branches: ``cams()`` runs the whole model, keeps one."""

    def __init__(self, model: torch.nn.Module, branch: int) -> None:
        super().__init__()
        self.model = model
        self.branch = branch
        self.data_preprocessor = model.data_preprocessor

    def cams(self, inputs: torch.Tensor) -> tuple[torch.Tensor]:
        return (self.model.cams(inputs)[self.branch],)


def per_class_cams(
    model: torch.nn.Module, img: np.ndarray, keys: Sequence[int], settings: CAMSettings
) -> dict:
    """CAMs the straightforward way the released make_cam runs them: the speed baseline.

    Each branch and each class in its own forward passes (the whole model run for every
    branch, one image/flip pair and one class at a time, :func:`infer_cams` of a
    :class:`BranchView` and one class), the branches fused with the settings' weights.
    Max normalisation is per class and the fusion is linear, so the maps equal
    :func:`infer_cams` of the model and all classes.

    Args:
        model (torch.nn.Module): A CAM model with ``num_branches``.
        img (np.ndarray): BGR image.
        keys (Sequence[int]): 0-based classes present.
        settings (CAMSettings): The settings (without climbing).

    Returns:
        dict: ``cam`` and ``high_res`` as numpy arrays.
    """
    n = getattr(model, 'num_branches', 1)
    views = [BranchView(model, b) for b in range(n)] if n > 1 else [model]
    weights = settings.branch_weights or [1.0 / n] * n
    classes = sorted({int(k) for k in keys})
    out = {}
    for key in ('cam', 'high_res'):
        per_branch = [
            np.concatenate([infer_cams(v, img, [k], settings)[key] for k in classes]) for v in views
        ]
        out[key] = sum(w * m for w, m in zip(weights, per_branch))
    return out


def cam_benchmark(
    model: torch.nn.Module,
    img: np.ndarray,
    keys: Sequence[int],
    scales: Sequence[float] = DEFAULT_SCALES,
    climbing: Optional[dict] = None,
    repeats: int = 3,
    warmup: int = 1,
    with_reference: bool = True,
) -> dict:
    """Seconds per image of :func:`infer_cams` against a straightforward baseline.

    Without climbing the baseline is :func:`per_class_cams`; with climbing it is the same
    climbing run with the whole model at every iteration (``branch_only=False``, both AMR
    branches computed to climb one, as released). Asserts that both give the same
    normalised CAMs (max abs difference < 1e-4).
    """
    device = next(model.parameters()).device
    model.eval()
    settings = CAMSettings(scales=scales, climbing=climbing)
    ours = time_fn(lambda: infer_cams(model, img, keys, settings), device, repeats, warmup)
    out = dict(
        ours=ours,
        scales=list(scales),
        num_classes=len(keys),
        climbing=climbing is not None,
        image_hw=list(img.shape[:2]),
    )
    if not with_reference:
        return out
    if climbing is None:
        ref_fn = lambda: per_class_cams(model, img, keys, settings)  # noqa: E731
    else:
        slow = CAMSettings.of(settings, climbing=dict(climbing, branch_only=False))
        ref_fn = lambda: infer_cams(model, img, keys, slow)  # noqa: E731
    ref = time_fn(ref_fn, device, repeats, warmup)
    a = infer_cams(model, img, keys, settings)
    b = ref_fn()
    diff = max(
        float(np.abs(a['cam'] - b['cam']).max()),
        float(np.abs(a['high_res'] - b['high_res']).max()),
    )
    if diff >= 1e-4:
        raise AssertionError(f'infer_cams differs from the reference by {diff}')
    out.update(reference=ref, max_abs_diff=diff, speedup=ref['median_s'] / ours['median_s'])
    return out


def reset_peak_memory(device: torch.device) -> bool:
    """Restart the peak-memory reading; False when it cannot be reset.

    CUDA: the allocator's statistics. CPU (Linux): the process's resident high-water mark,
    through ``/proc/self/clear_refs``.
    """
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        return True
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def proc_status_mb(field: str) -> Optional[float]:
    """A ``/proc/self/status`` memory field in MiB (None where unreadable)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_memory_since_reset_mb(device: torch.device) -> float:
    """Peak memory in MiB since :func:`reset_peak_memory`.

    CUDA: max allocated. CPU: the resident high-water mark ``VmHWM`` (the process's lifetime
    peak where that is unreadable).
    """
    if device.type == 'cuda':
        return torch.cuda.max_memory_allocated(device) / 2**20
    hwm = proc_status_mb('VmHWM')
    return peak_memory_mb(device) if hwm is None else hwm


PRECISIONS = ('fp32', 'tf32', 'bf16', 'fp16')
AUTOCAST_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}
CUDA_ONLY_PRECISIONS = ('tf32', 'fp16')
TRAIN_AUG_IMAGES = 10582
FULL_STAGE_ITERS = 27


def check_precisions(device: torch.device | str, precisions: Sequence[str]) -> None:
    """Raise a ValueError for an unknown precision or a CUDA-only one on another device.

    Args:
        device (torch.device | str): Where the precisions would run.
        precisions (Sequence[str]): Names from :data:`PRECISIONS`.

    Raises:
        ValueError: A name is not in :data:`PRECISIONS`, or ``'tf32'`` / ``'fp16'`` is asked
            for on a device that is not CUDA.
    """
    device = torch.device(device)
    for precision in precisions:
        if precision not in PRECISIONS:
            raise ValueError(f'unknown precision {precision!r}; known: {list(PRECISIONS)}')
        if precision in CUDA_ONLY_PRECISIONS and device.type != 'cuda':
            raise ValueError(
                f'precision {precision!r} is CUDA only (TF32 tensor cores / fp16 autocast), '
                f'not {device.type}; on the CPU use fp32 or bf16'
            )


@contextlib.contextmanager
def precision_context(device: torch.device | str, precision: str) -> Iterator[None]:
    """Run the enclosed code, forward and any autograd inside it, at ``precision``.

    ``'fp32'``: strict float32. On CUDA TF32 is switched off for matmuls and cuDNN
    convolutions (torch's own default lets cuDNN convolutions use TF32); on other devices
    nothing changes. ``'tf32'`` (CUDA only): float32 tensors, with
    ``torch.backends.cuda.matmul.allow_tf32`` and ``torch.backends.cudnn.allow_tf32`` True.
    ``'bf16'`` / ``'fp16'`` (fp16 CUDA only): ``torch.autocast(device.type, dtype)``; a
    backward pass (``torch.autograd.grad``) inside the block runs in the dtypes autocast
    chose for the forward. The previous TF32 flags are restored on exit, also after an
    exception.

    Args:
        device (torch.device | str): The device the enclosed code runs on.
        precision (str): One of :data:`PRECISIONS`.

    Yields:
        None: Inside the block the precision applies.

    Raises:
        ValueError: See :func:`check_precisions`.
    """
    device = torch.device(device)
    check_precisions(device, [precision])
    if precision in AUTOCAST_DTYPES:
        with torch.autocast(device.type, dtype=AUTOCAST_DTYPES[precision]):
            yield
        return
    if device.type != 'cuda':
        yield
        return
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    previous = (matmul.allow_tf32, cudnn.allow_tf32)
    allow = precision == 'tf32'
    matmul.allow_tf32 = allow
    cudnn.allow_tf32 = allow
    try:
        yield
    finally:
        matmul.allow_tf32, cudnn.allow_tf32 = previous


def climb_projection(
    run: dict,
    classes_per_image: Sequence[int],
    resized_long_side: Optional[int] = None,
    num_images: int = TRAIN_AUG_IMAGES,
) -> dict:
    """Hours of the full train_aug CAM stage at the climbing rates of a benchmark run.

    The released CAM stage climbs every present class of the 10,582 train_aug images at 7
    scales for 27 iterations, both branches. ``hours = num_images x mean classes per image /
    items_per_s / 3600`` for every path (and precision) of ``run``, where ``items_per_s`` is
    (image, class) items per second of that path.

    Args:
        run (dict): A :func:`climb_benchmark` result (per path ``items_per_s``).
        classes_per_image (Sequence[int]): Number of present classes of every image of the
            dataset the benchmark drew its images from (its mean stands for train_aug's).
        resized_long_side (int, optional): The long side the benchmarked images were
            resized to, None when they kept their size.
        num_images (int): Images of the projected stage (train_aug: 10,582).

    Returns:
        dict: ``dataset_images``, ``mean_classes_per_image``, ``train_aug_images``,
        ``hours`` (per path), ``precision_hours`` (per precision, its path in
        ``run['precision_path']``), ``valid_for_full_stage`` (27 iterations, the 7 default
        scales, images at their own size) and ``note``.
    """
    if not classes_per_image:
        raise ValueError('classes_per_image is empty: no dataset to project from')
    mean_classes = float(np.mean(classes_per_image))
    reductions = []
    iters = run['climbing'].get('iters', FULL_STAGE_ITERS)
    if iters != FULL_STAGE_ITERS:
        reductions.append(f'{iters} iterations instead of {FULL_STAGE_ITERS}')
    if sorted(run['scales']) != sorted(DEFAULT_SCALES):
        reductions.append(f'scales {run["scales"]} instead of {list(DEFAULT_SCALES)}')
    if resized_long_side:
        reductions.append(f'images resized to long side {resized_long_side}')
    valid = not reductions
    total_items = num_images * mean_classes

    def hours(items_per_s: float) -> float:
        return total_items / items_per_s / 3600

    size = 'x'.join(map(str, run['image_hw']))
    if valid:
        note = (
            f'full-stage settings (27 iterations, 7 scales) at the benchmarked image size '
            f'{size}; train_aug images vary in size (about 500 x 375)'
        )
    else:
        note = (
            "hours at the benchmark's reduced settings (" + '; '.join(reductions) + f', image '
            f'{size}), not a projection of the full stage'
        )
    return dict(
        dataset_images=len(classes_per_image),
        mean_classes_per_image=mean_classes,
        train_aug_images=num_images,
        hours={
            name: hours(run[name]['items_per_s'])
            for name in ('sequential', 'batched', 'image_batched')
            if name in run
        },
        precision_hours={
            name: hours(stats['items_per_s'])
            for name, stats in run.get('precision', {}).items()
            if 'items_per_s' in stats
        },
        valid_for_full_stage=valid,
        note=note,
    )


def max_map_diff(a: Sequence[dict], b: Sequence[dict]) -> float:
    """Largest abs difference of the normalised ``cam`` and ``high_res`` maps of two runs."""
    return max(
        max(
            float(np.abs(x['cam'] - y['cam']).max()),
            float(np.abs(x['high_res'] - y['high_res']).max()),
        )
        for x, y in zip(a, b)
    )


def finite_maps(res: Sequence[dict]) -> bool:
    """Whether every ``cam`` and ``high_res`` map of a run is finite."""
    return all(np.isfinite(r['cam']).all() and np.isfinite(r['high_res']).all() for r in res)


def climb_benchmark(
    model: torch.nn.Module,
    imgs: Sequence[np.ndarray],
    keys_list: Sequence[Sequence[int]],
    scales: Sequence[float] = DEFAULT_SCALES,
    climbing: Optional[dict] = None,
    repeats: int = 1,
    warmup: int = 0,
    map_extractor: str = 'gradcam',
    resize: str = 'pil',
    count: bool = True,
    precisions: Sequence[str] = (),
    dataset_classes: Optional[Sequence[int]] = None,
    resized_long_side: Optional[int] = None,
) -> dict:
    """Climbing CAMs of N same-size images: sequential, class-batched and image-batched.

    Every path uses the same model (same weights) and settings on the same images:
    ``sequential`` climbs one class after the other, one image after the other (the
    released loop); ``batched`` climbs all classes of an image together, one image after the
    other; with N > 1, ``image_batched`` climbs all (image, class) items of the N images in
    one batch (:func:`infer_cams_batch`; ``chunk_size`` from ``climbing`` bounds both
    batched paths). These run in strict fp32 (:func:`precision_context`). Raises unless every
    path's normalised maps agree with the sequential ones (max abs difference < 1e-4). Peak
    memory is read per path (:func:`reset_peak_memory`); FLOPs are counted once (every path
    runs the same convolutions) by torch's dispatcher, which over-counts
    depthwise-convolution gradients (Lite0).

    Each of ``precisions`` other than ``'fp32'`` then runs the fastest batched path
    (``image_batched`` with N > 1, else ``batched``) under :func:`precision_context`, the whole
    climbing call (forward and input gradients) inside it; its maps are compared with that
    path's fp32 maps (a measurement: no equality is asserted).

    Args:
        model (torch.nn.Module): The CAM model, in eval mode here.
        imgs (Sequence[np.ndarray]): BGR images of one size.
        keys_list (Sequence[Sequence[int]]): Present classes of each image.
        scales (Sequence[float]): Inference scales.
        climbing (dict, optional): Climbing settings (default: the released ones).
        repeats (int): Timed repetitions per path.
        warmup (int): Untimed runs first.
        map_extractor (str): ``'gradcam'`` or ``'cam'``.
        resize (str): ``'pil'`` or ``'torch'``.
        count (bool): Also count FLOPs (one extra run).
        precisions (Sequence[str]): Precisions of the study (:data:`PRECISIONS`; ``'tf32'``
            and ``'fp16'`` need CUDA).
        dataset_classes (Sequence[int], optional): Present classes of every image of the
            dataset the images come from; with it the result has a ``projection`` of the
            full train_aug stage (:func:`climb_projection`).
        resized_long_side (int, optional): The long side the images were resized to (for
            the projection's validity), None when they kept their size.

    Returns:
        dict: per path (timings, ``images_per_s``, ``items_per_s`` ((image, class) items
        per second), ``peak_memory_mb``, ``gflop_per_s``), ``speedup`` (sequential /
        batched seconds), ``image_speedup`` (sequential / image-batched, N > 1),
        ``max_abs_diff``, ``gflops_per_image``, ``flops_source``, the settings; with
        ``precisions``: ``precision_path`` and ``precision`` (per precision: timings,
        ``images_per_s``, ``items_per_s``, ``peak_memory_mb``, ``max_abs_diff_vs_fp32``,
        ``within_1e-3``, ``speedup_vs_fp32``); with ``dataset_classes``: ``projection``.

    Raises:
        ValueError: Mismatched inputs, an unknown or unavailable precision (checked before
            anything runs), or non-finite fp32 maps (non-finite maps of a studied precision
            are recorded as its ``error`` instead).
        AssertionError: A fp32 path's maps differ from the sequential ones.
    """
    if len(imgs) != len(keys_list) or not imgs:
        raise ValueError(f'{len(imgs)} images and {len(keys_list)} key lists')
    device = next(model.parameters()).device
    check_precisions(device, precisions)
    model.eval()
    climbing = dict(climbing or dict(iters=27, step=0.08, lam=7.0, mask_thr=0.5))
    kw = dict(map_extractor=map_extractor, resize=resize)
    num_items = sum(len({int(c) for c in k}) for k in keys_list)
    out = dict(
        scales=list(scales),
        num_images=len(imgs),
        num_classes=[len(k) for k in keys_list],
        num_items=num_items,
        keys=[[int(c) for c in k] for k in keys_list],
        image_hw=list(imgs[0].shape[:2]),
        climbing=climbing,
        map_extractor=map_extractor,
        resize=resize,
        fp32='strict (CUDA: TF32 off for matmuls and cuDNN convolutions)',
    )

    settings = CAMSettings(scales=scales, climbing=climbing, **kw)

    def one_by_one(batched: bool) -> list:
        cfg = CAMSettings.of(settings, climbing=dict(climbing, batched=batched))
        return [infer_cams(model, i, k, cfg) for i, k in zip(imgs, keys_list)]

    def together() -> list:
        cfg = CAMSettings.of(settings, climbing=dict(climbing, batched=True))
        return infer_cams_batch(model, imgs, keys_list, cfg)

    def measure(run: Callable[[], list], precision: str) -> tuple[dict, list]:
        """Timings and peak memory of ``run`` at ``precision``; its (last) output."""
        last: dict = {}

        def call() -> None:
            with precision_context(device, precision):
                last['maps'] = run()

        sync(device)
        base = proc_status_mb('VmRSS') if device.type == 'cpu' else None
        resettable = reset_peak_memory(device)
        stats = time_fn(call, device, repeats, warmup)
        stats.update(
            images_per_s=len(imgs) / stats['median_s'],
            items_per_s=num_items / stats['median_s'],
            peak_memory_mb=peak_memory_since_reset_mb(device),
            peak_memory_source=(
                'torch.cuda.max_memory_allocated'
                if device.type == 'cuda'
                else ('VmHWM since reset' if resettable else 'ru_maxrss (process lifetime)')
            ),
        )
        if base is not None:
            stats['rss_before_mb'] = base
        if not finite_maps(last['maps']):
            raise ValueError(
                f'{precision} climbing gave non-finite maps: the network overflows'
                + (
                    ' (a randomly initialised network in eval mode, without BN statistics?)'
                    if precision == 'fp32'
                    else f' in {precision}'
                )
            )
        return stats, last['maps']

    paths = [('sequential', lambda: one_by_one(False)), ('batched', lambda: one_by_one(True))]
    if len(imgs) > 1:
        paths.append(('image_batched', together))
    outputs = {}
    for name, run in paths:
        try:
            out[name], outputs[name] = measure(run, 'fp32')
        except ValueError as exc:
            raise ValueError(f'{name}: {exc}') from None
    diff = 0.0
    for name, res in outputs.items():
        d = max_map_diff(outputs['sequential'], res)
        if d >= 1e-4:
            raise AssertionError(f'{name} climbing differs from the sequential loop by {d}')
        diff = max(diff, d)
    seq_s = out['sequential']['median_s']
    # a map that is zero everywhere makes the equality trivial: report the largest value
    out.update(
        max_abs_diff=diff,
        speedup=seq_s / out['batched']['median_s'],
        max_map_value=min(float(r['high_res'].max()) for r in outputs['batched']),
    )
    if 'image_batched' in out:
        out['image_speedup'] = seq_s / out['image_batched']['median_s']
    studied = [p for p in dict.fromkeys(precisions) if p != 'fp32']
    if studied:
        path_name, path_run = paths[-1]
        out['precision_path'] = path_name
        out['precision'] = {}
        for precision in studied:
            try:
                stats, maps = measure(path_run, precision)
            except ValueError as exc:
                # recorded, not raised: one overflowing precision (fp16) must not lose the
                # fp32 figures and the other precisions of the same run
                out['precision'][precision] = dict(path=path_name, error=str(exc))
                out['precision'][precision]['within_1e-3'] = False
                continue
            d = max_map_diff(outputs[path_name], maps)
            stats.update(path=path_name, max_abs_diff_vs_fp32=d)
            stats['within_1e-3'] = bool(d < 1e-3)
            stats['speedup_vs_fp32'] = out[path_name]['median_s'] / stats['median_s']
            out['precision'][precision] = stats
    if count:
        flops = count_dispatch_flops(lambda: one_by_one(True))
        grouped = any(isinstance(m, torch.nn.Conv2d) and m.groups > 1 for m in model.modules())
        out.update(
            gflops_per_image=flops / 1e9 / len(imgs),
            flops_source='counted forward + input backward'
            + (' (over-counts depthwise-conv gradients)' if grouped else ''),
        )
        for name, _ in paths:
            out[name]['gflop_per_s'] = flops / 1e9 / out[name]['median_s']
    if dataset_classes is not None:
        out['projection'] = climb_projection(out, dataset_classes, resized_long_side)
    return out


def random_walk_benchmark(
    model: torch.nn.Module,
    img: np.ndarray,
    num_classes: int = 2,
    repeats: int = 3,
    warmup: int = 1,
    with_dense: bool = False,
    radius: int = 5,
    beta: float = 10.0,
    exp_times: int = 8,
) -> dict:
    """Seconds per image of IRN's inference: boundary map, then the random walk.

    The boundary map comes from ``model.edge_map`` on the real image (and its flip); the
    score maps are random positive stride-4 maps of ``num_classes`` classes (the walk's cost
    does not depend on their values). The sparse walk (this repository's CPU default) is
    timed against the released dense repeated squaring when ``with_dense`` (about 26 TFLOP
    and 1.1-1.7 GB for a 500 x 375 image: minutes on a CPU), asserting equal outputs
    (max abs difference of the max-normalised maps < 1e-4).

    Returns:
        dict: ``edge`` / ``sparse`` (/ ``dense``) timings, the stride-4 grid, the number of
        pairs and the sparse matrix's bytes.
    """
    from projects.amr.models.irn.random_walk import affinity_matrix, random_walk

    device = next(model.parameters()).device
    model.eval()
    tensor = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
    inputs = model.data_preprocessor(dict(inputs=[tensor]), False)['inputs'].to(device)
    with torch.inference_mode():
        edge_t = time_fn(lambda: model.edge_map(inputs), device, repeats, warmup)
        edge = model.edge_map(inputs)
    h, w = math.ceil(img.shape[0] / 4), math.ceil(img.shape[1] / 4)
    edge = edge[:h, :w].float()
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(num_classes, *edge.shape, generator=gen).to(edge.device)
    out = dict(
        image_hw=list(img.shape[:2]), grid_hw=list(edge.shape), num_classes=num_classes, edge=edge_t
    )
    mat = affinity_matrix(edge.cpu(), radius, beta, sparse=True)
    out.update(
        nonzeros=int(mat.nnz),
        sparse_matrix_mb=(mat.data.nbytes + mat.indices.nbytes + mat.indptr.nbytes) / 2**20,
        dense_matrix_mb=edge.numel() ** 2 * 4 / 2**20,
    )
    kwargs = dict(radius=radius, beta=beta, exp_times=exp_times)
    out['sparse'] = time_fn(
        lambda: random_walk(x, edge, method='sparse', **kwargs), device, repeats, warmup
    )
    if with_dense:
        out['dense'] = time_fn(lambda: random_walk(x, edge, method='dense', **kwargs), device, 1, 0)
        a = random_walk(x, edge, method='sparse', **kwargs)
        b = random_walk(x, edge, method='dense', **kwargs)
        a, b = a / a.max(), b / b.max()
        diff = float((a.cpu() - b.cpu()).abs().max())
        if diff >= 1e-4:
            raise AssertionError(f'sparse and dense random walks differ by {diff}')
        out.update(max_abs_diff=diff, speedup=out['dense']['median_s'] / out['sparse']['median_s'])
    return out


def inference_benchmark(
    model: torch.nn.Module, batch: dict, repeats: int = 5, warmup: int = 1
) -> dict:
    """Images / s of a segmenter's single-scale inference (``test_step``) on ``batch``."""
    device = next(model.parameters()).device
    model.eval()
    with torch.inference_mode():
        stats = time_fn(lambda: model.test_step(copy.copy(batch)), device, repeats, warmup)
    n = len(batch['inputs'])
    stats.update(batch_size=n, images_per_s=n / stats['median_s'])
    return stats
