# IRN/AMR's CAM classifier: torchvision ResNet-50 at output stride 16 (layer4 stride 1, no
# dilation), FixedBatchNorm (norm_eval with trainable affine), frozen stem, GAP and a
# bias-free 1x1 classifier over the 20 VOC foreground classes.
model = dict(
    type='CAMClassifier',
    backbone=dict(
        type='mmseg.ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(3,),
        style='pytorch',
        frozen_stages=0,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        contract_dilation=False,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'),
    ),
    head=dict(
        type='CAMHead', in_channels=2048, num_classes=20, loss=dict(type='MultiLabelSoftMarginLoss')
    ),
)
