"""PseudoLabelHook / generate_pseudo_labels on a few real voc-mini images with a random model:
expected files, skip on re-run, resume after a kill, 2 ranks (gloo) equal to 1."""

import json
import os
import os.path as osp
import socket
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from mmengine.config import Config
from mmengine.logging import MMLogger
from PIL import Image

from projects.amr.cam import generate as generate_mod
from projects.amr.cam.generate import generate_pseudo_labels
from projects.amr.engine.hooks import PseudoLabelHook, build_cam_dataset, eval_sources
from tests.conftest import VOC_MINI_LABELS

SCALES = (1.0, 0.5)
N_EVAL = 3  # train ids evaluated; one more train_aug id is only generated


def _model(state: str = None):
    from mmpretrain.registry import MODELS

    import projects.amr  # noqa: F401  (registers the classifier)

    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='CAMClassifier',
            backbone=dict(
                type='EfficientNetLite', out_stride=16, out_indices=(3,), pretrained=False
            ),
            head=dict(type='CAMHead', in_channels=1280, num_classes=20),
            data_preprocessor=dict(
                type='ClsDataPreprocessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                to_rgb=True,
            ),
        )
    )
    if state is not None:
        model.load_state_dict(torch.load(state, map_location='cpu', weights_only=True))
    return model.eval()


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = osp.normpath(osp.join(osp.dirname(VOC_MINI_LABELS), '..', 'VOCdevkit', 'VOC2012'))
    if not osp.isdir(root):
        pytest.skip(
            f'real-data test: {root} is absent (../shared/data/voc-mini beside the repository)'
        )
    tmp = tmp_path_factory.mktemp('plh')
    seg = osp.join(root, 'ImageSets', 'Segmentation')
    train = open(osp.join(seg, 'train.txt')).read().split()[:N_EVAL]
    extra = [i for i in open(osp.join(seg, 'train_aug.txt')).read().split() if i not in train][:1]
    # a copy at 1/3 resolution keeps the test fast on a 2-core CPU
    small = tmp / 'VOC2012'
    for sub in ('JPEGImages', 'SegmentationClass'):
        (small / sub).mkdir(parents=True)
    for img_id in train + extra:
        img = Image.open(osp.join(root, 'JPEGImages', img_id + '.jpg'))
        size = (img.width // 3, img.height // 3)
        img.resize(size, Image.BICUBIC).save(small / 'JPEGImages' / (img_id + '.jpg'), quality=95)
        if img_id in train:
            Image.open(osp.join(root, 'SegmentationClass', img_id + '.png')).resize(
                size, Image.NEAREST
            ).save(small / 'SegmentationClass' / (img_id + '.png'))
    (tmp / 'list.txt').write_text('\n'.join(train + extra) + '\n')
    (tmp / 'eval.txt').write_text('\n'.join(train) + '\n')
    ds_cfg = dict(
        type='VOCImageLabelDataset',
        data_root=str(small),
        ann_file=str(tmp / 'list.txt'),
        label_source='npy',
        label_file=VOC_MINI_LABELS,
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
    )
    cfg = Config(dict(train_dataloader=dict(dataset=ds_cfg)))
    state = str(tmp / 'model.pth')
    torch.save(_model().state_dict(), state)
    return SimpleNamespace(
        tmp=tmp,
        cfg=cfg,
        ids=train + extra,
        train=train,
        state=state,
        eval_ann=str(tmp / 'eval.txt'),
    )


def _kwargs(setup, out_dir):
    dataset = build_cam_dataset(setup.cfg)
    eval_ids, seg_dir = eval_sources(dataset, setup.eval_ann, 'SegmentationClass')
    return dict(
        dataset=dataset,
        out_dir=out_dir,
        scales=SCALES,
        eval_ids=eval_ids,
        eval_seg_dir=seg_dir,
        num_vis=2,
        log_interval=0,
    )


def _snapshot(out_dir):
    """Relative path -> bytes of every output file (npy compared by content)."""
    out = {}
    for sub in ('cams', 'seeds', 'ir_labels'):
        for f in sorted(os.listdir(osp.join(out_dir, sub))):
            p = osp.join(out_dir, sub, f)
            out[f'{sub}/{f}'] = (
                np.load(p, allow_pickle=True).item()
                if f.endswith('.npy')
                else np.asarray(Image.open(p))
            )
    return out


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], dict):
            np.testing.assert_array_equal(a[k]['keys'], b[k]['keys'])
            np.testing.assert_allclose(a[k]['high_res'], b[k]['high_res'], atol=1e-5)
            np.testing.assert_allclose(a[k]['cam'], b[k]['cam'], atol=1e-5)
        else:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)


class _Vis:
    def __init__(self):
        self.images = []

    def add_image(self, name, image, step=0):
        self.images.append((name, image.shape))


@pytest.fixture(scope='module')
def reference(setup):
    """One complete single-process run through the hook (the reference outputs)."""
    work = str(setup.tmp / 'ref')
    os.makedirs(work)
    hook = PseudoLabelHook(eval_ann_file=setup.eval_ann, scales=SCALES, num_vis=2, log_interval=0)
    vis = _Vis()
    runner = SimpleNamespace(
        model=_model(setup.state),
        cfg=setup.cfg,
        work_dir=work,
        logger=MMLogger.get_current_instance(),
        visualizer=vis,
    )
    hook.after_train(runner)
    return SimpleNamespace(work=work, hook=hook, vis=vis, files=_snapshot(work))


def test_hook_writes_expected_files(setup, reference):
    work, ids = reference.work, setup.ids
    assert sorted(os.listdir(osp.join(work, 'cams'))) == sorted(i + '.npy' for i in ids)
    for img_id in ids:
        cam = reference.files[f'cams/{img_id}.npy']
        seed = reference.files[f'seeds/{img_id}.png']
        ir = reference.files[f'ir_labels/{img_id}.png']
        h, w = np.asarray(
            Image.open(
                osp.join(
                    setup.cfg.train_dataloader.dataset.data_root, 'JPEGImages', img_id + '.jpg'
                )
            )
        ).shape[:2]
        assert cam['high_res'].shape == (len(cam['keys']), h, w)
        assert cam['cam'].shape == (len(cam['keys']), -(-h // 4), -(-w // 4))
        assert seed.dtype == np.uint8 and seed.shape == (h, w)
        assert set(np.unique(seed)) <= {0} | set(cam['keys'] + 1)
        assert set(np.unique(ir)) <= {0, 255} | set(cam['keys'] + 1)
    metrics = json.load(open(osp.join(work, 'cam_metrics.json')))
    assert metrics['split_ids'] == N_EVAL
    assert 0 <= metrics['metrics']['mIoU'] <= 100
    assert metrics['metrics']['best_mIoU_gt_selected'] >= metrics['metrics']['mIoU']
    assert len(metrics['details']['miou']) == 19
    assert sorted(os.listdir(osp.join(work, 'cam_vis'))) == sorted(
        i + '.jpg' for i in setup.train[:2]
    )
    assert len(reference.vis.images) == 2
    assert not [f for _, _, fs in os.walk(work) for f in fs if f.startswith('.tmp-')]


def test_second_run_skips(setup, reference):
    stamps = {f: os.stat(osp.join(reference.work, f)).st_mtime_ns for f in reference.files}
    res = generate_pseudo_labels(_model(setup.state), **_kwargs(setup, reference.work))
    assert res['num_computed'] == 0
    assert stamps == {f: os.stat(osp.join(reference.work, f)).st_mtime_ns for f in reference.files}
    assert res['metrics'] == reference.hook.last_result['metrics']


def test_killed_run_resumes_identically(setup, reference, monkeypatch):
    out = str(setup.tmp / 'killed')
    calls = []
    real = generate_mod.make_ir_label

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt('simulated kill')
        return real(*args, **kwargs)

    monkeypatch.setattr(generate_mod, 'make_ir_label', dying)
    with pytest.raises(KeyboardInterrupt):
        generate_pseudo_labels(_model(setup.state), **_kwargs(setup, out))
    monkeypatch.setattr(generate_mod, 'make_ir_label', real)
    assert len(os.listdir(osp.join(out, 'ir_labels'))) == 1
    res = generate_pseudo_labels(_model(setup.state), **_kwargs(setup, out))
    assert res['num_computed'] == len(setup.ids) - 2  # the 2nd image's CAM was kept
    _assert_same(_snapshot(out), reference.files)
    assert not [f for _, _, fs in os.walk(out) for f in fs if f.startswith('.tmp-')]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _worker(rank, world_size, port, setup_dict, out, threads):
    import torch.distributed as dist

    torch.set_num_threads(threads)
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world_size
    )
    try:
        s = SimpleNamespace(**setup_dict)
        s.cfg = Config(s.cfg)
        generate_pseudo_labels(_model(s.state), **_kwargs(s, out))
    finally:
        dist.destroy_process_group()


def test_two_ranks_equal_one(setup, reference):
    out = str(setup.tmp / 'two_ranks')
    d = dict(vars(setup))
    d['cfg'] = setup.cfg.to_dict()
    mp.spawn(_worker, args=(2, _free_port(), d, out, torch.get_num_threads()), nprocs=2, join=True)
    _assert_same(_snapshot(out), reference.files)
    one = json.load(open(osp.join(reference.work, 'cam_metrics.json')))
    two = json.load(open(osp.join(out, 'cam_metrics.json')))
    assert one['metrics'] == two['metrics'] and one['details'] == two['details']


def test_images_per_batch_equals_one_at_a_time(setup, monkeypatch):
    """Same-size images computed together write the files of one image at a time (the
    test's images resized to one size, as most VOC images share 500 x 375)."""
    root = setup.tmp / 'one_size'
    (root / 'JPEGImages').mkdir(parents=True)
    src = setup.cfg.train_dataloader.dataset.data_root
    for img_id in setup.ids:
        img = Image.open(osp.join(src, 'JPEGImages', img_id + '.jpg'))
        img.resize((120, 90), Image.BICUBIC).save(root / 'JPEGImages' / (img_id + '.jpg'))
    cfg = Config(dict(train_dataloader=dict(dataset=dict(setup.cfg.train_dataloader.dataset))))
    cfg.train_dataloader.dataset.data_root = str(root)
    dataset = build_cam_dataset(cfg)
    kw = dict(dataset=dataset, scales=SCALES, num_vis=0, log_interval=0)
    generate_pseudo_labels(_model(setup.state), out_dir=str(root / 'one'), **kw)
    batches = []
    real = generate_mod.infer_cams_batch

    def recording(model, imgs, keys_list, **kwargs):
        batches.append(len(imgs))
        return real(model, imgs, keys_list, **kwargs)

    monkeypatch.setattr(generate_mod, 'infer_cams_batch', recording)
    out = str(root / 'three')
    res = generate_pseudo_labels(_model(setup.state), out_dir=out, images_per_batch=3, **kw)
    assert res['num_computed'] == len(setup.ids) == 4 and batches == [3, 1]
    _assert_same(_snapshot(out), _snapshot(str(root / 'one')))
    with pytest.raises(ValueError, match='images_per_batch'):
        generate_pseudo_labels(_model(setup.state), out_dir=out, images_per_batch=0, **kw)


def test_metric_scores_the_written_seeds(setup, reference):
    """The seed PNGs are the seed rule at the configured threshold, i.e. the sweep's row the
    metric reports: scoring the PNGs gives the same mIoU and per-class IoU; the class names
    are the dataset's (background first)."""
    from projects.amr.cam.generate import evaluate_folder
    from projects.amr.cam.seed import seed_label_sweep
    from projects.amr.evaluation import seg_class_names
    from projects.amr.utils.io import json_safe

    dataset = build_cam_dataset(setup.cfg)
    _, seg_dir = eval_sources(dataset, setup.eval_ann, 'SegmentationClass')
    bg = reference.hook.settings.bg_threshold
    for img_id in setup.train:
        cam = reference.files[f'cams/{img_id}.npy']
        sweep = seed_label_sweep(cam['high_res'], cam['keys'], [bg])[0]
        np.testing.assert_array_equal(reference.files[f'seeds/{img_id}.png'], sweep)
    scored = json.load(open(osp.join(reference.work, 'cam_metrics.json')))
    assert scored['details']['class_names'] == list(seg_class_names(dataset.metainfo))
    metrics, details = evaluate_folder(osp.join(reference.work, 'seeds'), setup.train, seg_dir)
    row = scored['details']['thresholds'].index(bg)
    assert metrics['mIoU'] == scored['metrics']['mIoU'] == scored['details']['miou'][row]
    assert json_safe(details)['iou'][0] == scored['details']['iou'][row]
