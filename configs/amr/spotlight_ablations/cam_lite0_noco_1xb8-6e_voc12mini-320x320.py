# Spotlight-recipe screening: the stage-1 Lite0 recipe without cutout only (stem frozen, long
# side U[200, 400] as in the stage-1 config).
_base_ = '../cam_lite0_1xb8-6e_voc12mini-320x320.py'

crop_size = 320
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomLongSideResize', long_side_range=(crop_size * 5 // 8, crop_size * 5 // 4)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCropPad', crop_size=crop_size),
    dict(type='PackInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'flip')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
