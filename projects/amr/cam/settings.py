"""The settings of CAM inference and of the pseudo-label stage, validated once.

:class:`CAMSettings` is what :func:`infer_cams` / :func:`infer_cams_batch` compute with;
:class:`ClimbingSettings` is its anti-adversarial-climbing part; :class:`PseudoLabelSettings`
adds what the pseudo-label stage does with the maps (seeds, IR labels, evaluation, overlays).
``PseudoLabelHook``, ``tools/make_cam.py``, ``tools/analysis_tools/branch_seeds.py`` and the
benchmark build them from the same flat config keys (:meth:`PseudoLabelSettings.from_dict`):
a bad key or value is reported once, by name, when the object is built.
"""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from .adversarial_climbing import scale_schedule
from .map_extractors import MAP_EXTRACTORS, RESIZES, RESTRICTION_MASKS, check_choice

# AMR's seven inference scales (IRN / AMR ``cam_scales``)
DEFAULT_SCALES = (1.0, 0.5, 0.75, 1.25, 1.5, 1.75, 2.0)


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f'{key} must be a positive int, got {value!r}')
    return value


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f'{key} must be a bool, got {value!r}')
    return value


def _floats(key: str, value: Any, positive: bool = False) -> tuple:
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f'{key} must be a sequence of numbers, got {value!r}') from None
    if not out or (positive and min(out) <= 0):
        raise ValueError(f'{key} must be a non-empty sequence of positive numbers, got {value!r}')
    return out


@dataclass(frozen=True)
class ClimbingSettings:
    """Anti-adversarial climbing (:mod:`.adversarial_climbing`) of CAM inference.

    Released AMR (``step/make_cam.py``): 27 iterations (13 at scale 0.5), step 0.08,
    lambda 7, mask threshold 0.5, maps accumulated times 2 (1 below 11 iterations; the
    per-scale schedule is :func:`.adversarial_climbing.scale_schedule`), the restriction mask
    rebuilt at every iteration, the whole model run at every iteration, one class after the
    other.

    Fields whose default deviates from the release, and why:

    * ``restriction_mask='cumulative'``: AdvCAM's original mask, the project's earlier
      behaviour; configs that follow the release set ``'per_iteration'``.
    * ``branch_only=True``: only the climbed branch runs at each iteration (the same maps at
      half the cost for AMR's two branches).
    * ``batched=True``: all present classes climb in one batch (the same maps up to float
      rounding; the gain is on a GPU). False is the released loop.

    Args:
        iters (int): Iterations (maps accumulated). Defaults to 27.
        step (float): Step of the normalised gradient ascent. Defaults to 0.08.
        lam (float): Weight of the restriction term. Defaults to 7.0.
        mask_thr (float): Restriction-mask threshold on ``A_t / max A_t``. Defaults to 0.5.
        multiplier (float, optional): Factor of the accumulated maps; None (default) is the
            released one: 2 above 10 iterations, else 1.
        multiplier_scales (str): ``'all'`` (default, released: the factor set at the
            half-iteration scale leaks to every scale) or ``'half'`` (the fix: only the
            half-iteration scales get it); see :func:`.adversarial_climbing.scale_schedule`.
        branch_only (bool): Run only the climbed branch. Defaults to True.
        restriction_mask (str): ``'per_iteration'`` or ``'cumulative'``.
        batched (bool): Climb the classes together. Defaults to True.
        chunk_size (int, optional): At most this many (image, class) items per batch.
        half_iters_scales (Sequence[float]): The released half-iteration level (``iters //
            2`` iterations above 10, 5 for 6 to 10, all below 6). Defaults to ``(0.5,)``.
    """

    iters: int = 27
    step: float = 0.08
    lam: float = 7.0
    mask_thr: float = 0.5
    multiplier: Optional[float] = None
    multiplier_scales: str = 'all'
    branch_only: bool = True
    restriction_mask: str = 'cumulative'
    batched: bool = True
    chunk_size: Optional[int] = None
    half_iters_scales: tuple = (0.5,)

    def __post_init__(self) -> None:
        scale_schedule(self.iters, False, self.multiplier, self.multiplier_scales)
        check_choice('climbing.restriction_mask', self.restriction_mask, RESTRICTION_MASKS)
        if self.chunk_size is not None and (
            isinstance(self.chunk_size, bool)
            or not isinstance(self.chunk_size, int)
            or self.chunk_size < 1
        ):
            raise ValueError(
                f'climbing.chunk_size must be a positive int or None, got {self.chunk_size!r}'
            )
        _bool('climbing.batched', self.batched)
        _bool('climbing.branch_only', self.branch_only)
        scales = tuple(self.half_iters_scales)
        object.__setattr__(self, 'half_iters_scales', scales)

    @classmethod
    def from_dict(cls, cfg: Union[Mapping, 'ClimbingSettings']) -> 'ClimbingSettings':
        """Build from a config dict, naming any unknown key."""
        if isinstance(cfg, ClimbingSettings):
            return cfg
        if not isinstance(cfg, Mapping):
            raise ValueError(f'climbing must be a dict or None, got {cfg!r}')
        unknown = sorted(set(cfg) - set(CLIMBING_KEYS))
        if unknown:
            raise ValueError(f'unknown climbing key(s) {unknown}; known: {list(CLIMBING_KEYS)}')
        return cls(**cfg)

    def climb_kwargs(self, scale: Optional[float] = None) -> dict:
        """Keyword arguments of :func:`climb_pair_maps` at ``scale`` (all but ``iters`` and
        batching); ``scale=None`` is a full-iteration level.
        """
        return dict(
            step=self.step,
            lam=self.lam,
            mask_thr=self.mask_thr,
            multiplier=self.schedule_at(scale)[1],
            branch_only=self.branch_only,
            restriction_mask=self.restriction_mask,
        )

    def schedule_at(self, scale: Optional[float]) -> tuple[int, float]:
        """Iterations and map factor at ``scale`` (:func:`scale_schedule`)."""
        half = scale is not None and any(abs(scale - s) < 1e-6 for s in self.half_iters_scales)
        return scale_schedule(self.iters, half, self.multiplier, self.multiplier_scales)

    def iters_at(self, scale: float) -> int:
        """Iterations at ``scale`` (released: fewer at the ``half_iters_scales``)."""
        return self.schedule_at(scale)[0]


CLIMBING_KEYS = tuple(f.name for f in dataclasses.fields(ClimbingSettings))


def check_climbing(climbing: Mapping) -> None:
    """Raise a ValueError naming any unknown key or bad value of a ``climbing`` dict."""
    ClimbingSettings.from_dict(climbing)


@dataclass(frozen=True)
class CAMSettings:
    """How CAMs are computed (:func:`infer_cams`), one object for every caller.

    Released AMR (``step/make_cam.py``): the seven scales of :data:`DEFAULT_SCALES` x flip,
    the Grad-CAM maps, the PIL uint8 pyramid, anti-adversarial climbing with the released
    settings, branches fused 0.5 / 0.5, float32 maps, one image at a time.
    :meth:`released` returns exactly that.

    Fields whose default deviates from the release, and why:

    * ``map_extractor='cam'``: ReLU(CAM) works with any model that has ``cams()`` (Grad-CAM
      needs a bias-free 1x1 classifier); it was the project's earlier behaviour.
    * ``resize='torch'``: the pyramid is computed on the model's device in float (at scale
      0.5 up to ~3 grey levels from PIL's uint8 result).
    * ``climbing=None``: climbing costs 100-150x plain CAMs, too much for a CPU; configs that
      follow the release switch it on.

    Args:
        scales (Sequence[float]): Inference scales; the order does not matter.
        branch_weights (Sequence[float], optional): Branch fusion weights; None is equal
            weights summing to 1 (0.5 / 0.5 for AMR).
        climbing (ClimbingSettings | dict, optional): Anti-adversarial climbing; None is off.
        output_stride (int): The model's CAM stride, for the ``high_res`` grid. Defaults
            to 16.
        cam_stride (int): Stride of the stored ``cam`` (IRN's 4).
        fp16 (bool): Store the maps as float16. Defaults to False.
        map_extractor (str): ``'gradcam'`` (released) or ``'cam'`` (ReLU(CAM)).
        resize (str): ``'pil'`` (released) or ``'torch'``.
        images_per_batch (int): Same-size images whose CAMs are computed together by the
            pseudo-label stage (equal maps up to float rounding; a GPU speed-up). Defaults
            to 1.
    """

    scales: tuple = DEFAULT_SCALES
    branch_weights: Optional[tuple] = None
    climbing: Optional[ClimbingSettings] = None
    output_stride: int = 16
    cam_stride: int = 4
    fp16: bool = False
    map_extractor: str = 'cam'
    resize: str = 'torch'
    images_per_batch: int = 1

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, 'scales', _floats('scales', self.scales, positive=True))
        if self.branch_weights is not None:
            set_(self, 'branch_weights', _floats('branch_weights', self.branch_weights))
        if self.climbing is not None:
            set_(self, 'climbing', ClimbingSettings.from_dict(self.climbing))
        _positive_int('output_stride', self.output_stride)
        _positive_int('cam_stride', self.cam_stride)
        _bool('fp16', self.fp16)
        check_choice('map_extractor', self.map_extractor, MAP_EXTRACTORS)
        check_choice('resize', self.resize, RESIZES)
        _positive_int('images_per_batch', self.images_per_batch)

    @classmethod
    def released(cls, **overrides) -> 'CAMSettings':
        """The released AMR inference (see the class docstring), with ``overrides``."""
        base = dict(
            map_extractor='gradcam',
            resize='pil',
            climbing=ClimbingSettings(
                restriction_mask='per_iteration', branch_only=False, batched=False
            ),
        )
        return cls(**dict(base, **overrides))

    @classmethod
    def of(cls, settings: Any = None, **fields) -> 'CAMSettings':
        """``settings`` as a :class:`CAMSettings`, with ``fields`` replaced.

        Args:
            settings: A :class:`CAMSettings` (returned as is without ``fields``), a config
                dict of its fields, a sequence of scales (shorthand for ``scales=``), or
                None (the defaults).
            **fields: Fields to set.
        """
        if isinstance(settings, CAMSettings):
            return dataclasses.replace(settings, **fields) if fields else settings
        if settings is None:
            return cls.from_dict(fields)
        if isinstance(settings, Mapping):
            return cls.from_dict(dict(settings, **fields))
        return cls.from_dict(dict(fields, scales=settings))

    @classmethod
    def from_dict(cls, cfg: Mapping) -> 'CAMSettings':
        """Build from a config dict, naming any unknown key."""
        unknown = sorted(set(cfg) - set(CAM_KEYS))
        if unknown:
            raise ValueError(f'unknown CAM setting(s) {unknown}; known: {list(CAM_KEYS)}')
        return cls(**cfg)

    def to_dict(self) -> dict:
        """The fields as plain Python values (climbing as a dict, or None)."""
        return dataclasses.asdict(self)


CAM_KEYS = tuple(f.name for f in dataclasses.fields(CAMSettings))

# IRN / AMR ``cam_to_ir_label``: confident foreground above 0.60, background below 0.33, CRF
DEFAULT_IR_LABEL = dict(fg_thr=0.60, bg_thr=0.33, crf=True)


@dataclass(frozen=True)
class PseudoLabelSettings:
    """What the pseudo-label stage makes of the CAMs (:func:`generate_pseudo_labels`).

    Built from the flat keys of a ``PseudoLabelHook`` config entry by :meth:`from_dict`: the
    keys of :class:`CAMSettings` go to ``cam``, the others are fields here. The defaults are
    AMR's (background 0.20, ``cam_eval_thres``) and IRN's IR labels.

    Args:
        cam (CAMSettings | dict): How the CAMs are computed.
        bg_threshold (float): Background score of the seeds and the reported mIoU.
            Defaults to 0.20.
        thresholds (Sequence[float], optional): The metric's sweep; None is 0.05..0.95.
        seed_crf (bool): Also write and score CRF-refined seeds. Defaults to False.
        ir_label (dict, optional): Kwargs of :func:`make_ir_label` (``fg_thr``, ``bg_thr``,
            ``crf``); None writes no IR labels.
        num_vis (int): CAM overlays to save. Defaults to 4.
        log_interval (int): Log progress every this many images (0: never). Defaults to 20.
    """

    cam: CAMSettings = field(default_factory=CAMSettings)
    bg_threshold: float = 0.20
    thresholds: Optional[tuple] = None
    seed_crf: bool = False
    ir_label: Optional[dict] = field(default_factory=lambda: dict(DEFAULT_IR_LABEL))
    num_vis: int = 4
    log_interval: int = 20

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.cam, CAMSettings):
            set_(self, 'cam', CAMSettings.of(self.cam))
        set_(self, 'bg_threshold', float(self.bg_threshold))
        if self.thresholds is not None:
            set_(self, 'thresholds', _floats('thresholds', self.thresholds))
        _bool('seed_crf', self.seed_crf)
        if self.ir_label is not None:
            ok = isinstance(self.ir_label, Mapping)
            if not ok or set(self.ir_label) - {'fg_thr', 'bg_thr', 'crf'}:
                raise ValueError(
                    f'ir_label must be None or a dict of fg_thr, bg_thr, crf; got {self.ir_label!r}'
                )
            set_(self, 'ir_label', dict(self.ir_label))
        for key in ('num_vis', 'log_interval'):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f'{key} must be a non-negative int, got {value!r}')

    @classmethod
    def of(cls, settings: Any = None, **fields) -> 'PseudoLabelSettings':
        """``settings`` (a :class:`PseudoLabelSettings`, flat config dict or None) with the
        flat ``fields`` replaced.
        """
        if isinstance(settings, PseudoLabelSettings):
            if not fields:
                return settings
            settings = settings.to_dict()
        return cls.from_dict(dict(settings or {}, **fields))

    @classmethod
    def from_dict(cls, cfg: Mapping) -> 'PseudoLabelSettings':
        """Build from flat config keys (those of :class:`CAMSettings` and of this class)."""
        own = [f.name for f in dataclasses.fields(cls) if f.name != 'cam']
        unknown = sorted(set(cfg) - set(own) - set(CAM_KEYS))
        if unknown:
            raise ValueError(
                f'unknown pseudo-label setting(s) {unknown}; known: {sorted(own + list(CAM_KEYS))}'
            )
        cam = CAMSettings.from_dict({k: v for k, v in cfg.items() if k in CAM_KEYS})
        return cls(cam=cam, **{k: v for k, v in cfg.items() if k in own})

    def to_dict(self) -> dict:
        """The flat config keys (the inverse of :meth:`from_dict`)."""
        out = self.cam.to_dict()
        out.update(
            (f.name, getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != 'cam'
        )
        return out


PSEUDO_LABEL_KEYS = tuple(PseudoLabelSettings().to_dict())
