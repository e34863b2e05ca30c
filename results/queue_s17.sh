#!/usr/bin/env bash
# Run queue of 2026-12-04 (voc-mini, Lite0, seed 0, IRN's 4 scales for screening).
set -uo pipefail
cd "$(dirname "$0")/.."
S1=configs/amr/spotlight_ablations/cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320.py
CFG=$S1 results/run_cam.sh s1_trainall-noco-ls_6e_rerun 1,0.5,1.5,2 randomness.seed=0
SP=work_dirs/exp/s1_trainall-noco-ls_6e_rerun/epoch_6.pth
results/run_amr.sh amr_spotinit-lr10_6e $SP 1,0.5,1.5,2 model.compensation_init=spotlight randomness.seed=0
CFG=$S1 results/run_cam.sh s1_trainall-noco-ls_12e 1,0.5,1.5,2 randomness.seed=0 \
    train_cfg.max_epochs=12 param_scheduler.0.end=12
CFG=$S1 results/run_cam.sh s1_trainall-noco-ls_24e 1,0.5,1.5,2 randomness.seed=0 \
    train_cfg.max_epochs=24 param_scheduler.0.end=24 train_cfg.val_interval=4
