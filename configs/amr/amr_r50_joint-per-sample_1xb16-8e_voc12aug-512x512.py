# Stage 2, the paper's reading instead of the release's: both branches trained (the spotlight
# with its own L_cls, from the stage-1 checkpoint) and L_cps between each image's own two
# CAMs. Everything else as the faithful config.
_base_ = './amr_r50_1xb16-8e_voc12aug-512x512.py'

model = dict(mode='joint', cps_loss=dict(pairing='per_sample'))
