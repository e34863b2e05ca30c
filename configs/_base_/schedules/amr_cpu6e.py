# AMR's parameter groups (amr_8e.py: compensation backbone, AMMs included, at lr x10) on the
# CPU schedule of wsss_cls_cpu6e.py (6 epochs, momentum 0.9 = `cpu_budget_momentum`).
_base_ = './wsss_cls_cpu6e.py'

optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            '_delete_': True,
            'compensation_backbone': dict(lr_mult=10.0),
        }
    )
)
