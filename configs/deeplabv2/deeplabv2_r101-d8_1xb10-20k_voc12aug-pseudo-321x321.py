# Stage 4: DeepLabV2 (ResNet-101, output stride 8, ASPP 6/12/18/24) trained on the pseudo masks
# of stage 3 for the 10,582 train_aug ids, evaluated on VOC12 val against SegmentationClass.
# The recipe of kazuto1011/deeplab-pytorch (the code AMR's authors used): crop 321, effective
# batch 10, 20k iterations, SGD lr 2.5e-4 (head weights x10, head biases x20 without decay),
# momentum 0.9, weight decay 5e-4, poly 0.9, cross entropy averaged over non-ignored pixels.
# Init: ImageNet torchvision ResNet-101 (not the COCO-pretrained caffemodel of some papers).
_base_ = [
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/datasets/pascal_voc12.py',
    'mmseg::_base_/schedules/schedule_20k.py',
]
custom_imports = dict(imports=['projects.amr'], allow_failed_imports=False)
default_scope = 'mmseg'

# Folder of stage-3 masks (<id>.png, uint8 class ids, 255 = ignore). It must be absolute:
# PascalVOCDataset joins a relative seg_map_path to data_root. tools/run_pipeline.py overrides
# it with --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=<work_dir>/masks.
pseudo_mask_dir = '{{ fileDirname }}/../../work_dirs/irn_r50/masks'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (321, 321)
num_classes = 21

# Frozen BN (statistics and affine parameters), as in DeepLabV2. Plain BN, not SyncBN, so the
# config also runs on CPU and without a process group; with frozen BN SyncBN would change
# nothing. To unfreeze on several GPUs use norm_cfg=dict(type='SyncBN', requires_grad=True)
# and norm_eval=False.
norm_cfg = dict(type='BN', requires_grad=False)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size,
)
model = dict(
    # EncoderDecoder + optional dense-CRF post-processing at test time (DeepLabV2's values),
    # off by default; tools/test.py CFG CKPT --cfg-options model.test_cfg.crf.enabled=True
    type='CRFEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(3,),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=False,
        style='pytorch',
        norm_cfg=norm_cfg,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101'),
    ),
    decode_head=dict(
        type='DeepLabV2Head',
        in_channels=2048,
        in_index=0,
        num_classes=num_classes,
        dilations=(6, 12, 18, 24),
        align_corners=False,
        # avg_non_ignore=True: mean over the pixels that are not 255 (PyTorch's ignore_index
        # semantics). mmseg's default averages over all pixels, which shrinks the loss of
        # pseudo masks with many ignored pixels.
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True
        ),
    ),
    train_cfg=dict(),
    test_cfg=dict(
        mode='whole',
        crf=dict(
            enabled=False, iters=10, pos_w=3, pos_xy_std=1, bi_w=4, bi_xy_std=67, bi_rgb_std=3
        ),
    ),
)

# DeepLabV2 scales the original image by one of 0.5/0.75/1/1.25/1.5, then crops 321 (padding
# with 255 in the label), and flips; no photometric distortion.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomChoice',
        transforms=[
            [dict(type='Resize', scale_factor=s, keep_ratio=True)]
            for s in (0.5, 0.75, 1.0, 1.25, 1.5)
        ],
    ),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
# Test at the original size (VOC images are at most 500x500), labels loaded after any resize.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
# tools/test.py --tta: scales 0.5/0.75/1/1.25/1.5 x flip, softmax averaged (SegTTAModel).
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale_factor=r, keep_ratio=True) for r in img_ratios],
            [
                dict(type='RandomFlip', prob=0.0, direction='horizontal'),
                dict(type='RandomFlip', prob=1.0, direction='horizontal'),
            ],
            [dict(type='LoadAnnotations')],
            [dict(type='PackSegInputs')],
        ],
    ),
]
tta_model = dict(type='SegTTAModel')

# Effective batch 10 on one GPU. With less memory use batch_size=5 and
# optim_wrapper.accumulative_counts=2 (then max_iters=40000, val_interval=4000 and the
# scheduler end=40000 so that 20k updates are made); on N GPUs use batch_size=10 // N.
train_dataloader = dict(
    batch_size=10,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='PascalVOCDataset',
        data_root=data_root,
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_mask_dir),
        ann_file='ImageSets/Segmentation/train_aug.txt',
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PascalVOCDataset',
        data_root=data_root,
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

# Caffe-style multipliers: backbone x1; head weights x10; head biases x20 without decay. A
# custom key disables bias_lr_mult/bias_decay_mult for the parameters it matches and the
# longest matching key wins, so each head bias gets its own (longer) key.
head_bias_keys = {
    f'decode_head.aspp.{i}.bias': dict(lr_mult=20.0, decay_mult=0.0) for i in range(4)
}
optimizer = dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=optimizer,
    clip_grad=None,
    paramwise_cfg=dict(custom_keys=dict(decode_head=dict(lr_mult=10.0), **head_bias_keys)),
)
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=20000, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=2000)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2000, max_keep_ckpts=2),
)
randomness = dict(seed=0)
