"""``make demo``: the whole pipeline on the embedded demo data set, on CPU.

Writes the demo data (deterministic) and every stage's outputs under ``work_dirs/demo``, then
prints the report: seed, pseudo-mask and segmenter mIoU, time per stage, exact commands. A
second run skips the stages that are complete.
"""

import argparse
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
    args = parser.parse_args(argv)
    make_demo_voc(osp.join(args.work_dir, 'data'))
    report = run_pipeline(PIPELINE, work_root=args.work_dir)
    print(report_markdown(report))
    print(f'demo report: {osp.join(report["work_root"], "report.md")} (and report.json)')


if __name__ == '__main__':
    main()
