# The fully supervised reference of the Lite0 segmenter on voc-mini: ground-truth masks of the
# 320 train_aug ids (SegmentationClassAug) instead of pseudo masks.
_base_ = './deeplabv2_lite0-d16_1xb4-300i_voc12mini-pseudo-321x321.py'

train_dataloader = dict(
    dataset=dict(data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'))
)
