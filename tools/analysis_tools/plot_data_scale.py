r"""AMR against the compute-matched plain CAM as the training set grows: a table and a plot.

Each ``--point`` names one training-set size and two metrics JSONs of ``results/``: the
compute-matched plain CAM (a stage-1 run) and the AMR run (branch-wise seeds) trained for the
same total iterations. The seeds of both are read on the same evaluation ids (voc-mini's 170
``train`` ids, which every set here contains), so the points are comparable. The plot has two
panels: the false-positive and false-negative rates (mFP / mFN) of both runs, and the seed
mIoU gap AMR fused - plain CAM, against the number of training images. Usage::

    python tools/analysis_tools/plot_data_scale.py \
        --point 320 results/s1_trainall-noco-ls_12e.json results/amr_spotinit-lr10_6e.json \
        --point 1820 results/pool/pool_cam_6e.json results/pool/pool_amr_spotinit_3e_on3e.json \
        --out docs/data_scale.png
"""

import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from projects.amr.utils.io import atomic_write  # noqa: E402

KEYS = ('mIoU', 'mFP', 'mFN')


def seed_metrics(path: str, branch: str = None) -> dict:
    """``mIoU`` / ``mFP`` / ``mFN`` of one run's seeds on the common evaluation ids.

    Understands the stage-1 JSONs (``seed_metrics.metrics``), the AMR branch JSONs (``seeds``)
    and the pool JSONs (``seeds_mini170``, scored on the 170 voc-mini train ids).

    Args:
        path (str): Metrics JSON.
        branch (str, optional): ``spotlight`` / ``compensation`` / ``fused`` of an AMR run.

    Returns:
        dict: The three rates in percent.

    Raises:
        KeyError: When the file has no seed metrics of the kind asked for (names the file).
    """
    with open(path) as f:
        run = json.load(f)
    if 'seeds_mini170' in run:
        metrics = run['seeds_mini170']
    elif 'seed_metrics' in run:
        metrics = run['seed_metrics']['metrics']
    elif 'seeds' in run:
        metrics = run['seeds']
    else:
        raise KeyError(f'{path}: no seed metrics (seeds_mini170, seed_metrics or seeds)')
    if branch is not None:
        if branch not in metrics:
            raise KeyError(f'{path}: no {branch!r} branch in its seed metrics')
        metrics = metrics[branch]
    elif 'fused' in metrics:
        raise KeyError(f'{path}: an AMR run; name the branch')
    missing = [k for k in KEYS if k not in metrics]
    if missing:
        raise KeyError(f'{path}: seed metrics without {missing}')
    return {k: float(metrics[k]) for k in KEYS}


def data_scale_rows(points: list[tuple[str, str, str]]) -> list[dict]:
    """One row per training-set size: the plain CAM, AMR fused and their gap."""
    rows = []
    for n_images, cam_json, amr_json in points:
        cam = seed_metrics(cam_json)
        amr = seed_metrics(amr_json, 'fused')
        rows.append(
            dict(
                images=int(n_images),
                cam=cam,
                amr=amr,
                gap=round(amr['mIoU'] - cam['mIoU'], 2),
                cam_json=cam_json,
                amr_json=amr_json,
            )
        )
    return sorted(rows, key=lambda r: r['images'])


def markdown_table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    lines = [
        '| training images | plain CAM mIoU / mFP / mFN | AMR fused mIoU / mFP / mFN '
        '| AMR - plain CAM |',
        '|---|---|---|---|',
    ]
    for r in rows:
        c, a = r['cam'], r['amr']
        lines.append(
            f'| {r["images"]} | {c["mIoU"]:.2f} / {c["mFP"]:.2f} / {c["mFN"]:.2f} '
            f'| {a["mIoU"]:.2f} / {a["mFP"]:.2f} / {a["mFN"]:.2f} | {r["gap"]:+.2f} |'
        )
    return '\n'.join(lines)


def plot(rows: list[dict], out: str) -> None:
    """Two panels: mFP / mFN of both runs, and the mIoU gap, against the training images."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    x = [r['images'] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), layout='constrained')
    for run, style in (('cam', '-'), ('amr', '--')):
        name = 'plain CAM' if run == 'cam' else 'AMR fused'
        ax1.plot(
            x, [r[run]['mFP'] for r in rows], 'o' + style, color='tab:red', label=name + ' mFP'
        )
        ax1.plot(
            x, [r[run]['mFN'] for r in rows], 's' + style, color='tab:blue', label=name + ' mFN'
        )
    ax1.set(xlabel='training images', ylabel='rate (%)', title='seed errors (170 train ids)')
    ax1.legend(fontsize=8)
    ax2.axhline(0, color='grey', lw=0.8)
    ax2.plot(x, [r['gap'] for r in rows], 'o-', color='tab:green')
    ax2.set(xlabel='training images', ylabel='seed mIoU gap', title='AMR fused - plain CAM')
    for ax in (ax1, ax2):
        ax.set_xscale('log')
        ax.set_xticks(x, [str(v) for v in x])
        ax.set_xticks([], minor=True)
    atomic_write(out, lambda tmp: fig.savefig(tmp, format='png', dpi=110), suffix='.png')
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='AMR vs plain CAM against training-set size')
    parser.add_argument(
        '--point',
        nargs=3,
        action='append',
        required=True,
        metavar=('IMAGES', 'PLAIN_CAM_JSON', 'AMR_JSON'),
        help='training images, compute-matched plain CAM JSON, AMR JSON',
    )
    parser.add_argument('--out', help='PNG to write')
    return parser.parse_args(argv)


def main(argv=None) -> list[dict]:
    args = parse_args(argv)
    rows = data_scale_rows(args.point)
    print(markdown_table(rows))
    if args.out:
        plot(rows, args.out)
    return rows


if __name__ == '__main__':
    main()
