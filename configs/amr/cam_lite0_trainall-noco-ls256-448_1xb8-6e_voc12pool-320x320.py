# The CPU default's stage 1 (cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320.py)
# trained on the voc-mini pool: the train_aug list of configs/_base_/datasets/voc12pool_cls.py
# (1,820 ids; 6 epochs = 1,362 iterations at batch 8, the last partial batch dropped), val as
# voc-mini.
_base_ = './cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320.py'

train_dataloader = dict(dataset=dict(ann_file='ImageSets/Segmentation/pool/train_aug.txt'))
