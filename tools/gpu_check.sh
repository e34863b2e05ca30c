#!/usr/bin/env bash
# The CUDA check in one invocation (see tools/gpu_check.py for the steps and the environment):
#   bash tools/gpu_node.sh                                   # GPU node: offline install + check
#   DEVICE=cpu QUICK=1 DATA_ROOT=PATH/voc-mini OUT=work_dirs/gpu_check_dry \
#       bash tools/gpu_check.sh                              # CPU dry run
# Python: $PY, else ./.venv/bin/python, else python3.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-}
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
exec "$PY" tools/gpu_check.py "$@"
