# `make demo`: the whole pipeline on the embedded demo set (tools/demo.py writes it to
# <root>/data/VOC2012 first), EfficientNet-Lite0 stages with the smallest budgets that still
# learn, on CPU in minutes. A smoke run of every stage, not a result.
description = (
    'EfficientNet-Lite0 on the synthetic demo set (96 train / 32 val images, 4 '
    'classes), CPU, smallest budgets: checks that every stage runs and learns.'
)
segmentation_stage = 'deeplabv2'
_data = '{root}/data/VOC2012'
_cls_data = {
    f'{loader}.dataset.{key}': value
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for key, value in (('data_root', _data), ('label_file', 'cls_labels.npy'))
}
stages = [
    dict(
        name='cam',
        config='configs/amr/cam_lite0_1xb8-4e_demo-256x256.py',
        cfg_options={
            f'{loader}.dataset.data_root': _data
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        },
    ),
    dict(
        name='amr',
        config='configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py',
        cfg_options={
            **_cls_data,
            'model.spotlight_checkpoint': '{cam_checkpoint}',
            'train_dataloader.dataset.pipeline.3.crop_size': 256,
            'train_cfg.max_epochs': 3,
            'train_cfg.val_interval': 3,
            'default_hooks.checkpoint.interval': 3,
            'custom_hooks.0.scales': (1.0, 0.5, 1.5),
        },
    ),
    dict(
        name='irn',
        config='configs/irn/irn_lite0_1xb8-3e_voc12mini-320x320.py',
        cfg_options={
            'train_dataloader.dataset.data_root': _data,
            'train_dataloader.dataset.ir_label_dir': '{amr}/ir_labels',
            'train_dataloader.dataset.pipeline.4.crop_size': 256,
            'custom_hooks.0.cam_dir': '{amr}/cams',
            'train_cfg.max_epochs': 2,
        },
    ),
    dict(
        name='deeplabv2',
        config='configs/deeplabv2/deeplabv2_lite0-d16_1xb4-300i_voc12mini-pseudo-321x321.py',
        cfg_options={
            **{
                f'{loader}.dataset.data_root': _data
                for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
            },
            'train_dataloader.dataset.data_prefix.seg_map_path': '{irn}/masks',
            'train_cfg.max_iters': 100,
            'train_cfg.val_interval': 100,
            'param_scheduler.0.end': 100,
            'default_hooks.checkpoint.interval': 100,
        },
    ),
]
