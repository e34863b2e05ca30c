# Stage 1 on CPU: the CAM classifier on EfficientNet-Lite0 (offline ImageNet weights), trained
# on the real 320-image voc-mini train_aug split, crop 320, batch 8, 6 epochs (the CPU schedule
# with `cpu_budget_momentum`, configs/_base_/schedules/wsss_cls_cpu6e.py).
_base_ = [
    'mmpretrain::_base_/default_runtime.py',
    '../_base_/models/cam_lite0.py',
    '../_base_/datasets/voc12mini_cls.py',
    '../_base_/schedules/wsss_cls_cpu6e.py',
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
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=2, max_keep_ckpts=1),
)
randomness = dict(seed=0)
