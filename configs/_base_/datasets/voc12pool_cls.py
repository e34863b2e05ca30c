# The voc-mini pool: voc-mini (voc12mini_cls.py) plus 1,500 more real VOC images of the same
# sources in the same folders (see SOURCE.md of voc-mini, "The pool"). Training on the pool's
# train_aug list (1,820 ids, voc-mini's 320 included); val, labels and pipelines as voc-mini.
# Its train list with VOC ground truth, for scoring seeds and masks, is `pool_train_ann_file`
# (237 ids: voc-mini's 170 + 67). voc-mini's own lists are unchanged (the tests use them).
_base_ = './voc12mini_cls.py'

pool_train_ann_file = 'ImageSets/Segmentation/pool/train.txt'
train_dataloader = dict(dataset=dict(ann_file='ImageSets/Segmentation/pool/train_aug.txt'))
