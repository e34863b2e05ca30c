#!/usr/bin/env bash
# Two single-thread lanes (1 torch thread each: on 2 shared cores this beats one 2-thread job).
# usage: results/lanes_s17.sh A|B
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
S1=configs/amr/spotlight_ablations/cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320.py
SP=work_dirs/exp/s1_trainall-noco-ls_6e_rerun/epoch_6.pth
case $1 in
A)
  results/run_amr.sh amr_spotinit-lr10_6e $SP 1,0.5,1.5,2 model.compensation_init=spotlight randomness.seed=0 \
      default_hooks.checkpoint.max_keep_ckpts=3
  ;;
B)
  CFG=$S1 results/run_cam.sh s1_trainall-noco-ls_12e 1,0.5,1.5,2 randomness.seed=0 \
      train_cfg.max_epochs=12 param_scheduler.0.end=12 train_cfg.val_interval=4
  ;;
esac
