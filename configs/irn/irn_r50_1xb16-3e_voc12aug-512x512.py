# Stage 3: IRN (Ahn et al., CVPR 2019) with AMR's values (reference §6): a frozen ImageNet
# ResNet-50 (output stride 16) whose five levels feed a boundary and a displacement branch,
# trained on the IR labels of stage 2 (radius-10 pairs on the stride-4 grid), crop 512, batch
# 16, 3 epochs, lr 0.1 (boundary) / 1.0 (displacement), weight decay 1e-4, poly. After
# training, RandomWalkHook writes <work_dir>/masks/<id>.png for train_aug and
# mask_metrics.json (mIoU on VOC train).
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['projects.amr'], allow_failed_imports=False)

# the stage-2 (AMR) run whose CAMs and IR labels this stage uses
amr_work_dir = 'work_dirs/amr_r50_1xb16-8e_voc12aug-512x512'
cam_dir = amr_work_dir + '/cams'
ir_label_dir = amr_work_dir + '/ir_labels'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = 512

data_preprocessor = dict(
    type='ClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)
model = dict(
    type='IRNet',
    backbone=dict(
        type='mmseg.ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(0, 1, 2, 3),
        style='pytorch',
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        contract_dilation=False,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'),
    ),
    # IRN's stage1 (conv1 + bn + relu + maxpool, 64 channels) is the first level
    stem_module='maxpool',
    in_channels=(64, 256, 512, 1024, 2048),
    strides=(4, 4, 8, 16, 16),
    edge_channels=32,
    dp_channels=(64, 128, 256, 256, 256),
    dp_mid_channels=256,
    radius=10,
    data_preprocessor=data_preprocessor,
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
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='IRLabelDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        ir_label_dir=ir_label_dir,
        data_prefix=dict(img_path='JPEGImages'),
        pipeline=train_pipeline,
    ),
)
val_dataloader = None
val_cfg = None
val_evaluator = None

# IRN's PolyOptimizer passes weight_decay where SGD expects momentum: momentum 1e-4 (§9.8)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=1e-4, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'dp_branch': dict(lr_mult=10.0)}),
)
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        by_epoch=True,
        begin=0,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)

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
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1),
)
randomness = dict(seed=0)
