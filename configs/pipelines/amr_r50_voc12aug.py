# The paper's pipeline: ResNet-50 spotlight (train_cam recipe) -> AMR (faithful) -> IRN (AMR's
# values) -> DeepLabV2 ResNet-101 on the pseudo masks. Needs data/VOCdevkit/VOC2012 prepared by
# tools/dataset_converters/voc_aug.py and ImageNet weights (torchvision://resnet50/101).
# Run: python tools/run_pipeline.py configs/pipelines/amr_r50_voc12aug.py
#      [--launcher pytorch --gpus 8]
# With --gpus N each stage gets train_dataloader.batch_size = round(B / N), which keeps the
# single-process recipe's total batch B (16 / 16 / 10; DeepLabV2 on 8 GPUs: 8 x 1).
description = 'AMR (faithful) on VOC 2012 + SBD, ResNet-50 CAM stages, DeepLabV2 ResNet-101.'
segmentation_stage = 'deeplabv2'
stages = [
    dict(name='cam', config='configs/amr/cam_r50_1xb16-8e_voc12aug-512x512.py'),
    dict(
        name='amr',
        config='configs/amr/amr_r50_1xb16-8e_voc12aug-512x512.py',
        cfg_options={'model.spotlight_checkpoint': '{cam_checkpoint}'},
    ),
    dict(
        name='irn',
        config='configs/irn/irn_r50_1xb16-3e_voc12aug-512x512.py',
        cfg_options={
            'custom_hooks.0.cam_dir': '{amr}/cams',
            'train_dataloader.dataset.ir_label_dir': '{amr}/ir_labels',
        },
    ),
    dict(
        name='deeplabv2',
        config='configs/deeplabv2/deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-321x321.py',
        cfg_options={'train_dataloader.dataset.data_prefix.seg_map_path': '{irn}/masks'},
    ),
]
