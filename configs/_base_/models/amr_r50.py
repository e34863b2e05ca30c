# AMR (reference/amr-method.md §2-§3): the stage-1 CAM classifier (cam_r50.py: torchvision
# ResNet-50, output stride 16, FixedBatchNorm, frozen stem) as the spotlight branch, and a
# second ResNet-50 with an AMM after bn3 of every bottleneck (before the residual addition) as
# the compensation branch. Loss 0.5 L_cls^s + 0.5 L_cls^c + 0.05 L_cps; the faithful mode
# (frozen spotlight, released sample0 + flip(sample1) L_cps pairing) is the default.
_base_ = './cam_r50.py'

model = dict(
    type='AMRClassifier',
    head=dict(loss=dict(type='MultiLabelSoftMarginLoss', loss_weight=0.5)),
    compensation_backbone=dict(
        plugins=[dict(cfg=dict(type='AMM', ratio=16), position='after_conv3', stages=(True,) * 4)]
    ),
    cps_loss=dict(type='CrossPseudoSupervisionLoss', loss_weight=0.05, pairing='official'),
    mode='faithful',
    spotlight_checkpoint=None,
    compensation_frozen_stages=1,
    predict_branch='fused',
)
