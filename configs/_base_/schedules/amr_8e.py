# AMR training (step/train_amr.py, reference/amr-method.md §4.2): base lr 0.01, compensation
# backbone (AMMs included) x10, both 1x1 classifiers x1 (the spotlight backbone gets no
# gradient in the faithful mode), weight decay 1e-4, poly 0.9 per iteration, no warm-up,
# 8 epochs. The SGD momentum is the released effective value `released_sgd_momentum` (1e-4,
# §9.8) inherited from wsss_cls_8e.py; set optim_wrapper.optimizer.momentum to change it.
_base_ = './wsss_cls_8e.py'

optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            '_delete_': True,
            'compensation_backbone': dict(lr_mult=10.0),
        }
    )
)
