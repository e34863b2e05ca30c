# Stage 2, faithful to the release (step/train_amr.py, reference/amr-method.md §2-§4.2, §9):
# frozen spotlight branch loaded from the stage-1 checkpoint, compensation ResNet-50 with AMMs,
# L_cps with the released sample0 + flip(sample1) pairing, train_aug, long side U[320, 640],
# flip, crop 512, no cutout, batch 16, 8 epochs, lr 0.01 (compensation backbone x10),
# SGD momentum 1e-4 (as released), wd 1e-4, poly 0.9.
_base_ = [
    'mmpretrain::_base_/default_runtime.py',
    '../_base_/models/amr_r50.py',
    '../_base_/datasets/voc12aug_cls.py',
    '../_base_/schedules/amr_8e.py',
]
custom_imports = dict(imports=['projects.amr', 'mmseg.models'], allow_failed_imports=False)

# The stage-1 spotlight checkpoint (configs/amr/cam_r50_1xb16-8e_voc12aug-512x512.py); override
# with --cfg-options model.spotlight_checkpoint=PATH.
spotlight_checkpoint = 'work_dirs/cam_r50_1xb16-8e_voc12aug-512x512/epoch_8.pth'
model = dict(
    data_preprocessor={{_base_.data_preprocessor}}, spotlight_checkpoint=spotlight_checkpoint
)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
randomness = dict(seed=0)

# After training: CAMs for train_aug, seeds, IR labels and the seed mIoU on VOC train, as the
# released make_cam / eval_cam / cam_to_ir_label do it: 7 scales x flip with PIL bicubic uint8
# rescaling (resize='pil'), Grad-CAM maps (map_extractor='gradcam'), anti-adversarial
# climbing on both branches (27 iterations, 13 at scale 0.5, step 0.08, lambda 7, mask 0.5
# rebuilt every iteration; its cost: docs/benchmarks.md; all present classes of an
# image climb in one batch, batched=False for the released one-by-one loop, same maps; and
# 4 same-size images go together, images_per_batch=1 for one at a time, same maps again;
# chunk_size=4 (image, class) items, i.e. 8 images of a pyramid level per pass, bounds the
# memory -- not yet measured on a GPU: lower it on an out-of-memory error),
# per-class max-normalisation, 0.5/0.5 fusion, background 0.20, IR labels from fg 0.60 /
# bg 0.33 + CRF. Set custom_hooks.0.climbing=None for no climbing, and map_extractor='cam',
# resize='torch', climbing.restriction_mask='cumulative' for the project's earlier CAMs.
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        bg_threshold=0.20,
        scales=(1.0, 0.5, 0.75, 1.25, 1.5, 1.75, 2.0),
        climbing=dict(
            iters=27,
            step=0.08,
            lam=7.0,
            mask_thr=0.5,
            restriction_mask='per_iteration',
            batched=True,
            chunk_size=4,
        ),
        images_per_batch=4,
        map_extractor='gradcam',
        resize='pil',
        branch_weights=(0.5, 0.5),
        ir_label=dict(fg_thr=0.60, bg_thr=0.33, crf=True),
        eval_ann_file='ImageSets/Segmentation/train.txt',
        eval_seg_dir='SegmentationClass',
        num_vis=4,
    )
]
