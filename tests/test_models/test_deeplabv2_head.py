"""DeepLabV2Head, the dense-CRF post-processing and CRFEncoderDecoder, on CPU."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import register_all_modules

import projects.amr  # noqa: F401  (registers DeepLabV2Head, CRFEncoderDecoder)
from projects.amr.models.decode_heads import DeepLabV2Head
from projects.amr.models.segmentors import dense_crf

register_all_modules(init_default_scope=True)
pytestmark = pytest.mark.usefixtures('mmseg_scope')


def _samples(labels: torch.Tensor) -> list:
    samples = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=label[None])
        samples.append(sample)
    return samples


def test_forward_shape_and_structure():
    head = DeepLabV2Head(in_channels=16, num_classes=5, in_index=-1)
    feats = (torch.rand(2, 8, 20, 20), torch.rand(2, 16, 9, 11))
    out = head(feats)
    assert out.shape == (2, 5, 9, 11)
    assert not hasattr(head, 'conv_seg') and head.dropout is None
    assert [c.dilation[0] for c in head.aspp] == [6, 12, 18, 24]
    assert all(c.kernel_size == (3, 3) and c.bias is not None for c in head.aspp)
    # the output is the sum of the four branches
    x = feats[-1]
    assert torch.allclose(out, sum(c(x) for c in head.aspp), atol=1e-6)
    assert head.cls_seg(out) is out  # the scores need no classifier layer
    with pytest.raises(TypeError):
        DeepLabV2Head(in_channels=16, num_classes=5, channels=8)


def test_init_normal_and_zero_bias():
    head = DeepLabV2Head(in_channels=256, num_classes=21)
    head.init_weights()
    weights = torch.cat([c.weight.flatten() for c in head.aspp])
    assert abs(weights.std().item() - 0.01) < 1e-3
    assert all(torch.count_nonzero(c.bias) == 0 for c in head.aspp)


def test_every_parameter_gets_a_gradient_and_loss_ignores_255():
    torch.manual_seed(0)
    head = MODELS.build(
        dict(
            type='DeepLabV2Head',
            in_channels=8,
            num_classes=4,
            in_index=0,
            loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=True),
        )
    )
    head.init_weights()
    feats = (torch.rand(2, 8, 6, 6),)
    labels = torch.randint(0, 4, (2, 24, 24))
    labels[:, :12] = 255  # half the pixels ignored, as in pseudo masks
    losses = head.loss(feats, _samples(labels), train_cfg={})
    losses['loss_ce'].backward()
    names = [n for n, p in head.named_parameters() if p.requires_grad]
    assert len(names) == 8  # four weights, four biases, nothing else
    for name, p in head.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    # avg_non_ignore=True: the mean over non-ignored pixels, like F.cross_entropy
    logits = F.interpolate(head(feats), size=(24, 24), mode='bilinear', align_corners=False)
    expected = F.cross_entropy(logits, labels, ignore_index=255)
    assert torch.allclose(losses['loss_ce'], expected, atol=1e-5)


def test_dense_crf_sharpens_and_keeps_shape():
    rng = np.random.default_rng(0)
    image = np.zeros((24, 32, 3), np.uint8)
    image[:, 16:] = 200
    probs = np.full((3, 24, 32), 0.2, np.float32)
    probs[1, :, :16], probs[2, :, 16:] = 0.6, 0.6
    probs += rng.uniform(0, 0.1, probs.shape).astype(np.float32)
    probs /= probs.sum(0, keepdims=True)
    q = dense_crf(image, probs)
    assert q.shape == probs.shape and q.dtype == np.float32
    assert np.allclose(q.sum(0), 1, atol=1e-4)
    label = q.argmax(0)
    assert (label[:, :16] == 1).all() and (label[:, 16:] == 2).all()
    with pytest.raises(ValueError):
        dense_crf(image[:10], probs)


@pytest.mark.parametrize('crf', [None, dict(enabled=False), dict(iters=3)])
def test_crf_encoder_decoder_predicts_a_label_map(tmp_path, crf):
    import mmcv
    from mmcv.transforms import Compose

    rng = np.random.default_rng(0)
    img_path = str(tmp_path / 'img.jpg')
    mmcv.imwrite(rng.integers(0, 255, (37, 45, 3), dtype=np.uint8), img_path)
    model = MODELS.build(
        dict(
            type='CRFEncoderDecoder',
            data_preprocessor=dict(
                type='SegDataPreProcessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                bgr_to_rgb=True,
                size=(33, 33),
            ),
            backbone=dict(
                type='ResNet',
                depth=18,
                out_indices=(3,),
                strides=(1, 2, 1, 1),
                dilations=(1, 1, 2, 4),
                contract_dilation=False,
                norm_cfg=dict(type='BN', requires_grad=False),
                norm_eval=True,
            ),
            decode_head=dict(type='DeepLabV2Head', in_channels=512, in_index=0, num_classes=21),
            test_cfg=ConfigDict(mode='whole', crf=crf),
        )
    )
    model.init_weights()
    model.eval()
    pipeline = Compose([dict(type='LoadImageFromFile'), dict(type='PackSegInputs')])
    data = pipeline(dict(img_path=img_path))
    with torch.no_grad():
        (result,) = model.test_step(
            dict(inputs=[data['inputs']], data_samples=[data['data_samples']])
        )
    pred = result.pred_sem_seg.data
    assert pred.shape == (1, 37, 45)
    assert pred.min() >= 0 and pred.max() < 21
    assert result.seg_logits.data.shape == (21, 37, 45)
    if crf is not None and crf.get('enabled', True):
        # the log of the CRF marginals: they exponentiate to a distribution
        assert torch.allclose(result.seg_logits.data.exp().sum(0), torch.ones(37, 45), atol=1e-3)
