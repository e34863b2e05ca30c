#!/usr/bin/env bash
# Diagnosis of amr_spotinit-lr10_6e over training: AMM gates (amm_stats.py) and the val mAP of
# each branch alone (model.predict_branch) at epochs 2 / 4 / 6.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1
PY=.venv/bin/python
W=work_dirs/exp/amr_spotinit-lr10_6e
CFG=configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py
for e in 2 4 6; do
  $PY tools/analysis_tools/amm_stats.py $CFG --checkpoint $W/epoch_$e.pth \
      --out results/amm_stats_amr_spotinit-lr10_epoch$e.json --num-images 16 > /dev/null 2>&1
  for b in spotlight compensation; do
    $PY tools/test.py $CFG $W/epoch_$e.pth --work-dir $W/test_${b}_$e --cfg-options \
        model.spotlight_checkpoint=None model.predict_branch=$b 'custom_hooks=[]' \
        test_dataloader.num_workers=0 test_dataloader.persistent_workers=False > $W/test_${b}_$e.log 2>&1
    grep -o "multi-label/mAP: [0-9.]*" $W/test_${b}_$e.log | tail -1 | sed "s|^|epoch $e $b |"
  done
done > results/amr_spotinit-lr10_6e_branch_val.txt
