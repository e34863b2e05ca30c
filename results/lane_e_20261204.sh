#!/usr/bin/env bash
# Lane e, 2026-12-04: IRN with the released optimiser for 12 epochs (480 iterations) on the
# default pipeline's AMR CAMs / IR labels: the released-optimiser point of the IRN convergence
# (results/irn_12e_on_default.json).
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
results/run_irn.sh irn_12e_on_default work_dirs/pipeline_default/amr \
    train_cfg.max_epochs=12 param_scheduler.0.end=12
