"""The CAM settings object: built from config keys, validated once with named errors."""

import pytest

from projects.amr.cam.settings import (
    CAM_KEYS,
    CLIMBING_KEYS,
    DEFAULT_SCALES,
    CAMSettings,
    ClimbingSettings,
    PseudoLabelSettings,
)


def test_defaults_and_released():
    s = CAMSettings()
    assert s.scales == DEFAULT_SCALES and s.climbing is None
    assert (s.map_extractor, s.resize, s.images_per_batch) == ('cam', 'torch', 1)
    r = CAMSettings.released()
    assert (r.map_extractor, r.resize) == ('gradcam', 'pil')
    assert r.climbing.restriction_mask == 'per_iteration' and r.climbing.iters == 27
    assert not r.climbing.batched and not r.climbing.branch_only


def test_from_flat_keys_round_trip():
    flat = dict(
        scales=(1, 0.5),
        climbing=dict(iters=3, restriction_mask='per_iteration', chunk_size=2),
        map_extractor='gradcam',
        bg_threshold=0.15,
        ir_label=None,
        num_vis=0,
    )
    s = PseudoLabelSettings.from_dict(flat)
    assert s.cam.scales == (1.0, 0.5) and isinstance(s.cam.climbing, ClimbingSettings)
    assert s.cam.climbing.chunk_size == 2 and s.bg_threshold == 0.15 and s.ir_label is None
    assert PseudoLabelSettings.from_dict(s.to_dict()) == s
    assert set(s.to_dict()) == set(CAM_KEYS) | {
        'bg_threshold',
        'thresholds',
        'seed_crf',
        'ir_label',
        'num_vis',
        'log_interval',
    }
    assert set(s.to_dict()['climbing']) == set(CLIMBING_KEYS)
    # of(): a settings object as is, fields replaced, scales shorthand
    assert CAMSettings.of(s.cam) is s.cam
    assert CAMSettings.of(s.cam, fp16=True).fp16 and not s.cam.fp16
    assert CAMSettings.of((2.0,)).scales == (2.0,)
    assert PseudoLabelSettings.of(s, num_vis=2).num_vis == 2


@pytest.mark.parametrize(
    'flat,match',
    [
        (dict(scale=(1.0,)), r"unknown pseudo-label setting\(s\) \['scale'\]"),
        (dict(scales=()), 'scales must be a non-empty sequence of positive numbers'),
        (dict(scales=(1.0, -0.5)), 'scales must be'),
        (dict(map_extractor='gradcams'), "map_extractor must be one of .*'gradcams'"),
        (dict(resize='bilinear'), "resize must be one of .*'bilinear'"),
        (dict(images_per_batch=0), 'images_per_batch must be a positive int, got 0'),
        (dict(output_stride=True), 'output_stride must be a positive int'),
        (dict(fp16=1), 'fp16 must be a bool'),
        (dict(climbing=dict(iterations=2)), r"unknown climbing key\(s\) \['iterations'\]"),
        (dict(climbing=dict(restriction_mask='always')), 'climbing.restriction_mask'),
        (dict(climbing=dict(chunk_size=0)), 'climbing.chunk_size must be a positive int'),
        (dict(climbing=dict(batched='yes')), 'climbing.batched must be a bool'),
        (dict(climbing=dict(iters=0)), 'climbing.iters must be a positive int'),
        (dict(climbing=[1]), 'climbing must be a dict or None'),
        (dict(ir_label=dict(fg=0.6)), 'ir_label must be None or a dict'),
        (dict(num_vis=-1), 'num_vis must be a non-negative int'),
    ],
)
def test_bad_settings_are_named(flat, match):
    with pytest.raises(ValueError, match=match):
        PseudoLabelSettings.from_dict(flat)


def test_hook_builds_the_settings_from_its_config_keys():
    from projects.amr.engine.hooks import PseudoLabelHook

    hook = PseudoLabelHook(scales=(1.0,), climbing=dict(iters=2), bg_threshold=0.3, num_vis=1)
    assert hook.settings.cam.scales == (1.0,) and hook.settings.cam.climbing.iters == 2
    assert hook.settings.bg_threshold == 0.3 and hook.settings.num_vis == 1
    with pytest.raises(ValueError, match='unknown pseudo-label setting'):
        PseudoLabelHook(scale=(1.0,))
