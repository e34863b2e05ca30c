#!/usr/bin/env bash
# Two 1-thread lanes (2 cores), 2026-12-04. Lane a: AMR spotlight-init lr x10 on the 6-epoch
# spotlights of seeds 1 and 2, then the downstream chain from the seed-0 AMR checkpoint.
# Lane b: the 24-epoch spotlight (convergence), then the 12-epoch spotlight, seeds 1 and 2.
# usage: results/lanes_s18.sh a|b
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
S1=configs/amr/spotlight_ablations/cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320.py
AMR=configs/amr/amr_lite0_spotinit_1xb8-6e_voc12mini-320x320.py
CAMP=configs/amr/cam_lite0_1xb8-6e_voc12mini-320x320_pseudo.py
log() { echo "$(date -u +%FT%TZ) $*"; }
if [ "$1" = a ]; then
  for s in 1 2; do
    log start amr seed $s
    results/run_amr.sh amr_spotinit-lr10_6e_seed$s work_dirs/exp/s1_trainall-noco-ls_6e_seed$s/epoch_6.pth \
      1,0.5,1.5,2 model.compensation_init=spotlight randomness.seed=$s
    log end amr seed $s rc=$?
  done
  log start chain amr seed 0
  results/run_chain.sh chain_amr_spotinit-lr10_6e $AMR work_dirs/exp/amr_spotinit-lr10_6e/epoch_6.pth
  log end chain amr rc=$?
else
  log start 24e
  CFG=$S1 results/run_cam.sh s1_trainall-noco-ls_24e 1,0.5,1.5,2 randomness.seed=0 \
    train_cfg.max_epochs=24 param_scheduler.0.end=24 train_cfg.val_interval=6
  log end 24e rc=$?
  for s in 1 2; do
    log start 12e seed $s
    CFG=$S1 results/run_cam.sh s1_trainall-noco-ls_12e_seed$s 1,0.5,1.5,2 randomness.seed=$s \
      train_cfg.max_epochs=12 param_scheduler.0.end=12 train_cfg.val_interval=4
    log end 12e seed $s rc=$?
  done
fi
log lane $1 done
