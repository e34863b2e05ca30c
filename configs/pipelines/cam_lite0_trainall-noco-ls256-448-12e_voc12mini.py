# Plain CAM -> IRN -> DeepLabV2 on voc-mini, no AMR stage (IRN's own pipeline, the baseline of
# every WSSS comparison): the stronger spotlight recipe trained 12 epochs (the compute of the
# CPU default's stage 1 + stage 2), whose PseudoLabelHook writes the CAMs, seeds and IR labels
# itself; IRN and the segmenter as in the other voc-mini pipelines. Figures: README /
# docs/results.md.
#   OMP_NUM_THREADS=1 python tools/run_pipeline.py \
#       configs/pipelines/cam_lite0_trainall-noco-ls256-448-12e_voc12mini.py
_base_ = './_base_/lite0_voc12mini_stages.py'

description = (
    'EfficientNet-Lite0, voc-mini, CPU: plain CAM (stronger spotlight recipe, 12 epochs) -> IRN '
    '-> DeepLabV2 head, no AMR. A small-scale run, not a reproduction of the paper.'
)
stages = [
    dict(
        name='cam',
        config='configs/amr/cam_lite0_trainall-noco-ls256-448-pseudo_1xb8-12e_voc12mini-320x320.py',
    ),
    {{_base_.irn_on_cam}},
    {{_base_.deeplabv2_on_irn}},
]
