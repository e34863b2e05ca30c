#!/usr/bin/env bash
# Lane c, 2026-12-04: CAMs (7 scales x flip), seeds and IR labels of the 12-epoch spotlight
# (work_dirs/exp/s1_12e_b, seed 0) over the 320 train_aug ids, the input of its IRN /
# segmenter chain (the compute-matched plain CAM, end to end).
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=${PY:-.venv/bin/python}
CAMP=configs/amr/cam_lite0_1xb8-6e_voc12mini-320x320_pseudo.py
W=work_dirs/exp/chain_plain12e
until [ -f results/s1_trainall-noco-ls_12e_retrain.json ]; do sleep 20; done
mkdir -p $W
t0=$(date +%s)
$PY tools/make_cam.py $CAMP work_dirs/exp/s1_12e_b/epoch_12.pth --out-dir $W/cam > $W.cam.log 2>&1
echo "cam rc=$? wall=$(( $(date +%s) - t0 ))s"
