#!/usr/bin/env bash
# IRN (the Lite0 voc-mini config) on the CAMs / IR labels of a finished AMR or CAM stage,
# scored as the pipeline scores its masks; writes results/NAME.json.
# usage: results/run_irn.sh NAME STAGE_DIR CFG_OPTIONS...
#   STAGE_DIR   a work_dir holding cams/ and ir_labels/ (e.g. work_dirs/pipeline_default/amr)
set -uo pipefail
cd "$(dirname "$0")/.."
name=$1; stage=$2; shift 2
PY=${PY:-.venv/bin/python}
IRN=configs/irn/irn_lite0_1xb8-3e_voc12mini-320x320.py
W=work_dirs/exp/$name
mkdir -p work_dirs/exp
t0=$(date +%s)
$PY tools/train.py $IRN --work-dir $W --cfg-options custom_hooks.0.cam_dir=$PWD/$stage/cams \
    train_dataloader.dataset.ir_label_dir=$PWD/$stage/ir_labels "$@" > $W.log 2>&1
$PY - "$name" "$W" "$stage/cams" $(( $(date +%s) - t0 )) "$*" <<'PY'
import json, sys
name, W, cam_dir, wall, opts = sys.argv[1:]
m = json.load(open(f'{W}/mask_metrics.json'))
json.dump(dict(name=name, cam_dir=cam_dir, cfg_options=opts, wall_s=int(wall), mask=m),
          open(f'results/{name}.json', 'w'), indent=1)
print(name, {k: v for k, v in m.get('metrics', m).items() if 'mIoU' in k})
PY
