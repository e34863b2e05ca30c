"""RandomWalkHook: IRN training through the Runner, mask files, skip / resume, 2 ranks = 1,
the tool = the hook."""

import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from PIL import Image

IDS = ['2007_000001', '2007_000002', '2007_000003', '2007_000004']
H, W = 62, 78  # not multiples of 4: exercises the crops


def _make_data(root):
    rng = np.random.RandomState(0)
    voc = osp.join(root, 'VOC2012')
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(voc, sub), exist_ok=True)
    os.makedirs(osp.join(root, 'cams'))
    os.makedirs(osp.join(root, 'ir_labels'))
    h4, w4 = -(-H // 4), -(-W // 4)
    for k, img_id in enumerate(IDS):
        gt = np.zeros((H, W), np.uint8)
        gt[10:45, 15 + k : 60] = k % 3 + 1
        img = rng.randint(0, 60, (H, W, 3)).astype(np.uint8)
        img[gt > 0] += 150
        Image.fromarray(img).save(osp.join(voc, 'JPEGImages', img_id + '.jpg'))
        Image.fromarray(gt).save(osp.join(voc, 'SegmentationClass', img_id + '.png'))
        ir = gt.copy()
        ir[8:12] = 255
        Image.fromarray(ir).save(osp.join(root, 'ir_labels', img_id + '.png'))
        cam = np.zeros((1, h4, w4), np.float32)
        cam[0, 4:9, 6:12] = 1.0
        np.save(
            osp.join(root, 'cams', img_id + '.npy'),
            dict(keys=np.array([k % 3]), cam=cam, high_res=np.zeros((1, H, W))),
        )
    seg = osp.join(voc, 'ImageSets/Segmentation')
    with open(osp.join(seg, 'train_aug.txt'), 'w') as f:
        f.write('\n'.join(IDS) + '\n')
    with open(osp.join(seg, 'train.txt'), 'w') as f:
        f.write('\n'.join(IDS[:3]) + '\n')
    return voc


def _model_cfg():
    return dict(
        type='IRNet',
        backbone=dict(type='EfficientNetLite', out_indices=(0, 1, 2, 3), pretrained=False),
        in_channels=(24, 40, 112, 1280),
        strides=(4, 8, 16, 16),
        dp_channels=(16, 32, 32, 32),
        dp_mid_channels=32,
        radius=5,
        data_preprocessor=dict(
            type='ClsDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            to_rgb=True,
        ),
    )


def _dataset_cfg(voc, root):
    return dict(
        type='IRLabelDataset',
        data_root=voc,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        ir_label_dir=osp.join(root, 'ir_labels'),
    )


HOOK = dict(exp_times=3, log_interval=0)


def _runner(root, voc, work_dir):
    from mmengine.config import Config
    from mmengine.runner import Runner

    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadIRLabel'),
        dict(type='RandomRescale', ratio_range=(0.8, 1.2)),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='RandomCropPad', crop_size=64, seg_pad_val=255),
        dict(type='PackIRInputs', label_scale=0.25),
    ]
    cfg = Config(
        dict(
            default_scope='mmpretrain',
            work_dir=work_dir,
            model=_model_cfg(),
            train_dataloader=dict(
                batch_size=2,
                num_workers=0,
                drop_last=True,
                sampler=dict(type='DefaultSampler', shuffle=True),
                dataset=dict(**_dataset_cfg(voc, root), pipeline=pipeline),
            ),
            optim_wrapper=dict(
                optimizer=dict(type='SGD', lr=0.1, momentum=1e-4, weight_decay=1e-4),
                paramwise_cfg=dict(custom_keys={'dp_branch': dict(lr_mult=10.0)}),
            ),
            param_scheduler=[
                dict(
                    type='PolyLR',
                    power=0.9,
                    by_epoch=True,
                    begin=0,
                    end=1,
                    convert_to_iter_based=True,
                )
            ],
            train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=1),
            custom_hooks=[dict(type='RandomWalkHook', cam_dir=osp.join(root, 'cams'), **HOOK)],
            default_hooks=dict(
                checkpoint=dict(type='CheckpointHook', interval=1),
                logger=dict(type='LoggerHook', interval=1),
            ),
            randomness=dict(seed=0),
            log_level='WARNING',
        )
    )
    return Runner.from_cfg(cfg)


def _reject_nan(token: str):
    raise ValueError(f'non-standard JSON constant {token}')


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    import projects.amr  # noqa: F401

    root = str(tmp_path_factory.mktemp('irn'))
    voc = _make_data(root)
    work_dir = osp.join(root, 'work')
    runner = _runner(root, voc, work_dir)
    runner.train()
    return runner, root, voc, work_dir


def test_train_writes_masks_and_metrics(trained):
    runner, root, voc, work_dir = trained
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    for img_id in IDS:
        mask = np.asarray(Image.open(osp.join(work_dir, 'masks', img_id + '.png')))
        assert mask.shape == (H, W) and mask.dtype == np.uint8
        assert set(np.unique(mask)) <= {0, IDS.index(img_id) % 3 + 1}
    with open(osp.join(work_dir, 'mask_metrics.json')) as f:
        record = json.load(f, parse_constant=_reject_nan)
    # strict JSON: the classes absent from the toy set are null, not NaN
    assert None in record['per_class_iou'].values()
    assert record['num_images'] == 3 and 0 <= record['metrics']['mask/mIoU'] <= 100
    assert not [f for f in os.listdir(osp.join(work_dir, 'masks')) if f.startswith('.tmp')]


def test_hook_skips_existing_and_resumes(trained):
    runner, root, voc, work_dir = trained
    hook = [h for h in runner.hooks if type(h).__name__ == 'RandomWalkHook'][0]
    masks = osp.join(work_dir, 'masks')
    before = {i: open(osp.join(masks, i + '.png'), 'rb').read() for i in IDS}
    hook.after_train(runner)
    assert hook.last_result['written'] == 0 and hook.last_result['skipped'] == len(IDS)
    os.remove(osp.join(masks, IDS[1] + '.png'))  # a killed run
    hook.after_train(runner)
    assert hook.last_result['written'] == 1 and hook.last_result['skipped'] == len(IDS) - 1
    assert open(osp.join(masks, IDS[1] + '.png'), 'rb').read() == before[IDS[1]]


def _rank_worker(rank, world_size, store, state_path, root, voc, out_dir):
    import torch.distributed as dist
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS, MODELS

    import projects.amr  # noqa: F401
    from projects.amr.irn import RandomWalkSettings, make_sem_seg_masks

    dist.init_process_group('gloo', init_method='file://' + store, rank=rank, world_size=world_size)
    init_default_scope('mmpretrain')
    model = MODELS.build(_model_cfg())
    model.load_state_dict(torch.load(state_path, weights_only=True))
    ds = DATASETS.build(dict(**_dataset_cfg(voc, root), pipeline=[dict(type='LoadImageFromFile')]))
    make_sem_seg_masks(
        model,
        ds,
        osp.join(root, 'cams'),
        out_dir,
        RandomWalkSettings(exp_times=3),
        eval_ids=IDS[:3],
        eval_seg_dir=osp.join(voc, 'SegmentationClass'),
        metrics_file=out_dir + '.json',
        log_interval=0,
    )
    dist.destroy_process_group()


def test_two_ranks_equal_one_rank(trained):
    """The hook's single-rank masks / metrics == those of two gloo ranks on the same model."""
    runner, root, voc, work_dir = trained
    state = osp.join(root, 'state.pth')
    torch.save(runner.model.state_dict(), state)
    out_dir = osp.join(root, 'masks_w2')
    mp.spawn(
        _rank_worker,
        args=(2, osp.join(root, 'store'), state, root, voc, out_dir),
        nprocs=2,
        join=True,
    )
    for img_id in IDS:
        a, b = (
            np.asarray(Image.open(osp.join(d, img_id + '.png')))
            for d in (osp.join(work_dir, 'masks'), out_dir)
        )
        np.testing.assert_array_equal(a, b)
    m1 = json.load(open(osp.join(work_dir, 'mask_metrics.json')))['metrics']
    m2 = json.load(open(out_dir + '.json'))['metrics']
    assert m1 == m2


def test_tool_equals_hook(trained):
    """tools/make_sem_seg.py from the run's config and checkpoint writes the hook's files."""
    from tools.make_sem_seg import main

    runner, root, voc, work_dir = trained
    config = osp.join(root, 'irn_config.py')
    runner.cfg.dump(config)
    tool_dir = osp.join(root, 'work_tool')
    result = main([config, osp.join(work_dir, 'epoch_1.pth'), '--work-dir', tool_dir])
    assert result['written'] == len(IDS) and result['skipped'] == 0
    for img_id in IDS:
        a, b = (
            open(osp.join(d, 'masks', img_id + '.png'), 'rb').read() for d in (work_dir, tool_dir)
        )
        assert a == b, img_id
    m1, m2 = (json.load(open(osp.join(d, 'mask_metrics.json'))) for d in (work_dir, tool_dir))
    assert m1['metrics'] == m2['metrics'] and m1['per_class_iou'] == m2['per_class_iou']
    assert m2['exp_times'] == HOOK['exp_times']


def test_tool_rejects_a_bad_hook_entry(trained, tmp_path):
    from mmengine.config import Config

    from tools.make_sem_seg import hook_arguments

    runner, root, voc, work_dir = trained
    cfg = Config(dict(custom_hooks=[dict(type='RandomWalkHook', cam_dir='c', exp_time=3)]))
    with pytest.raises(ValueError, match='exp_time'):
        hook_arguments(cfg, 'x.py')
    cfg = Config(dict(custom_hooks=[dict(type='RandomWalkHook', cam_dir='c', method='fast')]))
    with pytest.raises(ValueError, match='x.py.*method'):
        hook_arguments(cfg, 'x.py')
    with pytest.raises(ValueError, match='no RandomWalkHook'):
        hook_arguments(Config(dict(custom_hooks=[])), 'x.py')
    args = hook_arguments(
        Config(dict(custom_hooks=[dict(type='RandomWalkHook', cam_dir='c')])), 'x.py'
    )
    assert args['out_dir'] == 'masks' and args['settings'].exp_times == 8
