# IRN's PolyOptimizer as released: its constructor passes weight_decay where torch.optim.SGD
# expects momentum, so the effective momentum is 1e-4 (reference §9.8); 0.9 is the poly power.
released_sgd_momentum = 1e-4
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=released_sgd_momentum, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'head.classifier': dict(lr_mult=10.0)}),
)
# mmengine's PolyLR reaches eta_min on the last iteration: lr_t = lr (1 - t / (T - 1)) ** 0.9,
# IRN's is lr (1 - t / T) ** 0.9; over T = 5,288 iterations the two differ negligibly.
# No `end`: mmengine's runner sets it to train_cfg.max_epochs, so a config (or
# --cfg-options train_cfg.max_epochs=N) that changes the length keeps the decay to 0 at its end.
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        by_epoch=True,
        begin=0,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8, val_interval=1)
val_cfg = dict()
test_cfg = dict()
