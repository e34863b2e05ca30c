# Stage 1 of the plain CAM -> IRN -> DeepLabV2 pipeline on voc-mini (no AMR stage,
# configs/pipelines/cam_lite0_trainall-noco-ls256-448-12e_voc12mini.py): the stronger spotlight
# recipe (cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320.py) trained 12 epochs
# (480 iterations: the compute of the CPU default's stage 1 + stage 2), then the pseudo labels
# of configs/_base_/pseudo_labels/plain_cam_7s.py (`pseudo`) for the train_aug ids.
_base_ = [
    './cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320.py',
    '../_base_/pseudo_labels/plain_cam_7s.py',
]

train_cfg = dict(max_epochs=12, val_interval=4)
