#!/usr/bin/env bash
# Lane d, 2026-12-04: downstream of lane c's CAMs (the 12-epoch plain CAM spotlight, seed 0):
# IRN as in the pipeline (released optimiser, 3 epochs), then the pipeline's segmenter on its
# masks (results/chain_plain12e.json); then the segmenter on the masks of IRN with momentum
# 0.9 (3 epochs) on the default pipeline's AMR CAMs (results/seg_on_irn_m09_3e.json).
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
until grep -q "cam rc=" work_dirs/lane_c.log; do sleep 20; done
SKIP_CAM=1 CAM_WALL_S=$(grep -o 'wall=[0-9]*' work_dirs/lane_c.log | cut -d= -f2) \
    results/run_chain.sh chain_plain12e configs/amr/cam_lite0_1xb8-6e_voc12mini-320x320_pseudo.py \
    work_dirs/exp/s1_12e_b/epoch_12.pth
results/run_seg.sh seg_on_irn_m09_3e $PWD/work_dirs/exp/irn_m09_3e_on_default/masks
echo lane d done
