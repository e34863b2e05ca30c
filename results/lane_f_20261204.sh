#!/usr/bin/env bash
# Lane f, 2026-12-04: the segmenter's own seed-to-seed spread: the voc-mini segmenter with
# randomness.seed=1 on the masks of the default pipeline and of the compute-matched plain CAM
# chain (their seed-0 runs: 19.77 / 19.49 val mIoU).
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
until grep -q "lane d done" work_dirs/lane_d.log; do sleep 20; done
results/run_seg.sh seg_seed1_on_default $PWD/work_dirs/pipeline_default/irn/masks randomness.seed=1
results/run_seg.sh seg_seed1_on_plain12e $PWD/work_dirs/exp/chain_plain12e/irn/masks randomness.seed=1
echo lane f done
