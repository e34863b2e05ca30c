# The CPU default on voc-mini: the released Lite0 pipeline (amr_lite0_voc12mini.py) with two
# named deviations, the stronger stage-1 spotlight recipe (`trainall-noco-ls256-448`: every
# layer trains, no cutout, long side U[256, 448]) and AMR with the compensation branch started
# from that spotlight (`spotinit`, compensation_init='spotlight'); IRN and the segmenter as
# released. Figures, and how it compares with plain CAM -> IRN at the same compute
# (cam_lite0_trainall-noco-ls256-448-12e_voc12mini.py): README / docs/results.md.
#   OMP_NUM_THREADS=1 python tools/run_pipeline.py \
#       configs/pipelines/amr_lite0_trainall-noco-ls256-448-spotinit_voc12mini.py
_base_ = './_base_/lite0_voc12mini_stages.py'

description = (
    'EfficientNet-Lite0, voc-mini, CPU: stronger spotlight recipe + AMR with the compensation '
    'branch initialised from the spotlight. A small-scale run, not a reproduction of the paper.'
)
stages = [
    dict(
        name='cam',
        config='configs/amr/cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320.py',
    ),
    dict(
        name='amr',
        config='configs/amr/amr_lite0_spotinit_1xb8-6e_voc12mini-320x320.py',
        cfg_options={'model.spotlight_checkpoint': '{cam_checkpoint}'},
    ),
    {{_base_.irn_on_amr}},
    {{_base_.deeplabv2_on_irn}},
]
