r"""Mean +- std over seeds of run metrics JSONs (``results/*.json``) as a markdown table.

Each ``--group LABEL=FILE[,FILE...]`` is one row: the runs of one recipe with different seeds.
A plain CAM run (``results/s1_*.json``) contributes its seed metrics; an AMR run
(``results/amr_*.json``) its spotlight / compensation / fused seeds; a chain run
(``results/chain_*.json``) its seed, IRN mask and segmenter figures. The std is the sample
standard deviation (n - 1); one run prints its value alone. Example::

    python tools/analysis_tools/seed_table.py \
        --group 'plain CAM 6e=results/s1_trainall-noco-ls_6e.json,results/s1_seed1.json' \
        --out docs/seed_table.md
"""

import argparse
import json
import os.path as osp
import statistics
import sys
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from projects.amr.utils.io import atomic_write  # noqa: E402

BRANCHES = ('spotlight', 'compensation', 'fused')


def run_figures(run: dict) -> dict:
    """Figure name -> value of one run JSON (seed mIoU at the configured threshold, ...)."""
    out = {}
    if 'seeds' in run:  # AMR, branch by branch
        for b in BRANCHES:
            if isinstance(run['seeds'].get(b), dict):
                out[f'{b} seed'] = run['seeds'][b]['mIoU']
        fused = run['seeds'].get('fused', {})
        for k in ('mFP', 'mFN'):
            if k in fused:
                out[f'fused {k}'] = fused[k]
    elif 'seed_metrics' in run:  # plain CAM
        m = run['seed_metrics']['metrics']
        out['seed'] = m['mIoU']
        out['seed best (selected with GT)'] = m.get('best_mIoU_gt_selected')
        out['mFP'], out['mFN'] = m.get('mFP'), m.get('mFN')
    elif 'mask' in run:  # downstream chain
        out['seed'] = run['seed']['mIoU']
        out['mask'] = next(v for k, v in run['mask'].items() if k.endswith('mIoU'))
        out['segmenter val'] = run['val'].get('mIoU')
    else:
        raise ValueError('not a plain CAM, AMR or chain metrics JSON')
    if run.get('val'):
        last = max(run['val'], key=lambda k: int(k) if str(k).isdigit() else -1)
        val = run['val'][last]
        mAP = next((v for k, v in val.items() if k.endswith('mAP')), None)
        if mAP is not None:
            out['val mAP (last)'] = mAP
    return {k: v for k, v in out.items() if v is not None}


def mean_std(values: list) -> str:
    """``mean +- std (n)`` with the sample std; one value alone is printed as it is."""
    if len(values) == 1:
        return f'{values[0]:.2f} (1 run)'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f} ({len(values)} runs)'


def seed_table(groups: list[tuple[str, list[str]]]) -> str:
    """The markdown table of ``groups`` ((label, files) pairs), a row per group."""
    rows, columns = [], []
    for label, files in groups:
        figures: dict = {}
        for f in files:
            try:
                run = json.load(open(f))
            except (OSError, json.JSONDecodeError) as e:
                raise SystemExit(f'{f}: cannot read a metrics JSON ({e})') from e
            try:
                values = run_figures(run)
            except (KeyError, ValueError) as e:
                raise SystemExit(f'{f}: {e}') from e
            for k, v in values.items():
                figures.setdefault(k, []).append(float(v))
                if k not in columns:
                    columns.append(k)
        rows.append((label, figures))
    lines = ['| recipe | ' + ' | '.join(columns) + ' |', '|---' * (len(columns) + 1) + '|']
    for label, figures in rows:
        cells = [mean_std(figures[c]) if c in figures else '–' for c in columns]
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def parse_group(text: str) -> tuple[str, list[str]]:
    label, sep, files = text.partition('=')
    if not sep or not label or not files:
        raise argparse.ArgumentTypeError(f'expected LABEL=FILE[,FILE...], got {text!r}')
    return label, [f for f in files.split(',') if f]


def main(argv: Optional[list] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--group', type=parse_group, action='append', required=True)
    parser.add_argument('--out', help='also write the table here (markdown)')
    args = parser.parse_args(argv)
    table = seed_table(args.group)
    print(table, end='')
    if args.out:
        atomic_write(args.out, lambda tmp: open(tmp, 'w').write(table), '.md')
    return table


if __name__ == '__main__':
    main()
