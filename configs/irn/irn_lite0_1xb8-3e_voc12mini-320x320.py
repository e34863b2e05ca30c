# Stage 3 on CPU: IRN on a frozen EfficientNet-Lite0 (offline ImageNet weights, output stride
# 16, four levels 24/40/112/1280 at stride 4/8/16/16), voc-mini train_aug (320 images), crop
# 320, batch 8, 3 epochs; the CAMs / IR labels of amr_lite0_1xb8-6e_voc12mini-320x320.py.
_base_ = ['./irn_r50_1xb16-3e_voc12aug-512x512.py']

amr_work_dir = 'work_dirs/amr_lite0_1xb8-6e_voc12mini-320x320'
cam_dir = amr_work_dir + '/cams'
ir_label_dir = amr_work_dir + '/ir_labels'
data_root = '../shared/data/voc-mini/VOCdevkit/VOC2012'
crop_size = 320

model = dict(
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        out_stride=16,
        out_indices=(0, 1, 2, 3),
        frozen_stages=3,
        norm_eval=True,
        pretrained=True,
    ),
    stem_module=None,
    in_channels=(24, 40, 112, 1280),
    strides=(4, 8, 16, 16),
    dp_channels=(128, 256, 256, 256),
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadIRLabel'),
    dict(type='RandomRescale', ratio_range=(0.5, 1.5)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCropPad', crop_size=crop_size, seg_pad_val=255),
    dict(type='PackIRInputs', label_scale=0.25),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(data_root=data_root, ir_label_dir=ir_label_dir, pipeline=train_pipeline),
)

custom_hooks = [
    dict(
        type='RandomWalkHook',
        cam_dir=cam_dir,
        beta=10,
        exp_times=8,
        radius=5,
        cam_power=1.5,
        bg_threshold=0.25,
        eval_ann_file='ImageSets/Segmentation/train.txt',
        eval_seg_dir='SegmentationClass',
    ),
]
default_hooks = dict(logger=dict(type='LoggerHook', interval=10))
