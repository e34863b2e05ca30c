r"""Plot the convergence of stage-1 (plain CAM) runs: seed mIoU and val mAP against epochs.

Reads plain CAM screening JSONs (``results/s1_*.json``, one per training length) and
draws two panels: seed mIoU on the train ids at the configured background threshold (and the
threshold sweep's best, labelled "selected with GT") against the run's training length, and
the validation mAP curve of every run against its epoch. Usage::

    python tools/analysis_tools/plot_convergence.py results/s1_trainall-noco-ls_{6,12}e.json \
        --out docs/convergence.png
"""

import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from projects.amr.utils.io import atomic_write  # noqa: E402


def load_run(path: str) -> dict:
    """Training length, seed metrics and val mAP curve of a ``results/s1_*.json``."""
    with open(path) as f:
        run = json.load(f)
    try:
        metrics = run['seed_metrics']['metrics']
        val = {int(k): v['multi-label/mAP'] for k, v in run['val'].items()}
    except KeyError as exc:
        raise KeyError(f'{path}: not a plain CAM screening JSON (missing {exc})') from None
    if not val:
        raise ValueError(f'{path}: no validation mAP recorded')
    return dict(
        name=run.get('name', osp.basename(path)),
        epochs=max(val),
        seed=metrics['mIoU'],
        seed_best=metrics['best_mIoU_gt_selected'],
        bg=metrics['bg_threshold'],
        val=dict(sorted(val.items())),
    )


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('runs', nargs='+', help='plain CAM screening JSONs (results/s1_*.json)')
    parser.add_argument('--out', required=True, help='PNG path')
    parser.add_argument('--title', default='Plain CAM (spotlight), Lite0, voc-mini, seed 0')
    args = parser.parse_args(argv)
    runs = sorted((load_run(p) for p in args.runs), key=lambda r: r['epochs'])

    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    x = [r['epochs'] for r in runs]
    ax1.plot(x, [r['seed'] for r in runs], 'o-', label=f'seed mIoU @{runs[0]["bg"]:.2f}')
    ax1.plot(x, [r['seed_best'] for r in runs], 's--', label='best threshold (selected with GT)')
    ax1.set_xlabel('training length (epochs of 40 iterations)')
    ax1.set_ylabel('seed mIoU, 170 train ids')
    ax1.set_xticks(x)
    ax1.grid(alpha=0.3)
    ax1.legend()
    for r in runs:
        ax2.plot(list(r['val']), list(r['val'].values()), 'o-', label=f'{r["epochs"]}-epoch run')
    ax2.set_xlabel('epoch')
    ax2.set_ylabel('val mAP (20 classes), 180 val ids')
    ax2.grid(alpha=0.3)
    ax2.legend()
    fig.suptitle(args.title)
    fig.tight_layout()
    atomic_write(args.out, lambda tmp: fig.savefig(tmp, dpi=110, format='png'), '.png')
    plt.close(fig)
    return runs


if __name__ == '__main__':
    main()
