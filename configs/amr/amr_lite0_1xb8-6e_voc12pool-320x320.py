# The released AMR recipe on Lite0 (amr_lite0_1xb8-6e_voc12mini-320x320.py: compensation branch
# from ImageNet) on the voc-mini pool (configs/_base_/datasets/voc12pool_cls.py): trained on the
# pool's 1,820 train_aug ids from the pool spotlight
# (cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12pool-320x320.py); its pseudo labels cover
# those ids and are scored on the pool's 237 train ids.
_base_ = './amr_lite0_1xb8-6e_voc12mini-320x320.py'

spotlight_checkpoint = (
    'work_dirs/cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12pool-320x320/epoch_6.pth'
)
model = dict(spotlight_checkpoint=spotlight_checkpoint)
train_dataloader = dict(dataset=dict(ann_file='ImageSets/Segmentation/pool/train_aug.txt'))
# the base config's PseudoLabelHook (mmengine replaces lists whole), scored on the pool's train ids
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        bg_threshold=0.20,
        scales=(1.0, 0.5, 0.75, 1.25, 1.5, 1.75, 2.0),
        climbing=None,
        branch_weights=(0.5, 0.5),
        ir_label=dict(fg_thr=0.60, bg_thr=0.33, crf=True),
        eval_ann_file='ImageSets/Segmentation/pool/train.txt',
        eval_seg_dir='SegmentationClass',
        num_vis=4,
    )
]
