#!/usr/bin/env bash
# Train an AMR recipe on voc-mini from a spotlight checkpoint and score the spotlight-only,
# compensation-only and fused seeds on the 170 train ids (tools/analysis_tools/branch_seeds.py).
# usage: CFG=<amr config> results/run_amr.sh NAME SPOTLIGHT_CKPT SCALES CFG_OPTIONS...
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1; spot=$2; scales=$3; shift 3
W=work_dirs/exp/$name
PY=${PY:-.venv/bin/python}
CFG=${CFG:-configs/amr/amr_lite0_1xb8-6e_voc12mini-320x320.py}
start=$(date +%s)
mkdir -p $W
# The recipe with ChannelsLastHook (layout only) and without its PseudoLabelHook: the seeds
# come from branch_seeds.py below.
TCFG=$W/train_config.py
printf "_base_ = '%s'\ncustom_hooks = [dict(type='ChannelsLastHook')]\n" "$PWD/$CFG" > $TCFG
$PY tools/train.py $TCFG --work-dir $W --cfg-options model.spotlight_checkpoint=$spot "$@" > $W.train.log 2>&1
t_train=$(( $(date +%s) - start ))
ckpt=$(ls -t $W/epoch_*.pth | head -1)
$PY tools/analysis_tools/branch_seeds.py $CFG $ckpt --out-dir $W/branch_seeds --scales ${scales//,/ } \
    --cfg-options "$@" > $W.seeds.log 2>&1
t_all=$(( $(date +%s) - start ))
$PY - "$name" "$W" "$scales" "$t_train" "$t_all" "$CFG" "$spot $*" <<'PY'
import json, sys, glob
name, W, scales, t_train, t_all, cfg, opts = sys.argv[1:]
m = json.load(open(f'{W}/branch_seeds/branch_seeds.json'))
val, loss = {}, []
for f in sorted(glob.glob(f'{W}/*/vis_data/scalars.json')):
    for line in open(f):
        d = json.loads(line)
        if any('mAP' in k for k in d):
            val[str(d.get('step'))] = {k: v for k, v in d.items() if 'mAP' in k}
        elif 'loss' in d:
            loss.append({k: d[k] for k in ('step', 'loss', 'loss_cls_s', 'loss_cls_c', 'loss_cps') if k in d})
out = dict(name=name, config=cfg, args=opts, scales=scales, train_wall_s=int(t_train),
           total_wall_s=int(t_all), val=val, loss=loss, seeds=m)
json.dump(out, open(f'results/{name}.json', 'w'), indent=1)
print(name, {b: (m[b].get('mIoU'), m[b].get('best_mIoU_gt_selected')) for b in ('spotlight', 'compensation', 'fused')})
PY
