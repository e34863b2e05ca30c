"""``make demo``: run the project's stages on the embedded demo data set, on CPU.

Writes everything under ``work_dirs/demo`` (data included) and prints where the results are.
"""

import argparse
import json
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from projects.amr.datasets.demo import make_demo_voc  # noqa: E402
from projects.amr.utils import save_json  # noqa: E402

CAM_CONFIG = osp.join(ROOT, 'configs/amr/cam_lite0_1xb8-4e_demo-256x256.py')


def run_cam_stage(work_root: str, data_root: str) -> dict:
    """Train the CAM classifier on the demo data; return its validation metrics."""
    cfg = Config.fromfile(CAM_CONFIG)
    cfg.work_dir = osp.join(work_root, 'cam')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    runner.train()
    return {k[len('val/'):]: float(v.current()) for k, v in
            runner.message_hub.log_scalars.items() if k.startswith('val/')}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'demo'))
    args = parser.parse_args(argv)
    start = time.time()
    data_root = make_demo_voc(osp.join(args.work_dir, 'data'))
    metrics = run_cam_stage(args.work_dir, data_root)
    report = dict(stage1_cam_classifier=dict(config=osp.relpath(CAM_CONFIG, ROOT),
                                             val_metrics=metrics),
                  wall_time_s=round(time.time() - start, 1))
    path = osp.join(args.work_dir, 'report.json')
    save_json(path, report)
    print(json.dumps(report, indent=2))
    print(f'demo report: {path}')


if __name__ == '__main__':
    main()
