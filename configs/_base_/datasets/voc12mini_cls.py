# The 500-image real VOC subset shipped beside the repository (../shared/data/voc-mini):
# train_aug 320 ids, val 180 ids, IRN's cls_labels.npy in extras/. For CPU runs.
_base_ = './voc12aug_cls.py'

data_root = '../shared/data/voc-mini/VOCdevkit/VOC2012'
label_file = '../../extras/irn_cls_labels.npy'

train_dataloader = dict(
    dataset=dict(data_root=data_root, label_file=label_file))
val_dataloader = dict(
    dataset=dict(data_root=data_root, label_file=label_file))
test_dataloader = val_dataloader
