# Stage 1 on CPU: the CAM classifier on EfficientNet-Lite0 (offline ImageNet weights), trained
# on the real 320-image voc-mini train_aug split, crop 320, batch 8, 6 epochs.
_base_ = [
    'mmpretrain::_base_/default_runtime.py',
    '../_base_/models/cam_lite0.py',
    '../_base_/datasets/voc12mini_cls.py',
    '../_base_/schedules/wsss_cls_8e.py',
]
custom_imports = dict(imports=['projects.amr'], allow_failed_imports=False)

# The data base config's crop-320 pipeline plus AMR's spotlight cutout (3 holes, crop / 4).
crop_size = 320
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomLongSideResize', long_side_range=(crop_size * 5 // 8, crop_size * 5 // 4)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCropPad', crop_size=crop_size),
    dict(type='MultiHoleCutout', num_holes=3, hole_size=crop_size // 4),
    dict(type='PackInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'flip')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(data_preprocessor={{_base_.data_preprocessor}})
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        by_epoch=True,
        begin=0,
        end=6,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(max_epochs=6, val_interval=2)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=2, max_keep_ckpts=1),
)
randomness = dict(seed=0)

# CPU-budget deviation, named: `cpu_budget_momentum`. The voc-mini runs have 240 iterations
# where the released recipe has 5,288; with the released effective momentum (1e-4, see
# `released_sgd_momentum`) the classifier barely leaves the class priors in that budget
# (val mAP 31.8, seed mIoU 11.41). With momentum 0.9: val mAP 45.8, seed mIoU 21.58
# (docs/results.md). The ResNet-50 configs keep the released optimiser; set
# optim_wrapper.optimizer.momentum=0.0001 here to run the released one on voc-mini.
cpu_budget_momentum = 0.9
optim_wrapper = dict(optimizer=dict(momentum=cpu_budget_momentum))
