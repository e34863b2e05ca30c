#!/usr/bin/env bash
# Lane f, 2026-12-04: the segmenter's own seed-to-seed spread: the voc-mini segmenter with
# randomness.seed=1 on the masks of the default pipeline and of the compute-matched plain CAM
# chain (their seed-0 runs: 19.77 / 19.49 val mIoU).
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=${PY:-.venv/bin/python}
SEG=configs/deeplabv2/deeplabv2_lite0-d16_1xb4-300i_voc12mini-pseudo-321x321.py
until grep -q "lane d done" work_dirs/lane_d.log; do sleep 20; done
for run in "seg_seed1_on_default $PWD/work_dirs/pipeline_default/irn/masks" \
           "seg_seed1_on_plain12e $PWD/work_dirs/exp/chain_plain12e/irn/masks"; do
  set -- $run
  S=work_dirs/exp/$1
  $PY tools/train.py $SEG --work-dir $S --cfg-options randomness.seed=1 \
      train_dataloader.dataset.data_prefix.seg_map_path=$2 > $S.log 2>&1
  $PY - "$1" "$S" "$2" <<'PY'
import json, sys
sys.path.insert(0, '.')
from projects.amr.pipeline import last_scalars
name, S, masks = sys.argv[1:]
seg = last_scalars(S)
out = dict(name=name, masks=masks, cfg_options='randomness.seed=1',
           val={k: v for k, v in seg.items() if k in ('mIoU', 'aAcc', 'mAcc')})
json.dump(out, open(f'results/{name}.json', 'w'), indent=1)
print(out)
PY
done
echo lane f done
