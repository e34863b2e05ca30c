# Stage 1 on CPU plus pseudo labels: the plain CAM classifier of
# cam_lite0_1xb8-6e_voc12mini-320x320.py, and after training PseudoLabelHook writes
# cams/, seeds/, ir_labels/, cam_metrics.json and cam_vis/ under the work_dir for the
# train_aug ids (320 on voc-mini), scored on the train ids (170) against SegmentationClass.
# Fast variant: multi-scale + flip CAMs without anti-adversarial climbing (climbing costs
# ~100x more; see projects/amr/cam/adversarial_climbing.py).
_base_ = './cam_lite0_1xb8-6e_voc12mini-320x320.py'

custom_hooks = [
    dict(
        type='PseudoLabelHook',
        bg_threshold=0.20,  # AMR's cam_eval_thres; the metric also sweeps 0.05..0.95
        scales=(1.0, 0.5, 0.75, 1.25, 1.5, 1.75, 2.0),
        climbing=None,
        ir_label=dict(fg_thr=0.60, bg_thr=0.33, crf=True),
        eval_ann_file='ImageSets/Segmentation/train.txt',
        eval_seg_dir='SegmentationClass',
        num_vis=4,
    ),
]
