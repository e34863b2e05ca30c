"""Reduced-precision inputs (AMP) of the AMM gates and the losses: computed in float32, on CPU."""

import math

import torch

from projects.amr.models.irn import PathIndex
from projects.amr.models.irn.irn_loss import affinity_displacement_loss
from projects.amr.models.losses.multilabel_soft_margin_loss import MultiLabelSoftMarginLoss
from projects.amr.models.plugins.amm import AMM, gaussian_gate


def reference_gate(x: torch.Tensor) -> torch.Tensor:
    """The Gaussian gate in float64 (the released formula)."""
    x = x.double()
    mu, sigma = x.mean(), x.std()
    return torch.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (math.sqrt(2 * math.pi) * sigma)


def test_gaussian_gate_float32_is_the_formula():
    torch.manual_seed(0)
    x = torch.randn(4, 64) * 3 + 1
    mu, sigma = x.mean(), x.std()
    expected = torch.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (math.sqrt(2 * math.pi) * sigma)
    assert torch.equal(gaussian_gate(x), expected)


def test_gaussian_gate_fp16_wide_and_narrow_responses():
    """sigma 300 overflows (x - mu)^2 and sigma^2 in fp16, sigma 1e-4 underflows sigma^2."""
    torch.manual_seed(0)
    for scale in (300.0, 1e-4):
        x = (torch.randn(8, 256) * scale).half()
        gate = gaussian_gate(x)
        assert gate.dtype == torch.float16 and torch.isfinite(gate).all()
        ref = reference_gate(x)
        assert torch.allclose(gate.double(), ref, rtol=2e-3, atol=1e-3 * float(ref.max()))


def test_amm_under_bf16_autocast_keeps_dtype_and_matches_fp32():
    torch.manual_seed(0)
    amm = AMM(32, ratio=4).eval()
    x = torch.randn(2, 32, 12, 12)
    ref = amm(x)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = amm(x.bfloat16())
    assert out.dtype == torch.bfloat16 and torch.isfinite(out).all()
    assert (out.float() - ref).abs().max() < 0.05 * ref.abs().max()


def test_irn_loss_of_fp16_outputs_is_the_fp32_loss():
    torch.manual_seed(0)
    pi = PathIndex(radius=3)
    edge = (torch.randn(2, 1, 16, 16) * 6).half()
    disp = torch.randn(2, 2, 16, 16).half()
    label = torch.randint(0, 3, (2, 16, 16))
    label[:, :2] = 255
    half = affinity_displacement_loss(edge, disp, label, pi)
    full = affinity_displacement_loss(edge.float(), disp.float(), label, pi)
    for key, value in full.items():
        assert half[key].dtype == torch.float32 and torch.equal(half[key], value), key


def test_multilabel_soft_margin_loss_of_fp16_logits_is_fp32():
    logits = (torch.randn(4, 20) * 8).half()
    target = (torch.rand(4, 20) > 0.7).float()
    loss = MultiLabelSoftMarginLoss()(logits, target)
    assert loss.dtype == torch.float32
    assert torch.equal(loss, MultiLabelSoftMarginLoss()(logits.float(), target))
