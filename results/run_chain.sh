#!/usr/bin/env bash
# Seeds -> IRN masks -> segmenter from a trained classifier checkpoint (stages 3-4 of the
# voc-mini pipeline on an existing stage-1 or stage-2 model), scored as the pipeline scores them.
# usage: results/run_chain.sh NAME CONFIG CHECKPOINT
#   CONFIG      a classifier config with a PseudoLabelHook (its settings: scales, bg threshold,
#               IR labels); the checkpoint is loaded into the model it builds
#   NPROC=N     CAMs from N 1-thread processes (torchrun, gloo on CPU; each writes its shard; a
#               rerun skips the images already written)
#   SKIP_CAM=1  the CAMs are in $W/cam already; CAM_WALL_S gives their wall time for the JSON
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1; cfg=$2; ckpt=$3
W=$PWD/work_dirs/exp/$name
PY=${PY:-.venv/bin/python}
IRN=configs/irn/irn_lite0_1xb8-3e_voc12mini-320x320.py
SEG=configs/deeplabv2/deeplabv2_lite0-d16_1xb4-300i_voc12mini-pseudo-321x321.py
mkdir -p $W
t0=$(date +%s)
if [ "${SKIP_CAM:-0}" = 1 ]; then
  t0=$(( t0 - ${CAM_WALL_S:-0} ))
elif [ "${NPROC:-1}" -gt 1 ]; then
  OMP_NUM_THREADS=1 $PY -m torch.distributed.run --nproc_per_node $NPROC --master_port ${PORT:-29517} \
      tools/make_cam.py $cfg $ckpt --out-dir $W/cam --launcher pytorch >> $W.cam.log 2>&1
else
  $PY tools/make_cam.py $cfg $ckpt --out-dir $W/cam >> $W.cam.log 2>&1
fi
t1=$(date +%s)
$PY tools/train.py $IRN --work-dir $W/irn --cfg-options custom_hooks.0.cam_dir=$W/cam/cams \
    train_dataloader.dataset.ir_label_dir=$W/cam/ir_labels > $W.irn.log 2>&1
t2=$(date +%s)
$PY tools/train.py $SEG --work-dir $W/deeplabv2 \
    --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=$W/irn/masks > $W.seg.log 2>&1
t3=$(date +%s)
$PY - "$name" "$W" "$cfg" "$ckpt" $((t1 - t0)) $((t2 - t1)) $((t3 - t2)) <<'PY'
import json, sys
sys.path.insert(0, '.')
from projects.amr.pipeline import last_scalars
name, W, cfg, ckpt, t_cam, t_irn, t_seg = sys.argv[1:]
cam = json.load(open(f'{W}/cam/cam_metrics.json'))
mask = json.load(open(f'{W}/irn/mask_metrics.json'))
seg = last_scalars(f'{W}/deeplabv2')
out = dict(name=name, config=cfg, checkpoint=ckpt,
           wall_s=dict(cam=int(t_cam), irn=int(t_irn), segmenter=int(t_seg)),
           seed={'bg_threshold': cam.get('bg_threshold'), 'scales': cam.get('scales'), **cam['metrics']},
           mask={'bg_threshold': mask.get('bg_threshold'), **mask['metrics']},
           val={k: v for k, v in seg.items() if k in ('mIoU', 'aAcc', 'mAcc')})
json.dump(out, open(f'results/{name}.json', 'w'), indent=1)
print(name, out['seed'].get('mIoU'), {k: v for k, v in out['mask'].items() if 'mIoU' in k}, out['val'])
PY
