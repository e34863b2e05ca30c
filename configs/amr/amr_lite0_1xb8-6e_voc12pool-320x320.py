# The released AMR recipe on Lite0 (amr_lite0_1xb8-6e_voc12mini-320x320.py: compensation branch
# from ImageNet) on the voc-mini pool (configs/_base_/datasets/voc12pool_cls.py), from the pool
# spotlight of cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12pool-320x320.py; pseudo labels
# for the 1,820 train_aug ids, scored on the pool's 237 train ids.
_base_ = './amr_lite0_spotinit_1xb8-6e_voc12pool-320x320.py'

model = dict(compensation_init='imagenet')
