"""Two CPU runs of one config with the same seed give bit-identical weights.

The runs use data-loader workers, so this also covers their seeding (mmengine seeds each
worker from ``randomness.seed``). The torch thread count is the same for both runs: CPU
reductions are split by thread, so a different thread count can change the last bits.
"""

import torch
from mmengine.runner import Runner

from tests.test_engine.test_runner_cam import tiny_cfg


def _train(data_root: str, work_dir: str, seed: int) -> tuple[dict, list[float]]:
    cfg = tiny_cfg(data_root, work_dir, max_epochs=2)
    cfg.train_dataloader.update(num_workers=2, persistent_workers=False)
    cfg.val_dataloader.update(num_workers=0)
    cfg.train_cfg.val_interval = 10  # no validation: the training outputs only
    cfg.randomness = dict(seed=seed)
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = [float(v) for v in runner.message_hub.get_scalar('train/loss').data[0]]
    return {k: v.clone() for k, v in runner.model.state_dict().items()}, losses


def test_two_seeded_runs_are_identical(demo_root, tmp_path):
    state_a, loss_a = _train(demo_root, str(tmp_path / 'a'), seed=0)
    state_b, loss_b = _train(demo_root, str(tmp_path / 'b'), seed=0)
    assert loss_a == loss_b and len(loss_a) == 4
    assert state_a.keys() == state_b.keys()
    different = [k for k in state_a if not torch.equal(state_a[k], state_b[k])]
    assert not different, f'weights differ between two seeded runs: {different[:5]}'
    # and the check can fail: another seed changes the augmentation and the weights
    state_c, loss_c = _train(demo_root, str(tmp_path / 'c'), seed=1)
    assert loss_c != loss_a
    assert not torch.equal(state_a['head.classifier.weight'], state_c['head.classifier.weight'])
