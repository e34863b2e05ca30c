# The 500-image real VOC subset shipped beside the repository (../shared/data/voc-mini):
# train_aug 320 ids, val 180 ids, IRN's cls_labels.npy in extras/. For CPU runs: crop 320
# (long side U[200, 400]), batch 8; no cutout (the stage-1 config adds it).
_base_ = './voc12aug_cls.py'

data_root = '../shared/data/voc-mini/VOCdevkit/VOC2012'
# IRN's labels in <voc-mini>/extras. Joined to data_root as written, `..` resolved lexically
# (VOCImageLabelDataset.label_path), so a VOCdevkit reached through a symbolic link works.
label_file = '../../extras/irn_cls_labels.npy'
crop_size = 320

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomLongSideResize', long_side_range=(crop_size * 5 // 8, crop_size * 5 // 4)),
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
    batch_size=8,
    num_workers=2,
    dataset=dict(data_root=data_root, label_file=label_file, pipeline=train_pipeline),
)
val_dataloader = dict(
    num_workers=1, dataset=dict(data_root=data_root, label_file=label_file, pipeline=test_pipeline)
)
test_dataloader = val_dataloader
