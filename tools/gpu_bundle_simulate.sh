#!/usr/bin/env bash
# Simulate the GPU node on a CPU machine, end to end (slow: a few GB of torch, ~15-30 min):
#   1. a fresh Python $PYV venv holding torch==$TORCH from the package index (with its CUDA
#      libraries, which `import torch` needs) and the packages such a node has (numpy, scipy,
#      matplotlib, opencv-python-headless, pytest), nothing of the project's stack;
#   2. a copy of what the node receives: the work tree (tracked + untracked-not-ignored files)
#      plus the check bundle gpu_bundle/ (tools/gpu_bundle.py assemble), its size printed;
#   3. tools/gpu_node.sh there with DEVICE=cpu QUICK=1: the offline install (--no-index, pip
#      configuration files ignored) and the dry-run check, its files in SIM/out.
#
#   bash tools/gpu_bundle_simulate.sh SIM        (PYV=3.12 TORCH=2.11.0 by default)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SIM="$(mkdir -p "${1:?usage: gpu_bundle_simulate.sh SIM_DIR}" && cd "$1" && pwd)"
PYV=${PYV:-3.12}
TORCH=${TORCH:-2.11.0}
[[ -f "$ROOT/gpu_bundle/BUNDLE.json" ]] || { echo "no gpu_bundle/: run tools/gpu_bundle.py assemble" >&2; exit 1; }
timed() { local t0; t0=$(date +%s); "$@"; echo "[simulate] $(($(date +%s) - t0)) s: $*" | cut -c1-160; }

if [[ ! -x "$SIM/node/bin/python" ]]; then
  PY="$(python3 "$ROOT/tools/gpu_bundle.py" find-python --python "$PYV")"
  timed "$PY" -m venv "$SIM/node"
  timed "$SIM/node/bin/python" -m pip install -q "torch==$TORCH"
  timed "$SIM/node/bin/python" -m pip install -q numpy scipy matplotlib opencv-python-headless pytest
fi
"$SIM/node/bin/python" -m pip list --format=freeze 2>/dev/null | grep -v -i -E '^(nvidia|cuda)' | tr '\n' ' '
echo

rm -rf "$SIM/tree" "$SIM/out"
mkdir -p "$SIM/tree"
(cd "$ROOT" && { git ls-files -z --cached --others --exclude-standard; find gpu_bundle -type f -print0; } \
  | xargs -0 -I{} cp --parents {} "$SIM/tree/")
echo "[simulate] the node receives $(du -sb "$SIM/tree" | cut -f1) bytes ($(du -sh "$SIM/tree" | cut -f1))"

cd "$SIM/tree"
T0=$(date +%s)
PIP_NO_INDEX=1 PIP_CONFIG_FILE=/dev/null PYTHON="$SIM/node/bin/python" OUT="$SIM/out" \
  DEVICE=cpu QUICK=1 BUDGET="${BUDGET:-7200}" bash tools/gpu_node.sh
echo "[simulate] gpu_node.sh: $(($(date +%s) - T0)) s; files in $SIM/out:"
ls -la "$SIM/out"
