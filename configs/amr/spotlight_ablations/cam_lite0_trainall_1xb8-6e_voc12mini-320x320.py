# Spotlight-recipe screening: the stage-1 Lite0 recipe with the stem trained too (frozen_stages
# -1; BN in eval mode, affine parameters learning); cutout and long side U[200, 400] kept.
_base_ = '../cam_lite0_1xb8-6e_voc12mini-320x320.py'

model = dict(backbone=dict(frozen_stages=-1))
