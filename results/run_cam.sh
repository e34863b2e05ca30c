#!/usr/bin/env bash
# Train a plain CAM (spotlight) recipe on voc-mini and score its seeds on the 170 train ids.
# usage: results/run_cam.sh NAME SCALES CFG_OPTIONS...
#   NAME      run name (work_dirs/exp/NAME, results/NAME.json)
#   SCALES    inference scales, comma separated (1,0.5,1.5,2 = IRN's 4; 1,0.5,0.75,1.25,1.5,1.75,2 = AMR's 7)
#   CFG_OPTIONS  --cfg-options items for the stage-1 config
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1; scales=$2; shift 2
W=work_dirs/exp/$name
PY=${PY:-.venv/bin/python}
CFG=${CFG:-configs/amr/cam_lite0_1xb8-6e_voc12mini-320x320.py}
start=$(date +%s)
mkdir -p $W
# Same recipe with ChannelsLastHook (a memory-layout switch: 1.36x training speed on this CPU,
# float rounding only; docs/benchmarks.md).
TCFG=$W/train_config.py
printf "_base_ = '%s'\ncustom_hooks = [dict(type='ChannelsLastHook')]\n" "$PWD/$CFG" > $TCFG
# SKIP_TRAIN=1: the checkpoint is there already (CAMs interrupted); train_wall_s is then 0
if [ "${SKIP_TRAIN:-0}" != 1 ]; then
  $PY tools/train.py $TCFG --work-dir $W --cfg-options "$@" > $W.train.log 2>&1
fi
t_train=$(( $(date +%s) - start ))
ckpt=$(ls -t $W/epoch_*.pth | head -1)
# CAMs use the recipe config itself (inference has no channels_last)
$PY tools/make_cam.py $CFG $ckpt --out-dir $W/cam_train --ann-file ImageSets/Segmentation/train.txt \
    --no-ir-label --scales ${scales//,/ } > $W.cam.log 2>&1
t_all=$(( $(date +%s) - start ))
$PY - "$name" "$W" "$scales" "$t_train" "$t_all" "$CFG" "$*" <<'PY'
import json, sys, glob, os
name, W, scales, t_train, t_all, cfg, opts = sys.argv[1:]
m = json.load(open(f'{W}/cam_train/cam_metrics.json'))
val = {}
for f in sorted(glob.glob(f'{W}/*/vis_data/scalars.json')) + sorted(glob.glob(f'{W}/*/vis_data/*.json')):
    for line in open(f):
        d = json.loads(line)
        if any(k.startswith('multi-label') or 'mAP' in k for k in d):
            val[str(d.get('step'))] = {k: v for k, v in d.items() if 'mAP' in k or 'multi-label' in k}
out = dict(name=name, config=cfg, cfg_options=opts, scales=scales, train_wall_s=int(t_train),
           total_wall_s=int(t_all), val=val, seed_metrics=m)
os.makedirs('results', exist_ok=True)
json.dump(out, open(f'results/{name}.json', 'w'), indent=1)
print(name, json.dumps({k: v for k, v in m.items() if not isinstance(v, (list, dict))})[:400])
PY
