# Stage 1 on the embedded demo set (make demo): EfficientNet-Lite0 CAM classifier, crop 256,
# 4 epochs; about a minute on a 2-core CPU.
# The data: 96 train(_aug) and 32 val images of 4 classes, written deterministically by
# tools/dataset_converters/make_demo_voc.py (make demo puts them in work_dirs/demo/data).
_base_ = './cam_lite0_1xb8-6e_voc12mini-320x320.py'

data_root = 'work_dirs/demo/data/VOC2012'
label_file = 'cls_labels.npy'

crop_size = 256
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomLongSideResize', long_side_range=(crop_size * 3 // 4, crop_size * 5 // 4)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCropPad', crop_size=crop_size),
    dict(type='MultiHoleCutout', num_holes=3, hole_size=crop_size // 4),
    dict(type='PackInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'flip')),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomLongSideResize', long_side_range=(crop_size, crop_size)),
    dict(type='PackInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape')),
]
train_dataloader = dict(
    dataset=dict(data_root=data_root, label_file=label_file, pipeline=train_pipeline)
)
val_dataloader = dict(
    dataset=dict(data_root=data_root, label_file=label_file, pipeline=test_pipeline)
)
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=4, val_interval=4)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=4),
    checkpoint=dict(type='CheckpointHook', interval=4, max_keep_ckpts=1),
)
