# Pseudo labels of a plain CAM classifier after training (PseudoLabelHook): CAMs, seeds, IR
# labels, cam_metrics.json and cam_vis/ under the work_dir for the train dataloader's ids,
# the seeds scored on the train ids against SegmentationClass. 7 scales x flip (AMR's), no
# anti-adversarial climbing (see projects/amr/cam/adversarial_climbing.py), background 0.20
# (AMR's cam_eval_thres; the metric also sweeps 0.05..0.95), IR labels from fg 0.60 / bg 0.33
# + CRF (IRN's cam_to_ir_label).
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        bg_threshold=0.20,
        scales=(1.0, 0.5, 0.75, 1.25, 1.5, 1.75, 2.0),
        climbing=None,
        ir_label=dict(fg_thr=0.60, bg_thr=0.33, crf=True),
        eval_ann_file='ImageSets/Segmentation/train.txt',
        eval_seg_dir='SegmentationClass',
        num_vis=4,
    ),
]
