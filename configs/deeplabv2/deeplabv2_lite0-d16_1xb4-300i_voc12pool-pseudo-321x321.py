# The CPU segmenter (deeplabv2_lite0-d16_1xb4-300i_voc12mini-pseudo-321x321.py) trained on the
# pseudo masks of the voc-mini pool's 1,820 train_aug ids (irn_lite0_1xb8-3e_voc12pool-
# 320x320.py; configs/_base_/datasets/voc12pool_cls.py), evaluated on voc-mini's 180 val ids.
_base_ = './deeplabv2_lite0-d16_1xb4-300i_voc12mini-pseudo-321x321.py'

pseudo_mask_dir = '{{ fileDirname }}/../../work_dirs/irn_lite0_1xb8-3e_voc12pool-320x320/masks'
train_dataloader = dict(
    dataset=dict(
        ann_file='ImageSets/Segmentation/pool/train_aug.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_mask_dir),
    )
)
