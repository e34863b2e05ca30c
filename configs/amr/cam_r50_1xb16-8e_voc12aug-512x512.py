# Stage 1: the spotlight network = a plain CAM classifier (AMR's step/train_cam.py recipe,
# reference/amr-method.md §4.1): train_aug, long side U[320, 640], flip, crop 512, cutout
# 3 x 128 px, batch 16, 8 epochs, lr 0.01 (classifier x10), wd 1e-4, poly 0.9.
_base_ = [
    'mmpretrain::_base_/default_runtime.py',
    '../_base_/models/cam_r50.py',
    '../_base_/datasets/voc12aug_cls.py',
    '../_base_/schedules/wsss_cls_8e.py',
]
custom_imports = dict(imports=['projects.amr', 'mmseg.models'], allow_failed_imports=False)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomLongSideResize', long_side_range=(320, 640)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCropPad', crop_size=512),
    dict(type='MultiHoleCutout', num_holes=3, hole_size=128),
    dict(type='PackInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'flip')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(data_preprocessor={{_base_.data_preprocessor}})
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
randomness = dict(seed=0)
