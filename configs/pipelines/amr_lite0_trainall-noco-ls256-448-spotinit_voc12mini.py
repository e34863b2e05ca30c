# The CPU default on voc-mini: the released Lite0 pipeline (amr_lite0_voc12mini.py) with two
# named deviations, the stronger stage-1 spotlight recipe (`trainall-noco-ls256-448`: every
# layer trains, no cutout, long side U[256, 448]) and AMR with the compensation branch started
# from that spotlight (`spotinit`, compensation_init='spotlight'); IRN and the segmenter as
# released. Figures, and how it compares with plain CAM -> IRN at the same compute
# (cam_lite0_trainall-noco-ls256-448-12e_voc12mini.py): README / docs/results.md.
#   OMP_NUM_THREADS=1 python tools/run_pipeline.py \
#       configs/pipelines/amr_lite0_trainall-noco-ls256-448-spotinit_voc12mini.py
description = (
    'EfficientNet-Lite0, voc-mini, CPU: stronger spotlight recipe + AMR with the compensation '
    'branch initialised from the spotlight. A small-scale run, not a reproduction of the paper.'
)
segmentation_stage = 'deeplabv2'
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
    dict(
        name='irn',
        config='configs/irn/irn_lite0_1xb8-3e_voc12mini-320x320.py',
        cfg_options={
            'custom_hooks.0.cam_dir': '{amr}/cams',
            'train_dataloader.dataset.ir_label_dir': '{amr}/ir_labels',
        },
    ),
    dict(
        name='deeplabv2',
        config='configs/deeplabv2/deeplabv2_lite0-d16_1xb4-300i_voc12mini-pseudo-321x321.py',
        cfg_options={'train_dataloader.dataset.data_prefix.seg_map_path': '{irn}/masks'},
    ),
]
