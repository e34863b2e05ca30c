#!/usr/bin/env bash
# Seed 2 of the spotlight recipe (6 epochs), 1 thread.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
S1=configs/amr/spotlight_ablations/cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320.py
CFG=$S1 results/run_cam.sh s1_trainall-noco-ls_6e_seed2 1,0.5,1.5,2 randomness.seed=2
