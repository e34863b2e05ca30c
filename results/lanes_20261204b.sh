#!/usr/bin/env bash
# Two 1-thread lanes (2 cores), 2026-12-04 (second set).
# Lane a: the CPU default pipeline in one command (configs/pipelines/amr_lite0_voc12mini.py,
#   seed 0), then IRN 12 epochs with the released optimiser on its CAMs. (Lane a was stopped
#   once the pipeline ran; the pipeline finished and its IRN run came from
#   results/lane_e_20261204.sh, the same command.)
# Lane b: the 12-epoch spotlight (seed 0), AMR spotlight-init with the compensation backbone at
#   lr x1 (the released effective step under momentum 0.9) for 12 epochs on it; then the IRN
#   convergence runs on lane a's CAMs / IR labels (momentum 0.9: 3 and 12 epochs).
# usage: results/lanes_20261204b.sh a|b
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=${PY:-.venv/bin/python}
S1=configs/amr/spotlight_ablations/cam_lite0_trainall-noco-ls256-448_1xb8-6e_voc12mini-320x320.py
AMR=configs/amr/amr_lite0_spotinit_1xb8-6e_voc12mini-320x320.py
P=work_dirs/pipeline_default
log() { echo "$(date -u +%FT%TZ) $*"; }
irn() { results/run_irn.sh "$1" $P/amr "${@:2}"; }  # IRN on the default pipeline's AMR CAMs
wait_cams() { until [ -f $P/amr/ir_labels/.done ] || [ -d $P/irn ]; do sleep 30; done; }
mkdir -p work_dirs/exp
if [ "$1" = a ]; then
  log start pipeline
  $PY tools/run_pipeline.py configs/pipelines/amr_lite0_voc12mini.py --work-dir $P > $P.log 2>&1
  log end pipeline rc=$?
  cp $P/report.json results/pipeline_amr_lite0_voc12mini.json
  log start irn 12e released
  irn irn_12e_on_default train_cfg.max_epochs=12 param_scheduler.0.end=12
  log end irn rc=$?
else
  mkdir -p work_dirs/exp/s1_12e_b
  printf "_base_ = '%s'\ncustom_hooks = [dict(type='ChannelsLastHook')]\n" "$PWD/$S1" > work_dirs/exp/s1_12e_b/train_config.py
  log start spotlight 12e
  $PY tools/train.py work_dirs/exp/s1_12e_b/train_config.py --work-dir work_dirs/exp/s1_12e_b \
      --cfg-options randomness.seed=0 train_cfg.max_epochs=12 param_scheduler.0.end=12 \
      train_cfg.val_interval=4 > work_dirs/exp/s1_12e_b.train.log 2>&1
  log end spotlight rc=$?
  log start amr lr1 12e
  CFG=$AMR results/run_amr.sh amr_spotinit-lr1_12e_on12e work_dirs/exp/s1_12e_b/epoch_12.pth 1,0.5,1.5,2 \
      optim_wrapper.paramwise_cfg.custom_keys.compensation_backbone.lr_mult=1.0 randomness.seed=0 \
      train_cfg.max_epochs=12 param_scheduler.0.end=12 train_cfg.val_interval=4
  log end amr rc=$?
  wait_cams
  log start irn m0.9 3e
  irn irn_m09_3e_on_default optim_wrapper.optimizer.momentum=0.9
  log start irn m0.9 12e
  irn irn_m09_12e_on_default optim_wrapper.optimizer.momentum=0.9 train_cfg.max_epochs=12 param_scheduler.0.end=12
  log end irn rc=$?
fi
log lane $1 done
