# PASCAL VOC 2012 + SBD (train_aug, 10,582 ids) with IRN's image-level labels, for the
# classification stages (spotlight / AMR). Prepare it with tools/dataset_converters/voc_aug.py.
dataset_type = 'VOCImageLabelDataset'
data_root = 'data/VOCdevkit/VOC2012'
label_file = 'cls_labels.npy'  # relative to data_root (or absolute); written by voc_aug.py
crop_size = 512

data_preprocessor = dict(
    type='ClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
    to_onehot=True,
    num_classes=20,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomLongSideResize', long_side_range=(320, 640)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCropPad', crop_size=crop_size),
    dict(type='PackInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'flip')),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomLongSideResize', long_side_range=(crop_size, crop_size)),
    dict(type='PackInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape')),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        label_source='npy',
        label_file=label_file,
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        label_source='npy',
        label_file=label_file,
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
        pipeline=test_pipeline,
    ),
)
val_evaluator = dict(type='PresentClassAveragePrecision')
test_dataloader = val_dataloader
test_evaluator = val_evaluator
