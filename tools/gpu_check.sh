#!/usr/bin/env bash
# The CUDA check in one invocation (see tools/gpu_check.py for the steps and the environment):
#   mkdir -p gpu_data && cp -r ../shared/data/voc-mini gpu_data/
#   bash tools/gpu_check.sh                                   # on a GPU machine, ~8 min
#   DEVICE=cpu QUICK=1 OUT=work_dirs/gpu_check_dry bash tools/gpu_check.sh   # CPU dry run
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python}
if [ -x .venv/bin/python ]; then PY=.venv/bin/python; fi
exec "$PY" tools/gpu_check.py "$@"
