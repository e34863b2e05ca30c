#!/usr/bin/env bash
# The voc-mini segmenter (stage 4 of the pipeline) on a folder of pseudo masks, val mIoU to
# results/NAME.json.
# usage: results/run_seg.sh NAME MASK_DIR CFG_OPTIONS...
set -uo pipefail
cd "$(dirname "$0")/.."
name=$1; masks=$2; shift 2
PY=${PY:-.venv/bin/python}
SEG=configs/deeplabv2/deeplabv2_lite0-d16_1xb4-300i_voc12mini-pseudo-321x321.py
S=work_dirs/exp/$name
mkdir -p work_dirs/exp
$PY tools/train.py $SEG --work-dir $S --cfg-options "$@" \
    train_dataloader.dataset.data_prefix.seg_map_path=$masks > $S.log 2>&1
$PY - "$name" "$S" "$masks" "$*" <<'PY'
import json, sys
sys.path.insert(0, '.')
from projects.amr.pipeline import last_scalars
name, S, masks, opts = sys.argv[1:]
seg = last_scalars(S)
out = dict(name=name, masks=masks, cfg_options=opts,
           val={k: v for k, v in seg.items() if k in ('mIoU', 'aAcc', 'mAcc')})
json.dump(out, open(f'results/{name}.json', 'w'), indent=1)
print(out)
PY
