#!/usr/bin/env bash
# After lane a of results/lanes_s18.sh: the downstream chain from the 12-epoch plain CAM
# (the compute-matched baseline, seed 0), 1 thread.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
while ! grep -q "lane a done" work_dirs/exp/lane_a.log 2>/dev/null; do sleep 30; done
echo "$(date -u +%FT%TZ) start chain 12e"
results/run_chain.sh chain_cam_12e configs/amr/cam_lite0_1xb8-6e_voc12mini-320x320_pseudo.py \
  work_dirs/exp/s1_trainall-noco-ls_12e/epoch_12.pth
echo "$(date -u +%FT%TZ) end chain 12e rc=$?"
