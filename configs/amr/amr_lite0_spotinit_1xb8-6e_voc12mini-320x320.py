# Stage 2 of the CPU default pipeline (configs/pipelines/amr_lite0_trainall-noco-ls256-448-
# spotinit_voc12mini.py): AMR on voc-mini with the compensation branch started from the
# trained spotlight (`spotinit`: the named deviation compensation_init='spotlight', see the
# AMRClassifier docstring; the AMMs keep their initialisation), everything else the released
# Lite0 recipe of amr_lite0_1xb8-6e_voc12mini-320x320.py (compensation backbone at lr x10).
# Why this start, and how it compares with the plain CAM trained for the same iterations:
# docs/results.md. The spotlight is the stronger stage-1 recipe,
# cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320.py.
_base_ = './amr_lite0_1xb8-6e_voc12mini-320x320.py'

spotlight_checkpoint = (
    'work_dirs/cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320/epoch_6.pth'
)
model = dict(spotlight_checkpoint=spotlight_checkpoint, compensation_init='spotlight')
