# The released AMR recipe on CPU: EfficientNet-Lite0 stages on the real 500-image voc-mini
# subset (../shared/data/voc-mini), the stage-1 CAM recipe, AMR as released (compensation
# branch from ImageNet), IRN and the segmenter; the CPU-budget deviations of every Lite0
# voc-mini config apply (momentum 0.9, 6 epochs). Figures: README / docs/results.md.
#   python tools/run_pipeline.py configs/pipelines/amr_lite0_voc12mini.py
_base_ = './_base_/lite0_voc12mini_stages.py'

description = (
    'EfficientNet-Lite0, voc-mini (320 train_aug / 170 train / 180 val real VOC '
    'images), CPU, released AMR recipe. A small-scale run, not a reproduction of the paper.'
)
stages = [
    dict(name='cam', config='configs/amr/cam_lite0_1xb8-6e_voc12mini-320x320.py'),
    dict(
        name='amr',
        config='configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py',
        cfg_options={'model.spotlight_checkpoint': '{cam_checkpoint}'},
    ),
    {{_base_.irn_on_amr}},
    {{_base_.deeplabv2_on_irn}},
]
