"""Invariants of the multi-scale + flip CAM inference, climbing, seeds and IR labels."""

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from projects.amr.cam import (
    climb_class_map,
    crf_inference_label,
    infer_cams,
    make_ir_label,
    make_seed_label,
)


class _Pre(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('mean', torch.tensor([120.0, 110.0, 100.0]).view(3, 1, 1))
        self.register_buffer('std', torch.tensor([60.0, 55.0, 50.0]).view(3, 1, 1))
        self.to_rgb = True


class TinyCAM(nn.Module):
    """Stride-16 CAMs from a random 3x3 conv: ``num_branches`` independent branches."""

    def __init__(self, num_branches: int = 1, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.data_preprocessor = _Pre()
        self.convs = nn.ModuleList(nn.Conv2d(3, 20, 3, padding=1) for _ in range(num_branches))

    def cams(self, x):
        return tuple(F.avg_pool2d(c(x), 16, ceil_mode=True) + 0.3 for c in self.convs)


@pytest.fixture(scope='module')
def image():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(64, 96, 3), dtype=np.uint8)


SCALES = (1.0, 0.5, 1.5)


def test_output_format_and_normalisation(image):
    out = infer_cams(TinyCAM(), image, keys=[7, 2], scales=SCALES)
    np.testing.assert_array_equal(out['keys'], [2, 7])
    assert out['cam'].shape == (2, 16, 24) and out['cam'].dtype == np.float32
    assert out['high_res'].shape == (2, 64, 96)
    assert out['cam'].min() >= 0 and out['high_res'].min() >= 0
    np.testing.assert_allclose(out['cam'].reshape(2, -1).max(1), 1, atol=1e-4)
    np.testing.assert_allclose(out['high_res'].reshape(2, -1).max(1), 1, atol=1e-4)
    # a class's map does not depend on which other classes are present
    single = infer_cams(TinyCAM(), image, keys=[7], scales=SCALES)
    np.testing.assert_allclose(single['high_res'][0], out['high_res'][1], atol=1e-6)
    # no label, no planes
    empty = infer_cams(TinyCAM(), image, keys=[], scales=SCALES)
    assert empty['high_res'].shape == (0, 64, 96)


def test_odd_size_grids():
    img = np.random.default_rng(1).integers(0, 256, size=(37, 50, 3), dtype=np.uint8)
    out = infer_cams(TinyCAM(), img, keys=[0], scales=(1.0, 0.75), fp16=True)
    assert out['cam'].shape == (1, 10, 13) and out['high_res'].shape == (1, 37, 50)
    assert out['cam'].dtype == np.float16


def test_flip_invariance(image):
    model = TinyCAM()
    out = infer_cams(model, image, keys=[3, 5], scales=SCALES)
    flipped = infer_cams(model, image[:, ::-1].copy(), keys=[3, 5], scales=SCALES)
    np.testing.assert_allclose(flipped['cam'], out['cam'][..., ::-1], atol=1e-5)
    np.testing.assert_allclose(flipped['high_res'], out['high_res'][..., ::-1], atol=1e-5)


def test_scale_order_irrelevant(image):
    a = infer_cams(TinyCAM(), image, keys=[1], scales=(1.0, 0.5, 1.5))
    b = infer_cams(TinyCAM(), image, keys=[1], scales=(1.5, 1.0, 0.5))
    np.testing.assert_array_equal(a['high_res'], b['high_res'])


def test_channel_order_and_tensor_input(image):
    model = TinyCAM()
    a = infer_cams(model, image, keys=[4], scales=(1.0,))
    rgb = torch.from_numpy(image[..., ::-1].copy()).permute(2, 0, 1)
    b = infer_cams(model, rgb, keys=[4], scales=(1.0,))
    np.testing.assert_allclose(a['high_res'], b['high_res'], atol=1e-6)


def test_two_branch_fusion(image):
    two = TinyCAM(num_branches=2, seed=3)
    fused = infer_cams(two, image, keys=[0, 9], scales=SCALES)
    assert fused['high_res'].max() <= 1 + 1e-6
    one_a, one_b = TinyCAM(seed=3), TinyCAM(seed=3)
    one_a.convs[0] = two.convs[0]
    one_b.convs[0] = two.convs[1]
    a = infer_cams(one_a, image, keys=[0, 9], scales=SCALES)['high_res']
    b = infer_cams(one_b, image, keys=[0, 9], scales=SCALES)['high_res']
    np.testing.assert_allclose(fused['high_res'], 0.5 * a + 0.5 * b, atol=1e-5)
    w = infer_cams(two, image, keys=[0, 9], scales=SCALES, branch_weights=(1.0, 0.0))
    np.testing.assert_allclose(w['high_res'], a, atol=1e-5)
    with pytest.raises(ValueError):
        infer_cams(two, image, keys=[0], scales=SCALES, branch_weights=(1.0,))


def test_climbing(image):
    model = TinyCAM()
    plain = infer_cams(model, image, keys=[2, 6], scales=(1.0,))
    # one iteration accumulates only the clean map: identical after normalisation
    one = infer_cams(model, image, keys=[2, 6], scales=(1.0,), climbing=dict(iters=1))
    np.testing.assert_allclose(one['high_res'], plain['high_res'], atol=1e-4)
    climbed = infer_cams(
        model,
        image,
        keys=[2, 6],
        scales=(1.0, 0.5),
        climbing=dict(iters=4, step=0.08, lam=7.0, mask_thr=0.5),
    )
    assert climbed['high_res'].shape == plain['high_res'].shape
    np.testing.assert_allclose(climbed['high_res'].reshape(2, -1).max(1), 1, atol=1e-4)
    assert all(p.grad is None for p in model.parameters())
    # the image moves: the accumulation is not three copies of the clean map
    x = torch.randn(2, 3, 32, 32)
    acc = climb_class_map(model, x, 2, iters=3, multiplier=1.0)
    with torch.no_grad():
        a0 = F.relu(model.cams(x)[0])
    a0 = a0[0, 2] + a0[1, 2].flip(-1)
    assert acc.shape == a0.shape and torch.isfinite(acc).all()
    assert not torch.allclose(acc, 3 * a0)
    assert torch.allclose(climb_class_map(model, x, 2, iters=1, multiplier=1.0), a0)


def test_seed_and_ir_labels():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(20, 24, 3), dtype=np.uint8)
    hr = np.zeros((2, 20, 24), np.float32)
    hr[0, :, :8] = 1.0  # class 4: confident
    hr[1, :, 16:] = 0.45  # class 9: between bg 0.33 and fg 0.60 -> unsure
    cam = dict(keys=np.array([4, 9]), high_res=hr)
    seed = make_seed_label(cam, 0.2)
    assert seed.dtype == np.uint8
    assert (seed[:, :8] == 5).all() and (seed[:, 16:] == 10).all() and (seed[:, 8:16] == 0).all()
    ir = make_ir_label(img, cam, crf=False)
    assert (ir[:, :8] == 5).all() and (ir[:, 16:] == 255).all() and (ir[:, 8:16] == 0).all()
    ir_crf = make_ir_label(img, cam, crf=True)
    assert ir_crf.dtype == np.uint8 and set(np.unique(ir_crf)) <= {0, 5, 255}
    lab = crf_inference_label(img, (hr.argmax(0) + 1) * (hr.max(0) > 0.5), n_labels=3)
    assert lab.shape == (20, 24) and lab.max() <= 2
