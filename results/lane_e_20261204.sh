#!/usr/bin/env bash
# Lane e, 2026-12-04: IRN with the released optimiser for 12 epochs (480 iterations) on the
# default pipeline's AMR CAMs / IR labels: the released-optimiser point of the IRN convergence.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=${PY:-.venv/bin/python}
IRN=configs/irn/irn_lite0_1xb8-3e_voc12mini-320x320.py
P=$PWD/work_dirs/pipeline_default
name=irn_12e_on_default
W=work_dirs/exp/$name
t0=$(date +%s)
$PY tools/train.py $IRN --work-dir $W --cfg-options custom_hooks.0.cam_dir=$P/amr/cams \
    train_dataloader.dataset.ir_label_dir=$P/amr/ir_labels train_cfg.max_epochs=12 \
    param_scheduler.0.end=12 > $W.log 2>&1
$PY - "$name" "$W" $(( $(date +%s) - t0 )) <<'PY'
import json, sys
name, W, wall = sys.argv[1:]
m = json.load(open(f'{W}/mask_metrics.json'))
json.dump(dict(name=name, cam_dir='work_dirs/pipeline_default/amr/cams',
               cfg_options='train_cfg.max_epochs=12 param_scheduler.0.end=12', wall_s=int(wall),
               mask=m), open(f'results/{name}.json', 'w'), indent=1)
print(name, {k: v for k, v in m['metrics'].items() if 'mIoU' in k})
PY
