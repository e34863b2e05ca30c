#!/usr/bin/env bash
# Lane d, 2026-12-04: downstream of lane c's CAMs (the 12-epoch plain CAM spotlight, seed 0):
# IRN as in the pipeline (released optimiser, 3 epochs), then the pipeline's segmenter on its
# masks; then the segmenter on the masks of IRN with momentum 0.9 (3 epochs) on the default
# pipeline's AMR CAMs.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=${PY:-.venv/bin/python}
IRN=configs/irn/irn_lite0_1xb8-3e_voc12mini-320x320.py
SEG=configs/deeplabv2/deeplabv2_lite0-d16_1xb4-300i_voc12mini-pseudo-321x321.py
W=$PWD/work_dirs/exp/chain_plain12e
until grep -q "cam rc=" work_dirs/lane_c.log; do sleep 20; done
t0=$(date +%s)
$PY tools/train.py $IRN --work-dir $W/irn --cfg-options custom_hooks.0.cam_dir=$W/cam/cams \
    train_dataloader.dataset.ir_label_dir=$W/cam/ir_labels > $W.irn.log 2>&1
t1=$(date +%s)
$PY tools/train.py $SEG --work-dir $W/deeplabv2 \
    --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=$W/irn/masks > $W.seg.log 2>&1
t2=$(date +%s)
$PY - chain_plain12e "$W" configs/amr/cam_lite0_1xb8-6e_voc12mini-320x320_pseudo.py \
    work_dirs/exp/s1_12e_b/epoch_12.pth $(grep -o 'wall=[0-9]*' work_dirs/lane_c.log | cut -d= -f2) \
    $((t1 - t0)) $((t2 - t1)) <<'PY'
import json, sys
sys.path.insert(0, '.')
from projects.amr.pipeline import last_scalars
name, W, cfg, ckpt, t_cam, t_irn, t_seg = sys.argv[1:]
cam = json.load(open(f'{W}/cam/cam_metrics.json'))
mask = json.load(open(f'{W}/irn/mask_metrics.json'))
seg = last_scalars(f'{W}/deeplabv2')
out = dict(name=name, config=cfg, checkpoint=ckpt,
           wall_s=dict(cam=int(t_cam), irn=int(t_irn), segmenter=int(t_seg)),
           seed=dict(bg_threshold=cam.get('bg_threshold'), scales=cam.get('scales'), **cam['metrics']),
           mask=dict(bg_threshold=mask.get('bg_threshold'), **mask['metrics']),
           val={k: v for k, v in seg.items() if k in ('mIoU', 'aAcc', 'mAcc')})
json.dump(out, open(f'results/{name}.json', 'w'), indent=1)
print(name, out['seed'].get('mIoU'), {k: v for k, v in out['mask'].items() if 'mIoU' in k}, out['val'])
PY
S=$PWD/work_dirs/exp/seg_on_irn_m09_3e
$PY tools/train.py $SEG --work-dir $S \
    --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=$PWD/work_dirs/exp/irn_m09_3e_on_default/masks > $S.log 2>&1
$PY - "$S" <<'PY'
import json, sys
sys.path.insert(0, '.')
from projects.amr.pipeline import last_scalars
seg = last_scalars(sys.argv[1])
out = dict(name='seg_on_irn_m09_3e', masks='work_dirs/exp/irn_m09_3e_on_default/masks',
           val={k: v for k, v in seg.items() if k in ('mIoU', 'aAcc', 'mAcc')})
json.dump(out, open('results/seg_on_irn_m09_3e.json', 'w'), indent=1)
print(out)
PY
echo lane d done
