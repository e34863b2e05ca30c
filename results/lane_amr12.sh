#!/usr/bin/env bash
# AMR (spotlight init, released lr x10) on the 12-epoch spotlight (seed 28.84), 1 thread.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
results/run_amr.sh amr_spotinit-lr10_6e_on12e work_dirs/exp/s1_trainall-noco-ls_12e/epoch_12.pth \
    1,0.5,1.5,2 model.compensation_init=spotlight randomness.seed=0
