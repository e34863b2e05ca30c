# Stage 2 on CPU, the released AMR recipe (faithful mode, compensation branch from ImageNet) on
# EfficientNet-Lite0: the voc-mini train_aug split (320 images), crop 320, batch 8, 6 epochs
# (configs/_base_/schedules/amr_cpu6e.py, momentum 0.9 = `cpu_budget_momentum`), no cutout.
# The spotlight branch comes from cam_lite0_1xb8-6e_voc12mini-320x320.py (override with
# model.spotlight_checkpoint=PATH).
_base_ = [
    'mmpretrain::_base_/default_runtime.py',
    '../_base_/models/amr_lite0.py',
    '../_base_/datasets/voc12mini_cls.py',
    '../_base_/schedules/amr_cpu6e.py',
]
custom_imports = dict(imports=['projects.amr'], allow_failed_imports=False)

# crop 320, batch 8, no cutout: the data base config's pipelines.

spotlight_checkpoint = 'work_dirs/cam_lite0_1xb8-6e_voc12mini-320x320/epoch_6.pth'
model = dict(
    data_preprocessor={{_base_.data_preprocessor}}, spotlight_checkpoint=spotlight_checkpoint
)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=2, max_keep_ckpts=1),
)
randomness = dict(seed=0)

# After training: CAMs, seeds, IR labels and the seed mIoU on the voc-mini train ids. Plain
# multi-scale CAMs (no anti-adversarial climbing, too slow on a CPU: docs/benchmarks.md).
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        bg_threshold=0.20,
        scales=(1.0, 0.5, 0.75, 1.25, 1.5, 1.75, 2.0),
        climbing=None,
        branch_weights=(0.5, 0.5),
        ir_label=dict(fg_thr=0.60, bg_thr=0.33, crf=True),
        eval_ann_file='ImageSets/Segmentation/train.txt',
        eval_seg_dir='SegmentationClass',
        num_vis=4,
    )
]
