# The fully supervised reference of the same DeepLabV2: trained on the ground-truth masks of
# train_aug (SegmentationClassAug, see tools/dataset_converters/voc_aug.py) instead of the
# pseudo masks. Everything else as in the pseudo-mask config.
_base_ = './deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-321x321.py'

train_dataloader = dict(
    dataset=dict(data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'))
)
