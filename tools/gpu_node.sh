#!/usr/bin/env bash
# On a GPU node without internet: install the project offline from the check bundle
# (gpu_bundle/, written by `tools/gpu_bundle.py assemble`) into ./.node-site with the node's
# Python and torch, then run tools/gpu_check.py on the bundle's voc-mini subset. Everything that
# comes back lies in $OUT: install.log, check.log, summary.json, gpu_check_results.tar.gz.
#
#   OUT=/path/to/out bash tools/gpu_node.sh
#
# Environment: PYTHON (the node's python, default python3), BUNDLE (default gpu_bundle), BUDGET
# (seconds for install + check, default 540), DEVICE (cuda), QUICK, STEPS (see gpu_check.py).
set -uo pipefail
cd "$(dirname "$0")/.."
: "${OUT:?set OUT to the folder whose files come back}"
PY=${PYTHON:-python3}
BUNDLE=${BUNDLE:-gpu_bundle}
BUDGET=${BUDGET:-540}
T0=$(date +%s)
mkdir -p "$OUT"
echo "[gpu_node] offline install from $BUNDLE/wheels"
if ! PYTHON="$PY" bash tools/install.sh --offline "$BUNDLE/wheels" .node-site >"$OUT/install.log" 2>&1; then
  tail -n 40 "$OUT/install.log"
  exit 2
fi
tail -n 3 "$OUT/install.log"
export PYTHONPATH="$PWD/.node-site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PATH="$PWD/.node-site/bin:$PATH"
LEFT=$((BUDGET - ($(date +%s) - T0)))
echo "[gpu_node] install took $(($(date +%s) - T0)) s; check budget $LEFT s"
"$PY" tools/gpu_check.py --data-root "$BUNDLE/voc-mini" --out work_dirs/gpu_check \
  --export "$OUT" --budget "$LEFT" 2>&1 | tee "$OUT/check.log"
exit "${PIPESTATUS[0]}"
