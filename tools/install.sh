#!/usr/bin/env bash
# Install the project and its pinned OpenMMLab stack into a virtual environment.
#
#   bash tools/install.sh [VENV]          (default: ./.venv)
#
# Idempotent: when VENV already holds a complete install whose inputs (the requirement files,
# setup.cfg, this script) have not changed, it returns in about a second. Otherwise it
#   1. creates VENV with python3.11 (or $PYTHON),
#   2. installs requirements/runtime.txt and requirements/tests.txt,
#   3. installs mmcv 2.1.0 *with compiled ops*: from a compatible local wheel if one is found
#      ($MMCV_WHEEL, ../shared/wheels, $MMCV_WHEEL_CACHE), else by building the PyPI source
#      distribution against the installed torch (C++20 patch; CUDA ops when CUDA is present)
#      and caching the wheel for the next install,
#   4. installs this project in editable mode and runs `pip check`.
# Any failing step stops the script with the step named.
#
# Offline install on a GPU node with its own Python and torch (see tools/gpu_bundle.py):
#
#   bash tools/install.sh --wheelhouse DIR [--python 3.12] [--torch 2.11.0]   (connected machine)
#   bash tools/install.sh --offline DIR [TARGET]                              (the node)
#
# --wheelhouse builds every wheel the project needs beyond the node's torch into DIR and prints
# the total size; it refuses a torch it cannot match. --offline installs them with the node's
# Python ($PYTHON, default python3) into TARGET (default ./.node-site; use it with
# PYTHONPATH=TARGET or `source TARGET/activate`), --no-index --no-deps, never touching the
# node's torch; it names a missing wheel, and stops when the node's torch is not the one mmcv
# was built against.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in
  --wheelhouse | --offline) exec bash "$HERE/tools/install_offline.sh" "$@" ;;
esac
VENV="${1:-$HERE/.venv}"
PY="${PYTHON:-python3.11}"
MMCV_VERSION=2.1.0
STAMP="$VENV/.amr-install-stamp"

step() { printf '\n[install] %s\n' "$*"; }
die() { printf '\n[install] FAILED: %s\n' "$*" >&2; exit 1; }

inputs_hash() {
  cat "$HERE/requirements/runtime.txt" "$HERE/requirements/tests.txt" "$HERE/setup.cfg" \
      "$HERE/tools/install.sh" | sha256sum | cut -d' ' -f1
}

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(inputs_hash)" ]] \
   && "$VENV/bin/python" -c 'import mmcv._ext, mmseg, mmpretrain, projects.amr' 2>/dev/null; then
  echo "[install] $VENV is up to date"
  exit 0
fi

command -v "$PY" >/dev/null || die "$PY not found (set PYTHON=/path/to/python3.11)"
if [[ ! -x "$VENV/bin/python" ]]; then
  step "creating $VENV with $PY"
  "$PY" -m venv "$VENV" || die "python -m venv $VENV"
fi
PIP=("$VENV/bin/python" -m pip)
export PIP_DISABLE_PIP_VERSION_CHECK=1

step "installing pinned requirements"
"${PIP[@]}" install -r "$HERE/requirements/runtime.txt" -r "$HERE/requirements/tests.txt" \
  || die "pip install -r requirements/runtime.txt -r requirements/tests.txt"

TORCH_V="$("$VENV/bin/python" -c 'import torch; print(torch.__version__.split("+")[0])')"
PY_TAG="$("$VENV/bin/python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
CUDA_OK="$("$VENV/bin/python" -c 'import torch; from torch.utils.cpp_extension import CUDA_HOME; print(int(torch.version.cuda is not None and torch.cuda.is_available() and CUDA_HOME is not None))' 2>/dev/null || echo 0)"
FLAVOUR="torch-$TORCH_V-$([[ $CUDA_OK == 1 ]] && echo cuda || echo cpu)"
CACHE="${MMCV_WHEEL_CACHE:-$HOME/.cache/amr-mmcv-wheels}/$FLAVOUR"

have_mmcv_ops() {
  "$VENV/bin/python" - <<PYEOF 2>/dev/null
import importlib.metadata as md, sys
import mmcv
from mmcv.ops import nms  # noqa: F401  (needs the compiled extension)
sys.exit(0 if md.version('mmcv') == '$MMCV_VERSION' else 1)
PYEOF
}

if have_mmcv_ops; then
  step "mmcv $MMCV_VERSION with compiled ops already installed"
else
  WHEEL="${MMCV_WHEEL:-}"
  if [[ -z "$WHEEL" && "$CUDA_OK" == 0 && "$TORCH_V" == 2.14.1 ]]; then
    # The shared prebuilt wheel is a CPU build for torch 2.14.1 / cp311 / x86_64 only.
    WHEEL="$(ls "$HERE"/../shared/wheels/mmcv-$MMCV_VERSION-$PY_TAG-*-linux_$(uname -m).whl 2>/dev/null | head -1 || true)"
  fi
  [[ -z "$WHEEL" ]] && WHEEL="$(ls "$CACHE"/mmcv-$MMCV_VERSION-$PY_TAG-*.whl 2>/dev/null | head -1 || true)"
  if [[ -z "$WHEEL" ]]; then
    step "building mmcv $MMCV_VERSION with ops from source against torch $TORCH_V (CUDA ops: $CUDA_OK); ~15 min on 2 cores"
    "${PIP[@]}" install -r "$HERE/requirements/build.txt" || die "pip install -r requirements/build.txt"
    BUILD="$(mktemp -d)"
    trap 'rm -rf "$BUILD"' EXIT
    "${PIP[@]}" download --no-deps --no-binary mmcv -d "$BUILD" "mmcv==$MMCV_VERSION" || die "download mmcv sdist"
    tar -xzf "$BUILD/mmcv-$MMCV_VERSION.tar.gz" -C "$BUILD"
    # torch >= 2.10 headers need C++20; mmcv 2.1.0's setup.py forces -std=c++17.
    sed -i "s/'-std=c++17'/'-std=c++20'/g" "$BUILD/mmcv-$MMCV_VERSION/setup.py"
    FORCE_CUDA="$CUDA_OK" MMCV_WITH_OPS=1 MAX_JOBS="$(nproc)" \
      "${PIP[@]}" wheel --no-build-isolation --no-deps "$BUILD/mmcv-$MMCV_VERSION" -w "$BUILD/dist" \
      || die "building mmcv $MMCV_VERSION (see the compiler output above)"
    ( cd "$BUILD" && "$VENV/bin/wheel" unpack dist/mmcv-$MMCV_VERSION-*.whl -d un \
      && strip --strip-debug un/mmcv-$MMCV_VERSION/mmcv/_ext*.so \
      && mkdir -p stripped && "$VENV/bin/wheel" pack un/mmcv-$MMCV_VERSION -d stripped ) \
      || die "stripping the mmcv wheel"
    mkdir -p "$CACHE"
    cp "$BUILD"/stripped/mmcv-$MMCV_VERSION-*.whl "$CACHE"/
    WHEEL="$(ls "$CACHE"/mmcv-$MMCV_VERSION-$PY_TAG-*.whl | head -1)"
    echo "[install] cached $WHEEL"
  fi
  step "installing $WHEEL"
  "${PIP[@]}" uninstall -y mmcv-lite >/dev/null 2>&1 || true
  "${PIP[@]}" install --no-deps --force-reinstall "$WHEEL" || die "pip install $WHEEL"
  have_mmcv_ops || die "mmcv.ops does not import after installing $WHEEL"
fi

step "installing this project (editable)"
"${PIP[@]}" install --no-deps --no-build-isolation -e "$HERE" || die "pip install -e ."
"${PIP[@]}" check || die "pip check reports broken requirements"
"$VENV/bin/python" -c 'import mmcv._ext, mmseg, mmpretrain, projects.amr' || die "import check"
inputs_hash > "$STAMP"
echo "[install] done: $VENV"
