"""``make demo``: the whole pipeline on the embedded demo data set, on CPU.

Writes the demo data (deterministic) and every stage's outputs under ``work_dirs/demo``, then
prints the report: seed, pseudo-mask and segmenter mIoU, time per stage, exact commands. A
second run skips the stages that are complete.

The stages run with a fixed number of torch threads (``--threads``, default 2, set through
``OMP_NUM_THREADS`` for every stage process): seeded CPU runs are bit-identical only at the
same thread count, because CPU reductions are split by thread and the last bits of a sum
depend on the split. The README's figures are the output at 2 threads.
"""

import argparse
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from projects.amr.datasets.demo import make_demo_voc  # noqa: E402
from projects.amr.pipeline import report_markdown, run_pipeline  # noqa: E402

PIPELINE = osp.join(ROOT, 'configs/pipelines/amr_lite0_demo.py')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'demo'))
    parser.add_argument(
        '--threads', type=int, default=2, help='torch threads of every stage (reproducibility)'
    )
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f'--threads must be >= 1, got {args.threads}')
    os.environ['OMP_NUM_THREADS'] = str(args.threads)
    os.environ['MKL_NUM_THREADS'] = str(args.threads)
    make_demo_voc(osp.join(args.work_dir, 'data'))
    report = run_pipeline(PIPELINE, work_root=args.work_dir)
    print(report_markdown(report))
    import torch

    print(f'torch {torch.__version__}, {args.threads} threads per stage')
    print(f'demo report: {osp.join(report["work_root"], "report.md")} (and report.json)')


if __name__ == '__main__':
    main()
