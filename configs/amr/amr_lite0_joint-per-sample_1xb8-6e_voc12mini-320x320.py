# The CPU AMR config with both branches trained (the spotlight with its own L_cls, starting
# from the stage-1 checkpoint) and the per-image L_cps pairing.
_base_ = './amr_lite0_1xb8-6e_voc12mini-320x320.py'

model = dict(mode='joint', cps_loss=dict(pairing='per_sample'))
