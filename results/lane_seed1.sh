#!/usr/bin/env bash
# Seed 1 of the spotlight recipe and of the best AMR variant (spotlight init, lr x10), 1 thread.
# Run 2026-12-04: only the first command finished (results/s1_trainall-noco-ls_6e_seed1.json);
# the AMR seed-1 run was stopped before it started, for want of time.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
S1=configs/amr/spotlight_ablations/cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320.py
CFG=$S1 results/run_cam.sh s1_trainall-noco-ls_6e_seed1 1,0.5,1.5,2 randomness.seed=1
results/run_amr.sh amr_spotinit-lr10_6e_seed1 work_dirs/exp/s1_trainall-noco-ls_6e_seed1/epoch_6.pth \
    1,0.5,1.5,2 model.compensation_init=spotlight randomness.seed=1
