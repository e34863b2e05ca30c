import numpy as np
import pytest
import torch

from projects.amr.cam.seed import class_lut, seed_label, seed_label_sweep, seed_planes


def _reference(cams, keys, thr):
    """Per-pixel loop: the top CAM wins when strictly above thr, else background."""
    out = np.zeros(cams.shape[1:], np.int64)
    for idx in np.ndindex(*cams.shape[1:]):
        v = cams[(slice(None),) + idx]
        k = int(np.argmax(v))
        out[idx] = keys[k] + 1 if v[k] > thr else 0
    return out


def test_seed_label_matches_pixel_loop_numpy_and_torch():
    rng = np.random.default_rng(0)
    cams = rng.random((3, 7, 5)).astype(np.float32)
    cams[:, 0, 0] = 0.2  # a tie with the background plane: background wins
    keys = [4, 11, 14]
    ref = _reference(cams, keys, 0.2)
    assert ref[0, 0] == 0
    np.testing.assert_array_equal(seed_label(cams, keys, 0.2), ref)
    np.testing.assert_array_equal(seed_label(torch.from_numpy(cams), keys, 0.2).numpy(), ref)
    np.testing.assert_array_equal(class_lut(keys)[seed_planes(cams, 0.2)], ref)


def test_seed_label_sweep_equals_one_threshold_at_a_time():
    rng = np.random.default_rng(1)
    cams = rng.random((2, 6, 4)).astype(np.float32)
    thrs = [0.05, 0.3, 0.55, 0.95]
    sweep = seed_label_sweep(cams, [0, 19], thrs)
    for t, got in zip(thrs, sweep):
        np.testing.assert_array_equal(got, seed_label(cams, [0, 19], t))
    assert seed_label_sweep(np.zeros((0, 3, 3)), [], thrs).sum() == 0


def test_seed_label_rejects_plane_key_mismatch():
    with pytest.raises(ValueError, match='2 CAM planes but 1 keys'):
        seed_label(np.zeros((2, 3, 3), np.float32), [1], 0.2)
