# IRN on CPU (irn_lite0_1xb8-3e_voc12mini-320x320.py) on the voc-mini pool: the CAMs / IR labels
# of amr_lite0_spotinit_1xb8-6e_voc12pool-320x320.py for the pool's 1,820 train_aug ids
# (configs/_base_/datasets/voc12pool_cls.py), masks scored on the pool's 237 train ids.
_base_ = ['./irn_lite0_1xb8-3e_voc12mini-320x320.py']

amr_work_dir = 'work_dirs/amr_lite0_spotinit_1xb8-6e_voc12pool-320x320'
train_dataloader = dict(
    dataset=dict(
        ann_file='ImageSets/Segmentation/pool/train_aug.txt',
        ir_label_dir=amr_work_dir + '/ir_labels',
    )
)
custom_hooks = [
    dict(
        type='RandomWalkHook',
        cam_dir=amr_work_dir + '/cams',
        beta=10,
        exp_times=8,
        radius=5,
        cam_power=1.5,
        bg_threshold=0.25,
        eval_ann_file='ImageSets/Segmentation/pool/train.txt',
        eval_seg_dir='SegmentationClass',
    ),
]
