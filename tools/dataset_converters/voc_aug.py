"""Prepare VOC 2012 + SBD: SegmentationClassAug, train_aug.txt and cls_labels.npy.

Example:
    python tools/dataset_converters/voc_aug.py data/VOCdevkit/VOC2012 \
        data/benchmark_RELEASE/dataset
"""

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from projects.amr.datasets.voc_aug import convert_voc_aug  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('voc_root', help='the VOCdevkit/VOC2012 folder')
    parser.add_argument(
        'sbd_root',
        nargs='?',
        default=None,
        help="SBD's benchmark_RELEASE/dataset folder (cls/, train.txt, val.txt)",
    )
    parser.add_argument('--overwrite', action='store_true', help='rewrite existing masks')
    parser.add_argument(
        '--no-check',
        action='store_true',
        help='do not require 10,582 train_aug ids for the full sets',
    )
    args = parser.parse_args(argv)
    print(
        convert_voc_aug(
            args.voc_root, args.sbd_root, overwrite=args.overwrite, check_full=not args.no_check
        )
    )


if __name__ == '__main__':
    main()
