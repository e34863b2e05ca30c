r"""Score a folder of CAM ``.npy`` files (background sweep) or of label PNGs against VOC masks.

Example (the WSSS protocol: VOC ``train`` ids against ``SegmentationClass``)::

    python tools/eval_cam.py work_dirs/cam_lite0/cams \\
        --list ../shared/data/voc-mini/VOCdevkit/VOC2012/ImageSets/Segmentation/train.txt \\
        --gt-dir ../shared/data/voc-mini/VOCdevkit/VOC2012/SegmentationClass \\
        --bg-threshold 0.15 --out work_dirs/cam_lite0/eval_cam.json
"""

import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.logging import MMLogger  # noqa: E402

from projects.amr.cam.generate import evaluate_folder  # noqa: E402
from projects.amr.datasets.voc_image_label import read_id_list  # noqa: E402
from projects.amr.utils.io import (
    json_safe,  # noqa: E402
    save_json,  # noqa: E402
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Evaluate CAMs (npy) or label maps (png)')
    parser.add_argument('pred_dir', help='folder of <id>.npy (IRN format) or <id>.png')
    parser.add_argument('--list', required=True, help='id list (e.g. .../train.txt)')
    parser.add_argument('--gt-dir', required=True, help='ground-truth masks <id>.png')
    parser.add_argument(
        '--bg-threshold',
        type=float,
        default=0.20,
        help='configured background threshold (CAMs); default 0.20 (AMR)',
    )
    parser.add_argument(
        '--thresholds', type=float, nargs='+', help='sweep (default 0.05..0.95 by 0.05)'
    )
    parser.add_argument('--out', help='metrics JSON to write')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    MMLogger.get_instance('eval_cam', log_level='INFO')
    ids = read_id_list(args.list)
    metrics, details = evaluate_folder(
        args.pred_dir, ids, args.gt_dir, args.bg_threshold, args.thresholds
    )
    out = dict(
        pred_dir=args.pred_dir,
        list=args.list,
        gt_dir=args.gt_dir,
        num_images=len(ids),
        metrics=metrics,
        details=details,
        note='best_* values choose the background threshold with the ground truth',
    )
    if args.out:
        save_json(args.out, json_safe(out))
    print(json.dumps(metrics))
    return out


if __name__ == '__main__':
    main()
