r"""Bar chart of the spotlight-only, compensation-only and fused seed mIoU of AMR runs.

Reads AMR screening JSONs (``results/amr_*.json``: their ``seeds`` entry is
``branch_seeds.py``'s output) and, optionally, plain-CAM references (``results/s1_*.json``)
drawn as horizontal lines. Usage::

    python tools/analysis_tools/plot_branch_seeds.py results/amr_faithful_6e.json \
        results/amr_spotinit-lr1_6e.json --reference results/s1_trainall-noco-ls_6e.json \
        --out docs/amr_branch_seeds.png
"""

import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from projects.amr.utils.io import atomic_write  # noqa: E402

BRANCHES = ('spotlight', 'compensation', 'fused')


def load_amr_run(path: str) -> dict:
    """Name and per-branch seed mIoU (at the configured threshold) of one AMR screening JSON."""
    with open(path) as f:
        run = json.load(f)
    try:
        seeds = {b: run['seeds'][b]['mIoU'] for b in BRANCHES}
        bg = run['seeds']['bg_threshold']
    except KeyError as exc:
        raise KeyError(f'{path}: not an AMR screening JSON (missing {exc})') from None
    return dict(name=run.get('name', osp.basename(path)), seeds=seeds, bg=bg)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('runs', nargs='+', help='AMR screening JSONs (results/amr_*.json)')
    parser.add_argument(
        '--reference', nargs='*', default=[], help='plain CAM JSONs (results/s1_*.json)'
    )
    parser.add_argument('--out', required=True, help='PNG path')
    args = parser.parse_args(argv)
    runs = [load_amr_run(p) for p in args.runs]
    refs = []
    for path in args.reference:
        with open(path) as f:
            ref = json.load(f)
        try:
            refs.append(
                (ref.get('name', osp.basename(path)), ref['seed_metrics']['metrics']['mIoU'])
            )
        except KeyError as exc:
            raise KeyError(f'{path}: not a plain CAM screening JSON (missing {exc})') from None

    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2.2 + 2.0 * len(runs), 4))
    width = 0.26
    for i, branch in enumerate(BRANCHES):
        xs = [j + (i - 1) * width for j in range(len(runs))]
        values = [r['seeds'][branch] for r in runs]
        bars = ax.bar(xs, values, width, label=branch)
        ax.bar_label(bars, fmt='%.1f', fontsize=7)
    for k, (name, value) in enumerate(refs):
        ax.axhline(value, color=f'C{3 + k}', ls='--', lw=1, label=f'plain CAM {name}: {value:.2f}')
    ax.set_xticks(range(len(runs)), [r['name'] for r in runs], fontsize=8)
    ax.set_ylabel(f'seed mIoU @{runs[0]["bg"]:.2f}, 170 train ids')
    ax.legend(fontsize=7, loc='lower right')
    ax.grid(axis='y', alpha=0.3)
    fig.tight_layout()
    atomic_write(args.out, lambda tmp: fig.savefig(tmp, dpi=110, format='png'), '.png')
    plt.close(fig)
    return runs


if __name__ == '__main__':
    main()
