# The CPU default's AMR stage (amr_lite0_spotinit_1xb8-6e_voc12mini-320x320.py) on the voc-mini
# pool: the pool's released recipe (amr_lite0_1xb8-6e_voc12pool-320x320.py) with the named
# deviation `compensation_init='spotlight'` (AMRClassifier docstring).
_base_ = './amr_lite0_1xb8-6e_voc12pool-320x320.py'

model = dict(compensation_init='spotlight')
