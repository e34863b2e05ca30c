# AMR on EfficientNet-Lite0 (offline ImageNet weights): the stage-1 CAM classifier
# (cam_lite0.py) as the spotlight branch, and a second Lite0 with an AMM after the projection
# conv + BN of every inverted-residual block with a residual addition (before it) as the
# compensation branch. Same losses and modes as amr_r50.py.
_base_ = './cam_lite0.py'

model = dict(
    type='AMRClassifier',
    head=dict(loss=dict(type='MultiLabelSoftMarginLoss', loss_weight=0.5)),
    compensation_backbone=dict(plugins=[dict(cfg=dict(type='AMM', ratio=16), stages=(True,) * 4)]),
    cps_loss=dict(type='CrossPseudoSupervisionLoss', loss_weight=0.05, pairing='official'),
    mode='faithful',
    spotlight_checkpoint=None,
    compensation_frozen_stages=1,
    predict_branch='fused',
)
