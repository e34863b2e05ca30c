"""Run the whole pipeline (spotlight -> AMR -> IRN -> DeepLabV2) from a pipeline config.

Examples:
    python tools/run_pipeline.py configs/pipelines/amr_lite0_voc12mini.py  # the CPU default
    python tools/run_pipeline.py configs/pipelines/amr_lite0_faithful_voc12mini.py  # released
    python tools/run_pipeline.py configs/pipelines/amr_r50_voc12aug.py --launcher pytorch --gpus 8
"""

import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from projects.amr.pipeline import run_pipeline  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='pipeline config (configs/pipelines/*.py)')
    parser.add_argument('--work-dir', help='root of the stage work_dirs')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    parser.add_argument('--gpus', type=int, default=1, help='processes per stage (pytorch)')
    parser.add_argument('--only', nargs='+', help='run only these stages')
    args = parser.parse_args(argv)
    report = run_pipeline(args.config, args.work_dir, args.launcher, args.gpus, args.only)
    print(json.dumps(report['metrics'], indent=2))
    print(f'report: {osp.join(report["work_root"], "report.md")}')


if __name__ == '__main__':
    main()
