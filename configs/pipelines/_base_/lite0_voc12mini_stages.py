# The stages the EfficientNet-Lite0 voc-mini pipelines share: IRN on the CAMs / IR labels of the
# stage that wrote them (AMR, or the plain CAM stage of a pipeline without AMR), and the
# segmenter on IRN's masks. A pipeline lists them as {{_base_.irn_on_amr}} etc.
irn_config = 'configs/irn/irn_lite0_1xb8-3e_voc12mini-320x320.py'
irn_on_amr = dict(
    name='irn',
    config=irn_config,
    cfg_options={
        'custom_hooks.0.cam_dir': '{amr}/cams',
        'train_dataloader.dataset.ir_label_dir': '{amr}/ir_labels',
    },
)
irn_on_cam = dict(
    name='irn',
    config=irn_config,
    cfg_options={
        'custom_hooks.0.cam_dir': '{cam}/cams',
        'train_dataloader.dataset.ir_label_dir': '{cam}/ir_labels',
    },
)
deeplabv2_on_irn = dict(
    name='deeplabv2',
    config='configs/deeplabv2/deeplabv2_lite0-d16_1xb4-300i_voc12mini-pseudo-321x321.py',
    cfg_options={'train_dataloader.dataset.data_prefix.seg_map_path': '{irn}/masks'},
)
segmentation_stage = 'deeplabv2'
