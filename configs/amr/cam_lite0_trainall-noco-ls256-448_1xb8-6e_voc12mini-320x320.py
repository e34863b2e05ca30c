# Stage 1 of the CPU default pipeline: the stronger spotlight recipe on voc-mini. The stage-1
# Lite0 recipe (cam_lite0_1xb8-6e_voc12mini-320x320.py) with three changes at once, named by
# the tokens of this file name: every backbone layer trains (`trainall`: stem included; BN
# stays in eval mode with learning affine parameters), no cutout (`noco`), long side
# U[256, 448] (`ls256-448`, 0.8-1.4 x crop) instead of U[200, 400]. The one-change configs in
# spotlight_ablations/ put back one change each. Figures: docs/results.md.
_base_ = './cam_lite0_1xb8-6e_voc12mini-320x320.py'

crop_size = 320
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomLongSideResize', long_side_range=(256, 448)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCropPad', crop_size=crop_size),
    dict(type='PackInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'flip')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(backbone=dict(frozen_stages=-1))
