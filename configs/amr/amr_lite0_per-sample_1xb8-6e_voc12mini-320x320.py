# The CPU AMR config with L_cps between each image's own two CAMs instead of the released
# sample0 + flip(sample1) pairing (faithful mode otherwise).
_base_ = './amr_lite0_1xb8-6e_voc12mini-320x320.py'

model = dict(cps_loss=dict(pairing='per_sample'))
